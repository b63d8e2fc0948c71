/**
 * The command line as scripts and new users meet it: exit codes, closed pipes, config typos,
 * advice that names mixtape's flags, config keys and variables, session flags, shipped cassettes,
 * library warnings kept out of the output. Real child processes (no terminal) against the fake
 * Anthropic and Bedrock servers on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeBedrockServer, type FakeServer, startFakeAnthropic, startFakeBedrock } from '@mixtape/testing';
import { cleanEnv, nodeArgs, runCli, tempProject, WAIT_MS } from './helpers.js';

/** Each test starts the CLI from source a few times. */
const CHILD_TIMEOUT_MS = 150_000;

let server: FakeServer;
let bedrockServer: FakeBedrockServer;
beforeAll(async () => {
  server = await startFakeAnthropic({ apiKey: 'test-key' });
  bedrockServer = await startFakeBedrock();
});
afterAll(async () => {
  await server.close();
  await bedrockServer.close();
});
afterEach(() => {
  server.script.clear();
});

function withServer(extra: Record<string, string> = {}) {
  return cleanEnv({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: server.url, ...extra });
}

function sentText(request = server.requests.at(-1)): string {
  return JSON.stringify(request!.body.messages);
}

/** Runs a shell pipeline with `mixtape` standing for the CLI; resolves with mixtape's own exit status. */
function pipeline(
  script: string,
  options: { cwd: string; env: Record<string, string> },
): Promise<{ mixtapeStatus: number; stdout: string; stderr: string }> {
  const mixtape = [process.execPath, ...nodeArgs].map((a) => `'${a}'`).join(' ');
  const command = `${script.replace('mixtape', mixtape)}; echo "[mixtape:\${PIPESTATUS[0]}]" >&2`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pipeline did not finish: ${stderr}`));
    }, WAIT_MS);
    child.on('close', () => {
      clearTimeout(timer);
      const match = /\[mixtape:(\d+)\]/.exec(stderr);
      resolve({ mixtapeStatus: Number(match?.[1] ?? -1), stdout, stderr: stderr.replace(/\[mixtape:\d+\]\n?/, '') });
    });
  });
}

describe('the mixtape command line', { timeout: CHILD_TIMEOUT_MS }, () => {
  it('ends quietly with 0 when the reader of its output goes away (| head -1)', async () => {
    const long = Array.from({ length: 200 }, (_, i) => `Line ${i} of a long answer.`).join('\n');
    server.script.text(long);
    let r = await pipeline('mixtape run --json hi | head -1', { cwd: tempProject(), env: withServer() });
    expect(JSON.parse(r.stdout.trim()).type).toBe('run_started');
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/EPIPE|Error|at .*\.js/);
    expect(r.mixtapeStatus).toBe(0);

    server.script.clear();
    server.script.text(long);
    r = await pipeline('mixtape run hi | head -2', { cwd: tempProject(), env: withServer() });
    expect(r.stdout).toBe('Line 0 of a long answer.\nLine 1 of a long answer.\n');
    expect(r.stderr).toBe('');
    expect(r.mixtapeStatus).toBe(0);
  });

  it('a typo in the config names the bad entry; `run` refuses with 2 at start-up, before any model call', async () => {
    const project = tempProject();
    writeFileSync(
      path.join(project, 'mixtape.config.json'),
      JSON.stringify({ tools: ['filesystem', 'fetchh'], systemPrompt: 'Be brief.' }),
    );
    const before = server.requests.length;
    const r = await runCli(['run', 'hi'], { cwd: project, env: withServer() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("tools[1]: unknown tool group 'fetchh' (did you mean 'fetch'?)");
    expect(r.stderr).not.toContain('tools[0]');
    expect(server.requests.length).toBe(before);

    const flag = await runCli(['--tools', 'filesystem,serch', 'run', 'hi'], { cwd: tempProject(), env: withServer() });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--tools[1]: unknown tool group 'serch' (did you mean 'search'?)");
  });

  it('refuses -C with a folder that does not exist, and creates nothing', async () => {
    const base = tempProject();
    const missing = path.join(base, 'nope');
    const r = await runCli(['-C', missing, 'run', 'hi'], { cwd: base, env: withServer() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`-C ${missing}: no such folder`);
    expect(existsSync(missing)).toBe(false);
  });

  it('`mixtape "prompt"` points at `mixtape run`, and a mistyped command gets a suggestion (exit 2)', async () => {
    let r = await runCli(['what does this project do?'], { cwd: tempProject(), env: withServer() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mixtape run "what does this project do?"');
    r = await runCli(['rn', 'hi'], { cwd: tempProject(), env: withServer() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Did you mean: mixtape run hi?');
  });

  it('errors give mixtape advice (variables, flags, config keys), with exit 2 for what is missing and 1 for a failed run', async () => {
    // A missing key is a configuration problem: exit 2, the variable to set.
    let r = await runCli(['--provider', 'anthropic', 'run', 'hi'], { cwd: tempProject(), env: cleanEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('export ANTHROPIC_API_KEY=');
    expect(r.stderr).not.toMatch(/anthropic\(\)|apiKey/);

    // Bedrock without a region: exit 2, AWS_REGION, no library option names.
    r = await runCli(['--provider', 'bedrock', 'run', 'hi'], {
      cwd: tempProject(),
      env: cleanEnv({ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 's' }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('export AWS_REGION=');
    expect(r.stderr).not.toMatch(/pass `region`|check the model id, max tokens/);

    // A rejected key: the run failed (exit 1); the advice names the variable, not anthropic({ apiKey }).
    server.script.error(401, { message: 'invalid x-api-key' });
    r = await runCli(['run', 'hi'], { cwd: tempProject(), env: withServer() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid x-api-key');
    expect(r.stderr).toContain('Check ANTHROPIC_API_KEY');
    expect(r.stderr).not.toContain('anthropic()');

    // A tool nobody can approve: the flag and the config key that allow it.
    server.script.toolUse('write_file', { path: 'x.txt', content: 'x' }).text('Could not write.');
    r = await runCli(['run', 'write x'], { cwd: tempProject(), env: withServer() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('--allow write_file');
    expect(r.stderr).toContain('"trustedTools": ["write_file"]');
    expect(sentText()).toContain('--allow write_file');
  });

  it('--new, --continue, --session <id> and --fork choose the session', async () => {
    const project = tempProject();
    server.script.text('First.').text('Second.').text('Fresh.').text('Back in the first.').text('In the fork.');
    expect((await runCli(['run', 'remember apples'], { cwd: project, env: withServer() })).code).toBe(0);
    expect((await runCli(['--continue', 'run', 'and pears'], { cwd: project, env: withServer() })).code).toBe(0);
    expect(sentText()).toContain('remember apples');

    const fresh = await runCli(['--new', 'run', '--json', 'a new topic'], { cwd: project, env: withServer() });
    expect(fresh.code).toBe(0);
    expect(sentText()).not.toContain('remember apples');
    const events = fresh.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; sessionId?: string });
    const freshId = events.find((e) => e.sessionId)!.sessionId!;

    // The newest session is now the fresh one; --session goes back to the first by id prefix.
    const { SqliteSessionStore } = await import('@mixtape/sqlite');
    const store = new SqliteSessionStore(path.join(project, '.mixtape/sessions.db'), { directory: project });
    const first = (await store.listSessions()).find((s) => s.id !== freshId)!;
    await store.close?.();
    expect(
      (await runCli(['--session', first.id.slice(0, 8), 'run', 'what did I ask to remember?'], { cwd: project, env: withServer() })).code,
    ).toBe(0);
    expect(sentText()).toContain('remember apples');

    const forked = await runCli(['--session', first.id.slice(0, 8), '--fork', 'run', '--json', 'continue in a copy'], {
      cwd: project,
      env: withServer(),
    });
    expect(forked.code).toBe(0);
    expect(sentText()).toContain('remember apples');
    const forkId = forked.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sessionId?: string })
      .find((e) => e.sessionId)!.sessionId!;
    expect(forkId).not.toBe(first.id);

    const conflict = await runCli(['--new', '--session', 'abc', 'run', 'x'], { cwd: project, env: withServer() });
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toContain('cannot be used together');
    const unknown = await runCli(['--session', 'ffffffff', 'run', 'x'], { cwd: project, env: withServer() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("No session of this folder starts with 'ffffffff'");
  });

  it('replays the shipped tour cassette by name from any folder; a wrong name lists the shipped ones', async () => {
    const r = await runCli(['--replay', 'tour', 'run', 'Show me around'], { cwd: tempProject(), env: cleanEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Welcome to **mixtape**!');
    // No colour without a terminal.
    expect(r.stdout + r.stderr).not.toContain('\u001b[');
    const wrong = await runCli(['--replay', 'tuor', 'run', 'x'], { cwd: tempProject(), env: cleanEnv() });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('Shipped: tour');
  });

  it("keeps the AWS SDK's Node-version warning out of the output: it goes to .mixtape/debug.log", async () => {
    const project = tempProject();
    bedrockServer.script.text('Hello from Bedrock.');
    const r = await runCli(['--provider', 'bedrock', '--base-url', bedrockServer.url, 'run', 'hi'], {
      cwd: project,
      env: cleanEnv({ AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret', AWS_REGION: 'us-east-1' }),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Hello from Bedrock.\n');
    const log = readFileSync(path.join(project, '.mixtape/debug.log'), 'utf8');
    expect(log).toContain('NodeVersionSupportWarning');
  });
});
