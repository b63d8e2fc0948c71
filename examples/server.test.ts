import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpAgent } from '@ag-ui/client';
import type { BaseEvent } from '@ag-ui/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresSkipReason } from '../test-support/postgres.js';
import { exited, spawnTs, waitForOutput } from '../test-support/processes.js';

const example = fileURLToPath(new URL('./server.ts', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'mixtape-example-server-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const TOKEN = 'example-token';

async function startExample(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const { ANTHROPIC_API_KEY: _, DATABASE_URL: __, ...rest } = process.env;
  const child = spawnTs(example, [], { env: { ...rest, PORT: '0', MIXTAPE_TOKEN: TOKEN, ...env } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const url = (await waitForOutput(child, /^Chat page: (http:\/\/127\.0\.0\.1:\d+)\/#token=/))[1]!;
  return { child, url, output: () => out };
}

async function chat(agent: HttpAgent, text: string | null, resume?: unknown[]): Promise<{ result: unknown; events: BaseEvent[] }> {
  if (text !== null) agent.addMessage({ id: randomUUID(), role: 'user', content: text });
  const events: BaseEvent[] = [];
  const { result } = await agent.runAgent(resume ? { resume: resume as never } : {}, { onEvent: ({ event }) => void events.push(event) });
  return { result, events };
}

async function conversation(url: string): Promise<void> {
  const agent = new HttpAgent({ url: `${url}/agent`, threadId: randomUUID(), headers: { Authorization: `Bearer ${TOKEN}` } });
  expect((await chat(agent, 'hello')).result).toBe('You said: hello');
  expect((await chat(agent, 'add 2 40')).result).toBe('Done: 42'); // trusted tool: no approval
  // save_note asks first: the run ends with an AG-UI interrupt, the next run answers it.
  const asked = await chat(agent, 'note buy milk');
  const finished = asked.events.find((e) => e.type === 'RUN_FINISHED') as BaseEvent & {
    outcome: { type: string; interrupts: Array<{ id: string; message: string }> };
  };
  expect(finished.outcome.type).toBe('interrupt');
  expect(finished.outcome.interrupts[0]!.message).toContain('save_note');
  const saved = await chat(agent, null, [
    { interruptId: finished.outcome.interrupts[0]!.id, status: 'resolved', payload: { approved: true } },
  ]);
  expect(saved.result).toBe('Done: Saved note #1');
  const history = (await (
    await fetch(`${url}/threads/${agent.threadId}/messages`, { headers: { authorization: `Bearer ${TOKEN}` } })
  ).json()) as { messages: unknown[] };
  expect(history.messages.length).toBeGreaterThanOrEqual(8);
}

describe('examples/server.ts', () => {
  it('serves the demo agent over AG-UI with SQLite sessions, asks before save_note, and stops gracefully on SIGTERM', async () => {
    const { child, url, output } = await startExample({ MIXTAPE_SQLITE_PATH: join(folder, 'sessions.db') });
    expect(output()).toContain('sessions in SQLite');
    expect(output()).toContain(`Chat page: ${url}/#token=${TOKEN}`);
    await conversation(url);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(output()).toContain('Server stopped.');
  });

  it.skipIf(postgresSkipReason !== null)('runs the same on PostgreSQL with DATABASE_URL', async () => {
    const { child, url, output } = await startExample({ DATABASE_URL: await createTestDatabase('example_server') });
    expect(output()).toContain('sessions in PostgreSQL');
    await conversation(url);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });
});
