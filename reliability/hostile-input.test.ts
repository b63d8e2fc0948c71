/**
 * Hostile input (issue 12), as an attacker would send it to the tools and the Agent: the 48
 * commands that run `rm` against a deny rule, links and hard links out of the root, a folder
 * swapped for a link while tools use it, FIFOs, ReDoS patterns, hostile HTML, private
 * addresses hidden in IPv6 forms, path rules reached through other names, and 1 MiB / 50 MiB
 * single-character messages through the Agent's window. Every case must end in a clear typed
 * error or a bounded result, and nothing may escape. A summary line with counts is printed.
 * (The server's cases are in the server's suite; thrown non-Error values in core's.)
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, linkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent, MAX_EXACT_TOKEN_CHARS, PermissionAuthorizer, TOKEN_SAMPLE_CHARS, tokenEstimatorWork, type Tool } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import {
  allTools,
  BlockedAddressError,
  fetchTool,
  fileInfoTool,
  listDirectoryTool,
  MAX_TITLE_CHARS,
  PathDeniedError,
  PathOutsideRootError,
  processTools,
  readFileTool,
  SandboxUnavailableError,
  searchTool,
  ToolError,
  writeFileTool,
} from '@mixtape/tools';
import { RM_BYPASSES, RM_INNOCENT, RM_PLAIN } from './fixtures/hostile-commands.js';

const run = promisify(execFile);
const counts: Record<string, number> = {};
const count = (what: string, n = 1): void => {
  counts[what] = (counts[what] ?? 0) + n;
};

afterAll(() => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(
    `hostile-input: ${total} cases, 0 escapes — ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
});

async function call(t: Tool<any>, input: unknown, signal = new AbortController().signal): Promise<unknown> {
  const parsed = t.validate(input);
  if (!parsed.ok) throw new Error(parsed.error);
  return t.execute(parsed.value, { signal, toolUseId: 'toolu_hostile' });
}

function tempTree(): { root: string; outside: string } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'mixtape-hostile-'));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.txt'), 'OUTSIDE SECRET\n');
  return { root, outside };
}

describe('commands: a deny rule on rm sees through wrappers and compound commands', () => {
  const commands = [...RM_BYPASSES, ...RM_PLAIN];

  it('has the 48 commands of the issue, and each one really deletes the file when run unguarded', async () => {
    expect(RM_BYPASSES).toHaveLength(31);
    expect(commands).toHaveLength(48);
    for (const command of commands) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mixtape-rm-'));
      writeFileSync(path.join(dir, 'victim'), 'v');
      await run('sh', ['-c', command], { cwd: dir }).catch(() => undefined);
      expect(existsSync(path.join(dir, 'victim')), command).toBe(false);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an Agent with the rule refuses all 48 as tool results, runs none, and still runs the innocent ones', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mixtape-rm-agent-'));
    writeFileSync(path.join(dir, 'victim'), 'v');
    mkdirSync(path.join(dir, 'empty'));
    const model = new ScriptedModel()
      .toolUses(commands.map((command) => ({ name: 'start_process', input: { command, wait_ms: 2000 } })))
      .toolUses(RM_INNOCENT.map((command) => ({ name: 'start_process', input: { command, wait_ms: 2000 } })))
      .text('done');
    const agent = new Agent({
      model,
      tools: processTools({ cwd: dir }),
      permissionPolicy: 'allow',
      permissionRules: [{ tool: 'start_process', effect: 'deny', match: { kind: 'command', prefix: ['rm'] } }],
    });
    const result = await agent.run('clean up');
    expect(result.text).toBe('done');
    expect(existsSync(path.join(dir, 'victim'))).toBe(true);
    const results = model.requests[1]!.messages.at(-1)!.content.filter((b) => b.type === 'tool_result');
    expect(results).toHaveLength(48);
    for (const r of results) {
      expect(r.type === 'tool_result' && r.isError).toBe(true);
      expect(JSON.stringify(r)).toMatch(/[Dd]enied/);
    }
    const innocent = model.requests[2]!.messages.at(-1)!.content.filter((b) => b.type === 'tool_result');
    expect(innocent.filter((r) => r.type === 'tool_result' && r.isError)).toHaveLength(0);
    expect(existsSync(path.join(dir, 'empty'))).toBe(false); // rmdir ran: the rule is not a blanket refusal
    count('commands denied', results.length);
    count('commands allowed', innocent.length);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('links, hard links, FIFOs and races never reach outside the root', () => {
  let root: string;
  let outside: string;
  beforeEach(() => ({ root, outside } = tempTree()));

  it('append through a dangling link to a new outside file is refused and creates nothing', async () => {
    symlinkSync(path.join(outside, 'created.txt'), path.join(root, 'dangling.txt'));
    await expect(call(writeFileTool({ root }), { path: 'dangling.txt', content: 'pwned', mode: 'append' })).rejects.toBeInstanceOf(
      ToolError,
    );
    expect(existsSync(path.join(outside, 'created.txt'))).toBe(false);
    count('links refused');
  });

  it('append to a hard link of an outside file is refused; rewrite replaces only the name inside', async () => {
    linkSync(path.join(outside, 'secret.txt'), path.join(root, 'hard.txt'));
    await expect(call(writeFileTool({ root }), { path: 'hard.txt', content: 'pwned', mode: 'append' })).rejects.toMatchObject({
      kind: 'permission_denied',
    });
    await call(writeFileTool({ root }), { path: 'hard.txt', content: 'mine' });
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('OUTSIDE SECRET\n');
    expect(readFileSync(path.join(root, 'hard.txt'), 'utf8')).toBe('mine');
    count('links refused');
  });

  it('reads and writes through links that lead outside are refused', async () => {
    symlinkSync(outside, path.join(root, 'out'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'secret-link.txt'));
    for (const p of ['out/secret.txt', 'secret-link.txt', path.join(outside, 'secret.txt'), '../outside/secret.txt']) {
      await expect(call(readFileTool({ root }), { path: p })).rejects.toBeInstanceOf(PathOutsideRootError);
      await expect(call(writeFileTool({ root }), { path: p, content: 'x', mode: 'append' })).rejects.toBeInstanceOf(ToolError);
      count('links refused', 2);
    }
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('OUTSIDE SECRET\n');
  });

  it('a FIFO is refused instead of hanging the read', async () => {
    const fifo = path.join(root, 'pipe');
    spawnSync('mkfifo', [fifo]);
    await expect(call(readFileTool({ root }), { path: 'pipe' })).rejects.toMatchObject({ kind: 'invalid_input' });
    count('fifo refused');
  });

  it('a process swapping a folder for a link to outside wins no read and no write', async () => {
    const dir = path.join(root, 'd');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'f.txt'), 'INSIDE\n');
    writeFileSync(path.join(outside, 'f.txt'), 'OUTSIDE SECRET\n');
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');const d=${JSON.stringify(dir)},o=${JSON.stringify(outside)};` +
          `for(;;){try{fs.renameSync(d,d+'.real');fs.symlinkSync(o,d);fs.unlinkSync(d);fs.renameSync(d+'.real',d);}catch{}}`,
      ],
      { stdio: 'ignore' },
    );
    const read = readFileTool({ root });
    const write = writeFileTool({ root });
    let reads = 0;
    let refused = 0;
    try {
      for (let i = 0; i < 400; i++) {
        const r = await call(read, { path: 'd/f.txt' }).catch((e: unknown) => e);
        if (typeof r === 'string') {
          expect(r).toBe('INSIDE\n');
          reads++;
        } else {
          expect(r).toBeInstanceOf(ToolError);
          refused++;
        }
        const w = await call(write, { path: 'd/new.txt', content: 'w\n', mode: 'append' }).catch((e: unknown) => e);
        if (typeof w !== 'string') expect(w).toBeInstanceOf(ToolError);
      }
    } finally {
      swapper.kill('SIGKILL');
    }
    expect(readFileSync(path.join(outside, 'f.txt'), 'utf8')).toBe('OUTSIDE SECRET\n');
    expect(existsSync(path.join(outside, 'new.txt'))).toBe(false);
    expect(reads + refused).toBe(400);
    count('race rounds', 800);
  });
});

describe('path deny rules hold whatever name reaches the file', () => {
  let root: string;
  beforeEach(() => {
    ({ root } = tempTree());
    mkdirSync(path.join(root, 'secrets'));
    writeFileSync(path.join(root, 'secrets', 'key.txt'), 'API_KEY=sk-live-123\n');
    writeFileSync(path.join(root, 'notes.txt'), 'API_KEY goes in secrets/\n');
    symlinkSync('secrets', path.join(root, 'alias'));
  });

  const rule = { tool: 'read_file', effect: 'deny' as const, match: { kind: 'path' as const, argument: 'path', glob: 'secrets/**' } };

  it('search and list_directory leave denied files out; read_file refuses them by any name', async () => {
    // The Agent's working folder differs from the tools' root: relative globs follow the tools' root.
    const authorizer = new PermissionAuthorizer({ rules: [rule], project: os.tmpdir(), policy: 'allow' });
    for (const deny of [authorizer, ['secrets/**']] as const) {
      const found = String(await call(searchTool({ root, deny }), { pattern: 'API_KEY' }));
      expect(found).toContain('notes.txt:1:');
      expect(found).not.toContain('sk-live');
      const listing = String(await call(listDirectoryTool({ root, deny }), { path: '.' }));
      expect(listing).not.toContain('key.txt');
      for (const p of ['secrets/key.txt', 'alias/key.txt', path.join(root, 'secrets', 'key.txt'), './x/../secrets/key.txt']) {
        await expect(call(readFileTool({ root, deny }), { path: p })).rejects.toBeInstanceOf(PathDeniedError);
        count('path rules held');
      }
      await expect(call(fileInfoTool({ root, deny }), { path: 'alias/key.txt' })).rejects.toBeInstanceOf(PathDeniedError);
      count('path rules held', 3);
    }
  });

  it('the authorizer itself denies a call whose path reaches the file through an in-root link', async () => {
    const authorizer = new PermissionAuthorizer({ rules: [rule], project: root, policy: 'allow' });
    for (const p of ['secrets/key.txt', 'alias/key.txt']) {
      const check = await authorizer.check({ toolName: 'read_file', toolUseId: 't', input: { path: p }, paramsHash: '' });
      expect(check.decision, p).toBe('denied');
      count('path rules held');
    }
  });
});

describe('CPU-bound tools stay linear and their timeouts fire', () => {
  it('search with (a+)+$ over long lines answers at once (RE2), and a cancelled search stops', async () => {
    const { root } = tempTree();
    writeFileSync(path.join(root, 'evil.txt'), `${'a'.repeat(28)}!\n${'a'.repeat(200_000)}!\n`.repeat(5));
    const search = searchTool({ root });
    expect(String(await call(search, { pattern: '(a+)+$' }))).toContain('No matches');
    expect(String(await call(search, { pattern: '(a|aa)+b' }))).toContain('No matches');
    await expect(call(search, { pattern: '(?=x)' })).rejects.toMatchObject({ kind: 'invalid_input' });
    const aborted = new AbortController();
    aborted.abort();
    await expect(call(search, { pattern: 'a' }, aborted.signal)).rejects.toMatchObject({ kind: 'timeout' });
    count('redos patterns', 4);
  });

  it("the search's own timeout fires while it works through a large folder", async () => {
    const { root } = tempTree();
    for (let i = 0; i < 200; i++) writeFileSync(path.join(root, `f${i}.txt`), `${'lorem ipsum dolor sit amet\n'.repeat(2000)}`);
    await expect(call(searchTool({ root, timeoutMs: 1 }), { pattern: 'needle' })).rejects.toMatchObject({ kind: 'timeout' });
    count('redos patterns');
  });

  it('hostile HTML pages come back as bounded Markdown with a bounded title', async () => {
    const pages: Record<string, string> = {
      '/titles': `<title>${'<title'.repeat(75_000)}`,
      '/unclosed': '<title'.repeat(75_000),
      '/divs': `<title>deep</title>${'<div>'.repeat(90_000)}x`,
      '/anchors': '<a href=x>'.repeat(45_000),
      '/lists': '<ul><li>'.repeat(56_000),
    };
    const server = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(pages[req.url ?? ''] ?? ''));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const fetcher = fetchTool({ allowHosts: ['127.0.0.1'], respectRobots: false });
      for (const url of Object.keys(pages)) {
        const text = String(await call(fetcher, { url: `http://127.0.0.1:${port}${url}`, max_length: 1000, timeout_ms: 10_000 }));
        expect(text.length).toBeLessThan(1000 + MAX_TITLE_CHARS + 400);
        count('hostile pages');
      }
    } finally {
      server.close();
    }
  });

  it('private addresses in every IPv6 disguise are refused before connecting', async () => {
    const fetcher = fetchTool({ respectRobots: false });
    for (const host of [
      '[::ffff:127.0.0.1]',
      '[::127.0.0.1]',
      '[::ffff:0:7f00:1]',
      '[64:ff9b::a00:1]',
      '[2002:7f00:1::]',
      '[2001:0:7f00:1::]',
      '[::]',
      '[fe80::1]',
      '0.0.0.0',
      '169.254.169.254',
    ]) {
      await expect(call(fetcher, { url: `http://${host}:1/` })).rejects.toBeInstanceOf(BlockedAddressError);
      count('addresses refused');
    }
  });
});

describe('huge single-character messages through the Agent', () => {
  it('1 MiB and 50 MiB of one character cost bounded estimator work and the run completes', async () => {
    for (const size of [1 << 20, 50 << 20]) {
      const model = new ScriptedModel().text('ok');
      const agent = new Agent({ model });
      const before = tokenEstimatorWork();
      const result = await agent.run('x'.repeat(size));
      const after = tokenEstimatorWork();
      expect(result.text).toBe('ok');
      // Above MAX_EXACT_TOKEN_CHARS only samples are tokenised: the work does not grow with the size.
      expect(after.chars - before.chars).toBeLessThanOrEqual(4 * Math.max(MAX_EXACT_TOKEN_CHARS, TOKEN_SAMPLE_CHARS));
      count('huge messages');
    }
  });
});

describe('the process sandbox', () => {
  it('confines writes to the working folder and turns the network off; a missing bwrap is a typed error', async () => {
    const { root, outside } = tempTree();
    const [start] = processTools({ cwd: root, sandbox: true });
    const out = String(
      await call(start!, { command: `echo in > inside.txt; echo out > ${outside}/escaped.txt; echo rc=$?`, wait_ms: 5000 }),
    );
    expect(out).toContain('rc=');
    expect(readFileSync(path.join(root, 'inside.txt'), 'utf8')).toBe('in\n');
    expect(existsSync(path.join(outside, 'escaped.txt'))).toBe(false);
    const server = http.createServer((_req, res) => res.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const probe = `node -e "require('http').get('http://127.0.0.1:${port}/',r=>r.on('data',d=>console.log('got',String(d)))).on('error',e=>console.log('neterr',e.code))"`;
    try {
      const [plain] = processTools({ cwd: root });
      expect(String(await call(plain!, { command: probe, wait_ms: 5000 }))).toContain('got reached');
      expect(String(await call(start!, { command: probe, wait_ms: 5000 }))).toMatch(/neterr E[A-Z]+/);
      const [networked] = processTools({ cwd: root, sandbox: { network: true } });
      expect(String(await call(networked!, { command: probe, wait_ms: 5000 }))).toContain('got reached');
    } finally {
      server.close();
    }
    expect(() => processTools({ cwd: root, sandbox: { bwrapPath: '/nonexistent/bwrap' } })).toThrow(SandboxUnavailableError);
    count('sandbox escapes refused', 3);
  });
});

it('allTools takes deny and sandbox options together', () => {
  const { root } = tempTree();
  const tools = allTools({ root, deny: ['secrets/**'], process: { sandbox: true } });
  expect(tools.map((t) => t.name)).toContain('start_process');
});
