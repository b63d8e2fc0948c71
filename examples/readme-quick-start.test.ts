/**
 * The README's quick start, run as written: its code block is copied into a file and executed
 * against the fake Anthropic server (the SDK reads ANTHROPIC_BASE_URL), twice in one folder —
 * the second run must find the first conversation in .mixtape/sessions.db.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { startFakeAnthropic } from '@mixtape/testing';

const run = promisify(execFile);
// The child runs in a temporary folder: load tsx by absolute URL.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const readme = readFileSync(path.join(import.meta.dirname, '..', 'README.md'), 'utf8');
const block = /## Quick start\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
const file = path.join(import.meta.dirname, `.readme-quick-start-${process.pid}.ts`);
afterAll(() => rmSync(file, { force: true }));

it('the README quick start runs as written and remembers across runs', async () => {
  expect(block, 'README has a ```ts block under "## Quick start"').toBeTruthy();
  writeFileSync(file, block!);
  const server = await startFakeAnthropic();
  try {
    server.script.toolUse('add', { a: 2, b: 2 }).text('2 + 2 = 4.').text('You asked about 2 + 2.');
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'mixtape-readme-'));
    const env = { ...process.env, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: server.url };
    const first = await run(process.execPath, ['--conditions=mixtape-source', '--import', tsx, file], { cwd, env });
    expect(first.stdout).toBe('2 + 2 = 4.');
    await run(process.execPath, ['--conditions=mixtape-source', '--import', tsx, file], { cwd, env });
    // The second request carries the first conversation (prompt, tool call, result, answer) plus the new prompt.
    const second = server.requests.at(-1)!.body as { messages: unknown[] };
    expect(second.messages.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(second.messages)).toContain('2 + 2 = 4.');
  } finally {
    await server.close();
  }
});
