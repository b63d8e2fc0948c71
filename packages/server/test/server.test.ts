import { randomUUID } from 'node:crypto';
import type { BaseEvent } from '@ag-ui/core';
import { type AgentEvent, MemoryGrantStore } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { createServer, DEFAULT_BODY_LIMIT_BYTES, MemoryRunCoordinator, PERMISSION_REQUIRED_EVENT } from '@mixtape/server';
import { describe, expect, it } from 'vitest';
import { approve, deferred, postRun, runInput, say, serversClosedAfterEach, TOKEN } from './helpers.js';

const start = serversClosedAfterEach();

const types = (events: BaseEvent[]): string[] => events.map((e) => e.type);

const json = async (r: Response): Promise<any> => r.json();
/** Approvals that hold the run open (`approvals: 'wait'`, CUSTOM events + the approvals endpoint). */
const interactive = () => ({
  agentOptions: { grantStore: new MemoryGrantStore(), interactive: true },
  server: { approvals: 'wait' as const },
});

describe('AG-UI over SSE with the official client', () => {
  it('streams a text answer as RUN_STARTED, TEXT_MESSAGE_START/CONTENT/END, STATE_SNAPSHOT, RUN_FINISHED', async () => {
    const s = await start({ model: new ScriptedModel().text('Hello from Mixtape!') });
    const client = s.client();
    const { events, result, error } = await say(client, 'Hi');
    expect(error).toBeUndefined();
    expect(result).toBe('Hello from Mixtape!');
    const t = types(events);
    expect(t[0]).toBe('RUN_STARTED');
    expect(events[0]).toMatchObject({ threadId: client.threadId, protocolVersion: '1.0' });
    expect(t.at(-1)).toBe('RUN_FINISHED');
    expect(t.filter((x) => x === 'TEXT_MESSAGE_CONTENT').length).toBeGreaterThan(1); // streamed in pieces
    expect(t.indexOf('TEXT_MESSAGE_START')).toBeLessThan(t.indexOf('TEXT_MESSAGE_END'));
    expect(t).toContain('STATE_SNAPSHOT');
    const assistant = client.messages.find((m) => m.role === 'assistant');
    expect(assistant?.content).toBe('Hello from Mixtape!');
    // Mixtape's numbers travel in RUN_FINISHED's metadata, never in the client's state.
    expect(client.state).toEqual({});
    const finished = events.at(-1) as BaseEvent & {
      threadId: string;
      usage: Array<{ outputTokens: number }>;
      metadata: { mixtape: { messageCount: number } };
    };
    expect(finished.metadata.mixtape.messageCount).toBe(2);
    expect(finished.threadId).toBe(client.threadId);
    expect(finished.usage[0]!.outputTokens).toBeGreaterThan(0);
  });

  it('streams tool calls as TOOL_CALL_START/ARGS/END/RESULT and the client assembles them', async () => {
    const s = await start({ model: new ScriptedModel().toolUse('add', { a: 2, b: 3 }, 'call_1').text('2 + 3 = 5') });
    const client = s.client();
    const { events } = await say(client, 'What is 2 + 3?');
    const t = types(events);
    expect(t.slice(t.indexOf('TOOL_CALL_START'), t.indexOf('TOOL_CALL_RESULT') + 1)).toEqual([
      'TOOL_CALL_START',
      'TOOL_CALL_ARGS',
      'TOOL_CALL_END',
      'TOOL_CALL_RESULT',
    ]);
    const call = client.messages.find((m) => m.role === 'assistant' && m.toolCalls?.length);
    expect(call && 'toolCalls' in call ? call.toolCalls![0] : undefined).toMatchObject({
      id: 'call_1',
      function: { name: 'add', arguments: '{"a":2,"b":3}' },
    });
    expect(client.messages.find((m) => m.role === 'tool')).toMatchObject({ toolCallId: 'call_1', content: '5' });
    expect(client.messages.at(-1)).toMatchObject({ role: 'assistant', content: '2 + 3 = 5' });
  });

  it('streams thinking as REASONING events before the answer', async () => {
    const s = await start({ model: new ScriptedModel().thinking('Two plus two is four.').text('4') });
    const { events, result } = await say(s.client(), '2+2?');
    expect(result).toBe('4');
    const t = types(events).filter((x) => x.startsWith('REASONING') || x.startsWith('TEXT_MESSAGE'));
    expect(t).toEqual([
      'REASONING_START',
      'REASONING_MESSAGE_START',
      'REASONING_MESSAGE_CONTENT',
      'REASONING_MESSAGE_END',
      'REASONING_END',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_END',
    ]);
    expect((events.find((e) => e.type === 'REASONING_MESSAGE_CONTENT') as BaseEvent & { delta: string }).delta).toBe(
      'Two plus two is four.',
    );
  });

  it('keeps the history in the session store: the client replays its transcript, nothing is duplicated', async () => {
    const s = await start({ model: new ScriptedModel().text('Nice to meet you, Ada.').text('Your name is Ada.') });
    const client = s.client();
    await say(client, 'My name is Ada.');
    await say(client, 'What is my name?'); // the client sends all four messages
    const session = (await s.store.getSession(client.threadId))!;
    expect(session.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'My name is Ada.'],
      ['assistant', 'Nice to meet you, Ada.'],
      ['user', 'What is my name?'],
      ['assistant', 'Your name is Ada.'],
    ]);
    // The model saw the earlier turn, from the store.
    expect(s.model.requests[1]!.messages).toHaveLength(3);
    const history = await json(
      await fetch(`${s.url}/threads/${client.threadId}/messages`, { headers: { authorization: `Bearer ${TOKEN}` } }),
    );
    expect(history.messages.map((m: { content: string }) => m.content)).toEqual(session.messages.map((m) => m.content));
  });

  it('a failing model ends the stream with RUN_ERROR carrying the reason; the session stays usable', async () => {
    const s = await start({ model: new ScriptedModel().error(new Error('provider exploded')).text('better now') });
    const client = s.client();
    const first = await say(client, 'hi');
    const runError = first.events.find((e) => e.type === 'RUN_ERROR') as BaseEvent & { message: string };
    expect(runError.message).toMatch(/provider exploded/);
    const second = await say(client, 'again');
    expect(second.result).toBe('better now');
  });
});

describe('approvals over HTTP', () => {
  it('a tool needing permission pauses the run with a CUSTOM event; POST once resumes it', async () => {
    const s = await start({ model: new ScriptedModel().toolUse('add', { a: 1, b: 1 }).text('It is 2.'), ...interactive() });
    const client = s.client();
    const answers: Response[] = [];
    const { events, result } = await say(client, '1+1?', (e) => {
      if (e.type === 'CUSTOM' && (e as { name?: string }).name === PERMISSION_REQUIRED_EVENT) {
        const v = (e as unknown as { value: { proposalId: string; approvalPath: string; toolName: string; params: unknown } }).value;
        expect(v.toolName).toBe('add');
        expect(v.params).toEqual({ a: 1, b: 1 });
        void fetch(`${s.url}${v.approvalPath}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ action: 'once' }),
        }).then((r) => answers.push(r));
      }
    });
    expect(result).toBe('It is 2.');
    expect(answers.map((r) => r.status)).toEqual([200]);
    expect(client.messages.find((m) => m.role === 'tool')?.content).toBe('2');
    const resolved = events.find(
      (e) => e.type === 'CUSTOM' && (e as { name?: string }).name === 'mixtape.permission_resolved',
    ) as unknown as { value: { decision: string } };
    expect(resolved.value.decision).toBe('granted');
  });

  it('deny sends the reason to the model as the tool result; unknown proposals and bad bodies are refused', async () => {
    const s = await start({ model: new ScriptedModel().toolUse('add', { a: 1, b: 1 }).text('OK, I will not.'), ...interactive() });
    const client = s.client();
    const statuses: number[] = [];
    let answering: Promise<void> | undefined;
    const { result } = await say(client, '1+1?', (e) => {
      if (e.type === 'CUSTOM' && (e as { name?: string }).name === PERMISSION_REQUIRED_EVENT) {
        const { proposalId } = (e as unknown as { value: { proposalId: string } }).value;
        answering = (async () => {
          statuses.push((await approve(s.url, client.threadId, proposalId, { action: 'maybe' })).status);
          statuses.push((await approve(s.url, client.threadId, 'no-such-proposal', { action: 'once' })).status);
          statuses.push((await approve(s.url, client.threadId, proposalId, { action: 'deny', reason: 'not on Fridays' })).status);
          statuses.push((await approve(s.url, client.threadId, proposalId, { action: 'once' })).status); // already answered
        })();
      }
    });
    expect(result).toBe('OK, I will not.');
    await answering;
    expect(statuses).toEqual([400, 404, 200, 404]);
    expect(JSON.stringify(s.model.requests[1]!.messages.at(-1))).toContain('not on Fridays');
  });

  it('"tool" with a scope is remembered: the next call of that tool on the thread runs without asking', async () => {
    const s = await start({
      model: new ScriptedModel().toolUse('add', { a: 1, b: 1 }).text('2').toolUse('add', { a: 2, b: 2 }).text('4'),
      ...interactive(),
    });
    const client = s.client();
    let asked = 0;
    const answer = (e: BaseEvent) => {
      if (e.type === 'CUSTOM' && (e as { name?: string }).name === PERMISSION_REQUIRED_EVENT) {
        asked++;
        void approve(s.url, client.threadId, (e as unknown as { value: { proposalId: string } }).value.proposalId, {
          action: 'tool',
          scope: 'session',
        });
      }
    };
    await say(client, 'first', answer);
    const second = await say(client, 'second', answer);
    expect(second.result).toBe('4');
    expect(asked).toBe(1);
  });

  it('keeps a paused stream alive with SSE comments that the AG-UI client ignores', async () => {
    const s = await start({
      model: new ScriptedModel().toolUse('add', { a: 3, b: 3 }).text('6').toolUse('add', { a: 3, b: 3 }).text('still 6'),
      ...interactive(),
      server: { heartbeatMs: 1, approvals: 'wait' },
    });
    const threadId = randomUUID();
    const raw = await postRun(s.url, runInput(threadId, '3+3'));
    const reader = raw.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    while (!/: keepalive[\s\S]*mixtape\.permission_required|mixtape\.permission_required[\s\S]*: keepalive/.test(seen))
      seen += (await reader.read()).value ?? '';
    const proposalId = /"proposalId":"([^"]+)"/.exec(seen)![1]!;
    await approve(s.url, threadId, proposalId, { action: 'once' });
    while (!seen.includes('RUN_FINISHED')) seen += (await reader.read()).value ?? '';
    // The official client reads a paused run with keepalive comments interleaved.
    const client = s.client(threadId);
    const again = await say(client, 'and again?', (e) => {
      if (e.type === 'CUSTOM' && (e as { name?: string }).name === PERMISSION_REQUIRED_EVENT)
        void approve(s.url, threadId, (e as unknown as { value: { proposalId: string } }).value.proposalId, { action: 'once' });
    });
    expect(again.error).toBeUndefined();
    expect(again.result).toBe('still 6');
  });

  it('GET /threads/:id/approvals lists what a paused run waits for', async () => {
    const s = await start({ model: new ScriptedModel().toolUse('add', { a: 4, b: 4 }).text('8'), ...interactive() });
    const client = s.client();
    const listed: unknown[] = [];
    await say(client, '4+4', (e) => {
      if (e.type === 'CUSTOM' && (e as { name?: string }).name === PERMISSION_REQUIRED_EVENT) {
        const { proposalId } = (e as unknown as { value: { proposalId: string } }).value;
        void (async () => {
          const r = await fetch(`${s.url}/threads/${client.threadId}/approvals`, { headers: { authorization: `Bearer ${TOKEN}` } });
          listed.push(...(await json(r)).approvals);
          await approve(s.url, client.threadId, proposalId, { action: 'once' });
        })();
      }
    });
    expect(listed).toMatchObject([{ toolName: 'add', params: { a: 4, b: 4 } }]);
  });
  it('when approvals cannot be recorded, the run ends with RUN_ERROR, the agent stops and the thread is free again', async () => {
    class BrokenCoordinator extends MemoryRunCoordinator {
      override async expectApproval(): Promise<() => Promise<void>> {
        throw new Error('coordination database unreachable');
      }
    }
    const s = await start({
      model: new ScriptedModel().toolUse('add', { a: 1, b: 1 }).text('next run'),
      coordinator: new BrokenCoordinator(),
      ...interactive(),
    });
    const client = s.client();
    const { events } = await say(client, '1+1');
    expect((events.at(-1) as BaseEvent & { message?: string }).message).toMatch(/coordination database unreachable/);
    expect(s.server.activeRuns).toBe(0);
    expect((await say(client, 'again')).result).toBe('next run');
  });
});

describe('production basics', () => {
  it('needs the bearer token on the API, but not on /health and the chat page', async () => {
    const s = await start({ model: new ScriptedModel().text('hi') });
    expect((await postRun(s.url, runInput('t1', 'hi'), null)).status).toBe(401);
    expect((await postRun(s.url, runInput('t1', 'hi'), 'wrong')).status).toBe(401);
    expect((await fetch(`${s.url}/threads/t1/messages`)).status).toBe(401);
    expect((await approve(s.url, 't1', 'p', { action: 'once' }, 'wrong')).status).toBe(401);
    const health = await fetch(`${s.url}/health`);
    expect(health.status).toBe(200);
    expect(await json(health)).toEqual({ status: 'ok', activeRuns: 0 });
    expect((await fetch(`${s.url}/`)).headers.get('content-type')).toMatch(/text\/html/);
    const { error } = await say(s.client(undefined, 'wrong'), 'hi');
    expect(error?.message).toMatch(/401/);
  });

  it('reports an agentFactory that ignores the thread id (its conversation would be lost to other instances)', async () => {
    const logged: unknown[] = [];
    const s = await start({
      model: new ScriptedModel().text('hi'),
      agentOptions: { sessionId: 'always-the-same' },
      server: { onError: (e) => logged.push(e) },
    });
    await say(s.client(), 'hello');
    expect(String(logged[0])).toMatch(/session is always-the-same, not the thread .*Pass sessionId: threadId/);
  });

  it('auth is required unless explicitly disabled', async () => {
    const base = {
      agentFactory: () => {
        throw new Error('unused');
      },
      sessionStore: new (await import('@mixtape/core')).MemorySessionStore(),
    };
    expect(() => createServer({ ...base } as never)).toThrow(/auth: \{ token/);
    expect(() => createServer({ ...base, auth: { token: '' } })).toThrow(/auth/);
    const s = await start({ model: new ScriptedModel().text('open'), server: { auth: { disabled: true } } });
    const r = await postRun(s.url, runInput(randomUUID(), 'hi'), null);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('RUN_FINISHED');
  });

  it('refuses bodies over the limit with 413, and invalid input with 400 saying what is wrong', async () => {
    const s = await start({ server: { bodyLimitBytes: 2_000 } });
    expect(DEFAULT_BODY_LIMIT_BYTES).toBe(1_048_576);
    const big = await postRun(s.url, runInput('t', 'x'.repeat(5_000)));
    expect(big.status).toBe(413);
    expect((await json(big)).message).toMatch(/2000 bytes/);
    const bad = await postRun(s.url, '{not json');
    expect(bad.status).toBe(400);
    const missing = await postRun(s.url, { threadId: 't' });
    expect(missing.status).toBe(400);
    expect((await json(missing)).message).toMatch(/runId|messages/);
    const notUser = await postRun(s.url, { ...runInput('t', 'x'), messages: [{ id: '1', role: 'assistant', content: 'hi' }] });
    expect((await json(notUser)).message).toMatch(/role "assistant"/);
  });

  it('a second run on a busy thread gets 409; other threads run meanwhile', async () => {
    const s = await start({ model: new ScriptedModel().toolUse('add', { a: 1, b: 2 }).text('other thread').text('3'), ...interactive() });
    const client = s.client();
    const paused = deferred<string>();
    const run = say(client, '1+2', (e) => {
      if (e.type === 'CUSTOM' && (e as { name?: string }).name === PERMISSION_REQUIRED_EVENT)
        paused.resolve((e as unknown as { value: { proposalId: string } }).value.proposalId);
    });
    const proposalId = await paused.promise;
    const busy = await postRun(s.url, runInput(client.threadId, 'me too'));
    expect(busy.status).toBe(409);
    expect((await json(busy)).error).toBe('thread_busy');
    expect(await say(s.client(), 'meanwhile').then((r) => r.result)).toBe('other thread');
    await approve(s.url, client.threadId, proposalId, { action: 'once' });
    expect((await run).result).toBe('3');
  });

  it('a client that disconnects cancels its run; the thread stays valid and usable', async () => {
    const s = await start({ model: new ScriptedModel().stall().text('after reconnect') });
    const client = s.client();
    const ended = deferred<AgentEvent>();
    const streaming = deferred();
    const controller = new AbortController();
    const response = fetch(`${s.url}/agent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(runInput(client.threadId, 'this will hang')),
      signal: controller.signal,
    });
    void (await response)
      .body!.getReader()
      .read()
      .then(() => streaming.resolve());
    await streaming.promise; // RUN_STARTED arrived: the run is going
    s.agents[0]!.addHook((e) => void (e.type === 'run_failed' && ended.resolve(e)));
    controller.abort();
    expect(await ended.promise).toMatchObject({ type: 'run_failed', aborted: true });
    const again = await say(client, 'hello again');
    expect(again.result).toBe('after reconnect');
    const session = (await s.store.getSession(client.threadId))!;
    // Core closes the cancelled turn with a marker answer, so the history stays valid.
    const contents = session.messages.map((m) => m.content);
    expect(contents).toHaveLength(4);
    expect([contents[0], contents[2], contents[3]]).toEqual(['this will hang', 'hello again', 'after reconnect']);
    expect(contents[1]).toMatch(/^\[No answer: /);
  });

  it('graceful shutdown lets a running run finish, refuses new runs, and cancels what is left after the grace period', async () => {
    const s = await start({ model: new ScriptedModel().toolUse('add', { a: 1, b: 1 }).stall().text('finished in time'), ...interactive() });
    const a = s.client();
    const paused = deferred<string>();
    const first = say(a, 'finish me', (e) => {
      if (e.type === 'CUSTOM' && (e as { name?: string }).name === PERMISSION_REQUIRED_EVENT)
        paused.resolve((e as unknown as { value: { proposalId: string } }).value.proposalId);
    });
    const proposalId = await paused.promise;
    const b = s.client();
    const secondStarted = deferred();
    const second = say(b, 'stall me', (e) => void (e.type === 'RUN_STARTED' && secondStarted.resolve()));
    await secondStarted.promise;

    const closing = s.running.close({ graceMs: 60_000 });
    expect(s.server.draining).toBe(true);
    expect((await s.server.fetch(new Request('http://x/health'))).status).toBe(503);
    const refused = await s.server.fetch(
      new Request('http://127.0.0.1/agent', {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(runInput('new', 'hi')),
      }),
    );
    expect(refused.status).toBe(503);
    // The paused run is answered and finishes within the grace period.
    expect((await approve(s.url, a.threadId, proposalId, { action: 'once' })).status).toBe(200);
    expect((await first).result).toBe('finished in time');
    expect(s.server.activeRuns).toBe(1);
    // The stalled run is still going; cut the grace period short by shutting down again with none.
    await s.server.shutdown({ graceMs: 0 });
    const cancelled = await second;
    const last = cancelled.events.at(-1) as BaseEvent & { outcome?: { type: string } };
    expect(last.type).toBe('RUN_FINISHED');
    expect(last.outcome).toEqual({ type: 'cancelled' });
    await closing;
    expect(s.server.activeRuns).toBe(0);
    expect((await s.store.getSession(b.threadId))!.messages.map((m) => m.content)).toEqual(['stall me']);
  });
});
