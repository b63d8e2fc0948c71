import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { HttpAgent } from '@ag-ui/client';
import { PERMISSION_REQUIRED_EVENT } from '@mixtape/server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../../../test-support/postgres.js';
import { exited, spawnTs, waitForOutput } from '../../../test-support/processes.js';
import { approve, deferred, postRun, runInput, say, TOKEN } from './helpers.js';

const instance = fileURLToPath(new URL('./fixtures/instance.ts', import.meta.url));

describePostgres('two server processes on one PostgreSQL', () => {
  const children: ChildProcess[] = [];
  const urls: Record<string, string> = {};
  beforeAll(async () => {
    const db = await createTestDatabase('multi_instance');
    await Promise.all(
      ['A', 'B'].map(async (name) => {
        const child = spawnTs(instance, [name, db, TOKEN]);
        children.push(child);
        urls[name] = (await waitForOutput(child, /^listening (http:\/\/127\.0\.0\.1:\d+)$/))[1]!;
      }),
    );
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    expect(await Promise.all(children.map(exited))).toEqual([0, 0]);
  });
  const client = (name: string, threadId: string) =>
    new HttpAgent({ url: `${urls[name]}/agent`, threadId, headers: { Authorization: `Bearer ${TOKEN}` } });

  it('a conversation started on one instance continues on the other', async () => {
    const threadId = randomUUID();
    expect((await say(client('A', threadId), 'hello')).result).toBe('A heard 1 user messages: hello');
    expect((await say(client('B', threadId), 'again')).result).toBe('B heard 2 user messages: hello | again');
    expect((await say(client('A', threadId), 'and once more')).result).toBe('A heard 3 user messages: hello | again | and once more');
    const history = await fetch(`${urls.B}/threads/${threadId}/messages`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await history.json()) as { messages: unknown[] }).messages).toHaveLength(6);
  });

  it('a run paused on one instance is answered through the other; a second run of the thread is refused by both', async () => {
    const threadId = randomUUID();
    const paused = deferred<string>();
    const run = say(client('A', threadId), 'add 2 3', (e) => {
      if (e.type === 'CUSTOM' && (e as { name?: string }).name === PERMISSION_REQUIRED_EVENT)
        paused.resolve((e as unknown as { value: { proposalId: string } }).value.proposalId);
    });
    const proposalId = await paused.promise;
    for (const name of ['A', 'B']) expect((await postRun(urls[name]!, runInput(threadId, 'me too'))).status).toBe(409);
    const listed = await fetch(`${urls.B}/threads/${threadId}/approvals`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await listed.json()) as { approvals: unknown[] }).approvals).toMatchObject([
      { proposalId, toolName: 'add', params: { a: 2, b: 3 } },
    ]);
    expect((await approve(urls.B!, threadId, proposalId, { action: 'once' })).status).toBe(200);
    expect((await run).result).toBe('A: the tool said 5');
    expect((await approve(urls.B!, threadId, proposalId, { action: 'once' })).status).toBe(404);
    // The lock is free again, on both instances.
    expect((await say(client('B', threadId), 'done?')).result).toBe('B heard 2 user messages: add 2 3 | done?');
  });

  it('a client that disconnects from one instance frees the thread for the other', async () => {
    const threadId = randomUUID();
    const controller = new AbortController();
    const response = await fetch(`${urls.A}/agent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(runInput(threadId, 'stall')),
      signal: controller.signal,
    });
    // Read until the model streams: the user message is stored and the run is going.
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (let seen = ''; !seen.includes('TEXT_MESSAGE_CONTENT');) seen += (await reader.read()).value ?? '';
    expect((await postRun(urls.B!, runInput(threadId, 'me too'))).status).toBe(409);
    controller.abort();
    // A notices the disconnect, cancels the run and releases the lock (then reports no active run).
    await expect.poll(async () => ((await (await fetch(`${urls.A}/health`)).json()) as { activeRuns: number }).activeRuns).toBe(0);
    expect((await say(client('B', threadId), 'hello')).result).toBe('B heard 2 user messages: stall | hello');
    // The partial answer was kept: the session is valid and complete up to the cancellation.
    const history = await fetch(`${urls.B}/threads/${threadId}/messages`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await history.json()) as { messages: Array<{ content: string }> }).messages.map((m) => m.content)).toEqual([
      'stall',
      'waiting…',
      'hello',
      'B heard 2 user messages: stall | hello',
    ]);
  });
});
