/**
 * The failed-run rule end to end: a real SQLite file, the real Anthropic provider and the fake
 * Anthropic server (real HTTP on 127.0.0.1). Runs that fail before the model answered — no API
 * key (the README quick start run without one), 401, 500 — leave their prompts stored but never
 * send them again, and the session never holds two prompts in a row without an answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { Agent, ClaudeSonnet4_6, isUnansweredPromptNote } from '@mixtape/core';
import { validateHistory } from '@mixtape/core/testing';
import { anthropic } from '@mixtape/anthropic';
import { type FakeServer, startFakeAnthropic } from '@mixtape/testing';
import { SqliteSessionStore } from '@mixtape/sqlite';

const folder = mkdtempSync(join(tmpdir(), 'mixtape-failed-runs-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let server: FakeServer;
const saved = { key: process.env['ANTHROPIC_API_KEY'], token: process.env['ANTHROPIC_AUTH_TOKEN'] };
beforeEach(async () => {
  server = await startFakeAnthropic({ apiKey: 'good-key' });
  delete process.env['ANTHROPIC_API_KEY'];
  delete process.env['ANTHROPIC_AUTH_TOKEN'];
});
afterEach(async () => {
  await server.close();
  if (saved.key !== undefined) process.env['ANTHROPIC_API_KEY'] = saved.key;
  if (saved.token !== undefined) process.env['ANTHROPIC_AUTH_TOKEN'] = saved.token;
});

it('no key, 401 and 500: every prompt is stored once, closed by a note, and never sent again', async () => {
  const store = new SqliteSessionStore(join(folder, 'sessions.db'), { directory: '/quick-start' });
  const run = (apiKey: string | undefined, prompt: string) =>
    new Agent({
      model: anthropic(ClaudeSonnet4_6, { ...(apiKey ? { apiKey } : {}), baseURL: server.baseURL, retry: { maxAttempts: 1 } }),
      sessionStore: store,
    }).run(prompt);

  // The README quick start, three times without a key.
  for (let i = 0; i < 3; i++) await expect(run(undefined, 'What is 2 + 2?')).rejects.toMatchObject({ kind: 'provider' });
  await expect(run('wrong-key', 'What is 2 + 2? (wrong key)')).rejects.toMatchObject({ kind: 'provider' });
  // One agent (one process) that sees its run fail with 500, then succeeds.
  const agent = new Agent({
    model: anthropic(ClaudeSonnet4_6, { apiKey: 'good-key', baseURL: server.baseURL, retry: { maxAttempts: 1 } }),
    sessionStore: store,
  });
  server.script.error(500);
  await expect(agent.run('What is 2 + 2? (server error)')).rejects.toMatchObject({ kind: 'provider' });
  server.script.text('4');
  expect((await agent.run('What is 2 + 2? (finally)')).text).toBe('4');

  // What the model was sent: only the last prompt.
  const answered = server.requests.filter((r) => r.apiKey === 'good-key');
  const last = answered.at(-1)!.body as { messages: { role: string; content: { type: string; text?: string }[] | string }[] };
  expect(last.messages).toHaveLength(1);
  expect(JSON.stringify(last.messages)).toContain('What is 2 + 2? (finally)');
  expect(JSON.stringify(last.messages)).not.toContain('(server error)');

  // What is stored: each prompt once, each unanswered one closed by a note saying why.
  const session = await store.getOrCreateSession();
  const stored = session.messages.map((m) => (isUnansweredPromptNote(m) ? `note: ${m.content}` : m.content));
  expect(stored.filter((c) => c === 'What is 2 + 2?')).toHaveLength(3);
  expect(stored.filter((c) => c.startsWith('note: '))).toHaveLength(5);
  expect(stored.at(-2)).toBe('What is 2 + 2? (finally)');
  expect(stored.at(-1)).toBe('4');
  // A later process only knows the run ended unanswered; the process that saw the error says which.
  expect(stored[1]).toMatch(/the run ended before the model answered/);
  expect(stored.at(-3)).toMatch(/^note: .*the run failed before the model answered .*(500|server)/i);
  for (let i = 1; i < session.messages.length; i++)
    expect(session.messages[i]!.role === 'user' && session.messages[i - 1]!.role === 'user').toBe(false);
  const { fromSessionMessages } = await import('@mixtape/core');
  expect(validateHistory(fromSessionMessages(session.messages))).toEqual([]);
  await store.close();
});
