/**
 * `mixtape run` and the command line as scripts use them: real child processes (no terminal),
 * against the fake Anthropic server on 127.0.0.1.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeServer, startFakeAnthropic } from '@mixtape/testing';
import { cleanEnv, repoRoot, runCli, tempProject } from './helpers.js';

/** Each test starts the CLI from source once or twice. */
const CHILD_TIMEOUT_MS = 120_000;

let server: FakeServer;
beforeAll(async () => {
  server = await startFakeAnthropic({ apiKey: 'test-key' });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.script.clear();
});

function withServer(extra: Record<string, string> = {}) {
  return cleanEnv({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: server.url, ...extra });
}

describe('mixtape run', { timeout: CHILD_TIMEOUT_MS }, () => {
  it('with no provider configured, says exactly what to set and exits with 2', async () => {
    const r = await runCli(['run', 'hello'], { cwd: tempProject(), env: cleanEnv() });
    expect(r.code).toBe(2);
    for (const name of ['ANTHROPIC_API_KEY', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', '--replay']) {
      expect(r.stderr).toContain(name);
    }
    expect(r.stdout).toBe('');
  });

  it('prints the answer on stdout and exits with 0; the prompt can come from stdin', async () => {
    const project = tempProject();
    server.script.text('The answer is 4.');
    let r = await runCli(['run', 'What', 'is', '2+2?'], { cwd: project, env: withServer() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('The answer is 4.\n');
    expect(JSON.stringify(server.requests.at(-1)!.body.messages)).toContain('What is 2+2?');
    // The session is saved in the folder's .mixtape/sessions.db.
    expect(existsSync(path.join(project, '.mixtape/sessions.db'))).toBe(true);

    server.script.text('Summarised.');
    r = await runCli(['run', 'Summarise this:'], { cwd: project, env: withServer(), input: 'line one\nline two\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Summarised.\n');
    const sent = JSON.stringify(server.requests.at(-1)!.body.messages);
    expect(sent).toContain('Summarise this:\\n\\nline one\\nline two');
    // The second run continued the same session.
    expect(sent).toContain('What is 2+2?');

    server.script.text('From stdin alone.');
    r = await runCli([], { cwd: tempProject(), env: withServer(), input: 'piped question' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('From stdin alone.\n');
  });

  it('--json prints every event as one JSON line', async () => {
    server.script.toolUse('list_directory', { path: '.' }).text('Listed.');
    const project = tempProject();
    writeFileSync(path.join(project, 'a.txt'), 'a');
    const r = await runCli(['run', '--json', 'list files'], { cwd: project, env: withServer() });
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('run_started');
    expect(types).toEqual(
      expect.arrayContaining(['model_call_started', 'model_call_streaming', 'tool_requested', 'tool_completed', 'session_saved']),
    );
    expect(types.at(-1)).toBe('run_completed');
    const completed = events.find((e) => e.type === 'tool_completed')!;
    expect(completed.outputText).toContain('a.txt');
    expect(events.at(-1)!.output).toBe('Listed.');
  });

  it('denies tools without a grant when nobody can answer, and the model is told how to grant them', async () => {
    server.script.toolUse('write_file', { path: 'x.txt', content: 'x' }).text('Could not write.');
    const project = tempProject();
    const r = await runCli(['run', 'write x'], { cwd: project, env: withServer() });
    expect(r.code).toBe(0);
    expect(existsSync(path.join(project, 'x.txt'))).toBe(false);
    expect(r.stderr).toContain('write_file');
    expect(r.stderr).toContain('denied');
    const toolResult = JSON.stringify(server.requests.at(-1)!.body.messages.at(-1));
    expect(toolResult).toContain("No grant for tool 'write_file'");

    // --allow lets it run.
    server.script.toolUse('write_file', { path: 'x.txt', content: 'x' }).text('Wrote it.');
    const allowed = await runCli(['run', '--allow', 'write_file', '--', 'write x'], { cwd: project, env: withServer() });
    expect(allowed.code).toBe(0);
    expect(existsSync(path.join(project, 'x.txt'))).toBe(true);
  });

  it('exits with 1 and a readable message when the provider fails', async () => {
    server.script.error(401, { message: 'invalid x-api-key' });
    const r = await runCli(['run', 'hello'], { cwd: tempProject(), env: withServer() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/401|invalid x-api-key|authentication/i);
  });

  it('rejects bad flags and bad config files with exit code 2', async () => {
    let r = await runCli(['--provider', 'nope', 'run', 'x'], { cwd: tempProject(), env: withServer() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope');

    const project = tempProject();
    writeFileSync(path.join(project, 'mixtape.config.json'), '{ "systemPrompt": 42, "colour": "red" }');
    r = await runCli(['run', 'x'], { cwd: project, env: withServer() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mixtape.config.json is invalid');
    expect(r.stderr).toContain('systemPrompt');
    expect(r.stderr).toContain('colour');

    r = await runCli(['run'], { cwd: tempProject(), env: withServer() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no prompt');
  });

  it('uses the config file: system prompt, model and tools', async () => {
    const project = tempProject();
    writeFileSync(
      path.join(project, 'mixtape.config.json'),
      JSON.stringify({
        systemPrompt: 'You are terse.',
        model: 'claude-haiku-4-5',
        tools: ['none'],
        contextFiles: [{ content: 'Project rule: be kind.' }],
      }),
    );
    server.script.text('ok');
    const r = await runCli(['run', 'hi'], { cwd: project, env: withServer() });
    expect(r.code).toBe(0);
    const body = server.requests.at(-1)!.body;
    expect(body.model).toContain('haiku');
    expect(JSON.stringify(body.system)).toContain('You are terse.');
    expect(JSON.stringify(body.system)).toContain('Project rule: be kind.');
    expect(body.tools ?? []).toEqual([]);
  });

  it('adds the tools of MCP servers named in the config file', async () => {
    const project = tempProject();
    const bin = path.join(repoRoot, 'node_modules/.bin/mcp-server-everything');
    writeFileSync(
      path.join(project, 'mixtape.config.json'),
      JSON.stringify({ tools: ['none'], mcpServers: { everything: { command: bin, args: ['stdio'] } } }),
    );
    server.script.toolUse('everything_echo', { message: 'from mixtape' }).text('Echoed.');
    const r = await runCli(['run', '--json', '--allow', 'everything_echo', '--', 'echo something'], { cwd: project, env: withServer() });
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; outputText?: string });
    expect(events.find((e) => e.type === 'tool_completed')?.outputText).toBe('Echo: from mixtape');
    expect(server.requests.at(-2)!.body.tools.map((t: { name: string }) => t.name)).toContain('everything_echo');
  });

  it('--sandbox runs commands in bubblewrap: writes in the folder only; without bwrap it exits 2 with advice', async () => {
    const project = tempProject();
    const outside = tempProject();
    // The markers are computed by the shell, so the command's own text (echoed in the result) never contains them.
    const command = `touch inside.txt && echo INSIDE-$((1+1)); touch ${outside}/escaped.txt && echo OUTSIDE-$((1+1))`;
    server.script.toolUse('start_process', { command, wait_ms: 10_000 }).text('Done.');
    const r = await runCli(['run', '--sandbox', '--allow', 'start_process', '--', 'touch two files'], { cwd: project, env: withServer() });
    expect(r.stderr).not.toContain('sandbox cannot run');
    expect(r.code).toBe(0);
    expect(existsSync(path.join(project, 'inside.txt'))).toBe(true);
    expect(existsSync(path.join(outside, 'escaped.txt'))).toBe(false);
    const toolResult = JSON.stringify(server.requests.at(-1)!.body.messages.at(-1));
    expect(toolResult).toContain('INSIDE-2');
    expect(toolResult).not.toContain('OUTSIDE-2');

    // Where bubblewrap cannot run: CLI advice, exit 2, no model call.
    const broken = tempProject();
    writeFileSync(path.join(broken, 'mixtape.config.json'), JSON.stringify({ sandbox: { bwrapPath: '/nonexistent/bwrap' } }));
    const before = server.requests.length;
    const refused = await runCli(['run', '--sandbox', 'hello'], { cwd: broken, env: withServer() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('/nonexistent/bwrap does not exist');
    expect(refused.stderr).toContain('apt-get install bubblewrap');
    expect(refused.stderr).toContain('without --sandbox');
    expect(server.requests.length).toBe(before);
  });

  it('--max-cost stops a run before a model call that would exceed it (exit 1, the flag to raise); bad values exit 2', async () => {
    const before = server.requests.length;
    let r = await runCli(['run', '--max-cost', '0.000001', 'hello'], { cwd: tempProject(), env: withServer() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('run budget of $0.0000 would be exceeded');
    expect(r.stderr).toContain('Raise --max-cost');
    expect(r.stderr).toContain('"maxCostUsd"');
    expect(server.requests.length).toBe(before);

    // The config's budget, checked entry by entry: the bad entry is named.
    const project = tempProject();
    writeFileSync(path.join(project, 'mixtape.config.json'), JSON.stringify({ budget: { run: { maxTokens: -5 } } }));
    r = await runCli(['run', 'hello'], { cwd: project, env: withServer() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('budget.run.maxTokens');

    r = await runCli(['run', '--max-cost', 'lots', 'hello'], { cwd: tempProject(), env: withServer() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-cost "lots": expected a positive number');

    // A budget that fits lets the run through.
    server.script.text('Cheap answer.');
    writeFileSync(path.join(project, 'mixtape.config.json'), JSON.stringify({ budget: { run: { maxCostUsd: 5, maxTokens: 1_000_000 } } }));
    r = await runCli(['run', 'hello'], { cwd: project, env: withServer() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Cheap answer.\n');
  });

  it('--help and --version print and exit with 0', async () => {
    let r = await runCli(['--help'], { cwd: tempProject(), env: cleanEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: mixtape');
    expect(r.stdout).toContain('run [options] [prompt...]');
    r = await runCli(['--version'], { cwd: tempProject(), env: cleanEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('replays the example cassette with no account and no network', async () => {
    const cassette = path.join(repoRoot, 'examples/cassettes/tour.cassette.json');
    const r = await runCli(['--replay', cassette, 'run', 'Show me around'], { cwd: tempProject(), env: cleanEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Welcome to **mixtape**!');
  });
});
