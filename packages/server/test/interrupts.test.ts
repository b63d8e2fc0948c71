import { randomUUID } from 'node:crypto';
import { HttpAgent } from '@ag-ui/client';
import type { BaseEvent, Interrupt } from '@ag-ui/core';
import { MemoryGrantStore, type Model, tool } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { CLIENT_TOOL_INTERRUPT_REASON } from '@mixtape/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { add, postRun, rawResume, say, serversClosedAfterEach, TOKEN } from './helpers.js';

const start = serversClosedAfterEach();
afterEach(() => void vi.useRealTimers());

const types = (events: BaseEvent[]): string[] => events.map((e) => e.type);
type Finished = BaseEvent & { result?: unknown; outcome?: { type: string; interrupts?: Interrupt[]; pendingToolCallIds?: string[] } };
const finished = (events: BaseEvent[]) => events.find((e) => e.type === 'RUN_FINISHED') as Finished;
const runError = (events: BaseEvent[]) =>
  events.find((e) => e.type === 'RUN_ERROR') as (BaseEvent & { message: string; code?: string }) | undefined;

/** `add` that counts its executions. */
function countingAdd() {
  const calls: Array<{ a: number; b: number }> = [];
  const t = tool({
    name: 'add',
    description: 'Adds two numbers',
    input: z.object({ a: z.number(), b: z.number() }),
    execute: (input) => {
      calls.push(input);
      return String(input.a + input.b);
    },
  });
  return { tool: t, calls };
}

/** A server whose `add` needs a person's approval (grant store + interactive: approvals become interrupts). */
async function approvalServer(model: ScriptedModel, extra: Record<string, unknown> = {}) {
  const counted = countingAdd();
  const s = await start({
    model,
    agentOptions: { tools: [counted.tool], grantStore: new MemoryGrantStore(), interactive: true, ...extra },
  });
  return { s, calls: counted.calls };
}

describe('approvals as AG-UI interrupts (the default)', () => {
  it('ends the run with STATE_SNAPSHOT, MESSAGES_SNAPSHOT and an interrupt outcome; resume approves and the call runs once', async () => {
    const { s, calls } = await approvalServer(new ScriptedModel().toolUse('add', { a: 1, b: 1 }, 'call_1').text('It is 2.'));
    const client = s.client();
    const first = await say(client, '1+1?');
    expect(first.error).toBeUndefined();
    const t = types(first.events);
    expect(t.slice(-3)).toEqual(['STATE_SNAPSHOT', 'MESSAGES_SNAPSHOT', 'RUN_FINISHED']);
    expect(t.filter((x) => x.startsWith('TOOL_CALL'))).toEqual(['TOOL_CALL_START', 'TOOL_CALL_ARGS', 'TOOL_CALL_END']);
    const outcome = finished(first.events).outcome!;
    expect(outcome.type).toBe('interrupt');
    expect(outcome.interrupts).toHaveLength(1);
    const interrupt = outcome.interrupts![0]!;
    expect(interrupt).toMatchObject({ reason: 'tool_call', toolCallId: 'call_1', message: expect.stringContaining('add') });
    expect(Object.keys(interrupt.responseSchema!.properties)).toEqual(expect.arrayContaining(['approved', 'editedArgs']));
    expect(Date.parse(interrupt.expiresAt!)).toBeGreaterThan(Date.now());
    expect(calls).toEqual([]);
    // The client now holds the stored history (same ids as GET /threads/:id/messages).
    const stored = (await (
      await fetch(`${s.url}/threads/${client.threadId}/messages`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { messages: Array<{ id: string }> };
    expect(client.messages.map((m) => m.id).sort()).toEqual(stored.messages.map((m) => m.id).sort());

    const second = await say(client, null, undefined, {
      resume: [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: true } }],
    });
    expect(second.error).toBeUndefined();
    expect(second.result).toBe('It is 2.');
    const t2 = types(second.events);
    expect(t2).not.toContain('TOOL_CALL_START');
    expect(t2).not.toContain('TOOL_CALL_ARGS');
    expect(second.events.find((e) => e.type === 'TOOL_CALL_RESULT')).toMatchObject({ toolCallId: 'call_1', content: '2' });
    expect(finished(second.events).outcome).toEqual({ type: 'success' });
    expect(calls).toEqual([{ a: 1, b: 1 }]);
    // Streamed ids are the stored ids.
    const after = (await (
      await fetch(`${s.url}/threads/${client.threadId}/messages`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { messages: Array<{ id: string; role: string; toolCallId?: string }> };
    const resultId = (second.events.find((e) => e.type === 'TOOL_CALL_RESULT') as BaseEvent & { messageId: string }).messageId;
    expect(after.messages.find((m) => m.role === 'tool' && m.toolCallId === 'call_1')!.id).toBe(resultId);
    const textId = (second.events.find((e) => e.type === 'TEXT_MESSAGE_START') as BaseEvent & { messageId: string }).messageId;
    expect(after.messages.at(-1)).toMatchObject({ id: textId, role: 'assistant' });
  });

  it('approve with edits runs the edited arguments; deny sends the reason to the model', async () => {
    const { s, calls } = await approvalServer(
      new ScriptedModel()
        .toolUse('add', { a: 1, b: 1 }, 'c_edit')
        .text('done')
        .toolUse('add', { a: 2, b: 2 }, 'c_deny')
        .text('ok, not adding'),
    );
    const client = s.client();
    const first = await say(client, 'add');
    const id1 = finished(first.events).outcome!.interrupts![0]!.id;
    const edited = await say(client, null, undefined, {
      resume: [{ interruptId: id1, status: 'resolved', payload: { approved: true, editedArgs: { a: 20, b: 22 } } }],
    });
    expect(edited.events.find((e) => e.type === 'TOOL_CALL_RESULT')).toMatchObject({ toolCallId: 'c_edit', content: '42' });
    expect(calls).toEqual([{ a: 20, b: 22 }]);

    const third = await say(client, 'add again');
    const id2 = finished(third.events).outcome!.interrupts![0]!.id;
    const denied = await say(client, null, undefined, {
      resume: [{ interruptId: id2, status: 'resolved', payload: { approved: false, reason: 'not on Fridays' } }],
    });
    expect(denied.result).toBe('ok, not adding');
    const result = denied.events.find((e) => e.type === 'TOOL_CALL_RESULT') as BaseEvent & {
      toolCallId: string;
      metadata?: { mixtape?: { isError?: boolean } };
    };
    expect(result.toolCallId).toBe('c_deny');
    expect(result.metadata?.mixtape?.isError).toBe(true);
    expect(JSON.stringify(s.model.requests.at(-1)!.messages.at(-1))).toContain('not on Fridays');
    expect(calls).toHaveLength(1);
  });

  it('cancel closes the interrupt without running the call; the thread takes new messages again', async () => {
    const { s, calls } = await approvalServer(new ScriptedModel().toolUse('add', { a: 1, b: 1 }).text('fresh start'));
    const client = s.client();
    const first = await say(client, 'add');
    const id = finished(first.events).outcome!.interrupts![0]!.id;
    const cancelled = await say(client, null, undefined, { resume: [{ interruptId: id, status: 'cancelled' }] });
    expect(cancelled.error).toBeUndefined();
    expect(finished(cancelled.events).outcome).toEqual({ type: 'success' });
    expect(calls).toEqual([]);
    expect((await say(client, 'hello')).result).toBe('fresh start');
  });

  it('refuses by RUN_ERROR: new input while interrupts are pending, an unknown id, a partial resume, an invalid payload', async () => {
    const { s, calls } = await approvalServer(
      new ScriptedModel()
        .toolUses([
          { name: 'add', input: { a: 1, b: 2 } },
          { name: 'add', input: { a: 3, b: 4 } },
        ])
        .text('3 and 7'),
    );
    const client = s.client();
    const first = await say(client, 'two sums');
    const interrupts = finished(first.events).outcome!.interrupts!;
    expect(interrupts).toHaveLength(2);

    // A client that does not know about the interrupts sends a new message.
    const stranger = await say(
      new HttpAgent({ url: `${s.url}/agent`, threadId: client.threadId, headers: { Authorization: `Bearer ${TOKEN}` } }),
      'hello?',
    );
    expect(runError(stranger.events)).toMatchObject({ code: 'interrupt_pending', message: expect.stringContaining('waits for 2 answer') });

    const unknown = await rawResume(s.url, client.threadId, [{ interruptId: 'int_nope', status: 'resolved', payload: { approved: true } }]);
    expect(runError(unknown)?.code).toBe('interrupt_unknown');
    const partial = await rawResume(s.url, client.threadId, [
      { interruptId: interrupts[0]!.id, status: 'resolved', payload: { approved: true } },
    ]);
    expect(runError(partial)?.code).toBe('interrupt_unanswered');
    const invalid = await rawResume(
      s.url,
      client.threadId,
      interrupts.map((i) => ({ interruptId: i.id, status: 'resolved', payload: { approved: 'yes' } })),
    );
    expect(runError(invalid)).toMatchObject({ code: 'interrupt_invalid_answer', message: expect.stringContaining('approved') });
    // Edited arguments are checked against the tool's schema (by the agent).
    const badEdit = await rawResume(
      s.url,
      client.threadId,
      interrupts.map((i) => ({ interruptId: i.id, status: 'resolved', payload: { approved: true, editedArgs: { a: 'one' } } })),
    );
    expect(runError(badEdit)).toMatchObject({ code: 'interrupt_invalid_answer', message: expect.stringContaining('edited input') });
    expect(calls).toEqual([]);

    // Still answerable after all of that.
    const done = await say(client, null, undefined, {
      resume: interrupts.map((i) => ({ interruptId: i.id, status: 'resolved', payload: { approved: true } })),
    });
    expect(done.result).toBe('3 and 7');
    expect(done.events.filter((e) => e.type === 'TOOL_CALL_RESULT').map((e) => (e as BaseEvent & { content: string }).content)).toEqual([
      '3',
      '7',
    ]);
  });

  it('an expired interrupt is refused (RUN_ERROR interrupt_expired) and can still be cancelled', async () => {
    const { s, calls } = await approvalServer(new ScriptedModel().toolUse('add', { a: 1, b: 1 }).text('after cancel'), {
      interruptTtlMs: 60_000,
    });
    const client = s.client();
    const first = await say(client, 'add');
    const interrupt = finished(first.events).outcome!.interrupts![0]!;
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(interrupt.expiresAt!) + 1 });
    const late = await rawResume(s.url, client.threadId, [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: true } }]);
    expect(runError(late)).toMatchObject({ code: 'interrupt_expired' });
    expect(calls).toEqual([]);
    const cancelled = await rawResume(s.url, client.threadId, [{ interruptId: interrupt.id, status: 'cancelled' }]);
    expect(runError(cancelled)).toBeUndefined();
    vi.useRealTimers();
    expect((await say(s.client(client.threadId), 'hi')).result).toBe('after cancel');
  });

  it('a replayed resume is idempotent: the same outcome, and the tool ran once', async () => {
    const { s, calls } = await approvalServer(new ScriptedModel().toolUse('add', { a: 2, b: 5 }).text('7, as computed'));
    const client = s.client();
    const first = await say(client, 'add');
    const id = finished(first.events).outcome!.interrupts![0]!.id;
    const resume = [{ interruptId: id, status: 'resolved', payload: { approved: true } }];
    const once = await rawResume(s.url, client.threadId, resume);
    expect(finished(once).result).toBe('7, as computed');
    const again = await rawResume(s.url, client.threadId, resume);
    expect(runError(again)).toBeUndefined();
    expect(finished(again)).toMatchObject({ result: '7, as computed', outcome: { type: 'success' } });
    expect(calls).toEqual([{ a: 2, b: 5 }]);
    expect(s.model.requests).toHaveLength(2);
  });
});

describe('client-side tools, context, state and images', () => {
  const confirmTool = {
    name: 'confirm_in_browser',
    description: 'Asks the user in the browser',
    parameters: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  };

  it('a client tool reaches the model; the run ends after its TOOL_CALL_START/ARGS/END and the tool message continues it', async () => {
    const s = await start({
      model: new ScriptedModel().toolUse('confirm_in_browser', { question: 'Proceed?' }, 'ct_1').text('You said yes.'),
    });
    const client = s.client();
    const first = await say(client, 'ask me', undefined, { tools: [confirmTool] });
    expect(first.error).toBeUndefined();
    expect(s.model.requests[0]!.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['add', 'confirm_in_browser']));
    expect(types(first.events).filter((x) => x.startsWith('TOOL_CALL'))).toEqual(['TOOL_CALL_START', 'TOOL_CALL_ARGS', 'TOOL_CALL_END']);
    expect(finished(first.events).outcome).toEqual({ type: 'success', pendingToolCallIds: ['ct_1'] });
    const call = client.messages.flatMap((m) => (m.role === 'assistant' ? (m.toolCalls ?? []) : [])).find((c) => c.id === 'ct_1');
    expect(JSON.parse(call!.function.arguments)).toEqual({ question: 'Proceed?' });

    client.addMessage({ id: randomUUID(), role: 'tool', toolCallId: 'ct_1', content: 'yes' });
    const second = await say(client, null, undefined, { tools: [confirmTool] });
    expect(second.error).toBeUndefined();
    expect(second.result).toBe('You said yes.');
    expect(JSON.stringify(s.model.requests[1]!.messages.at(-1))).toContain('yes');
  });

  it('a new message instead of the client tool result cancels the pending call and runs the message', async () => {
    const s = await start({
      model: new ScriptedModel().toolUse('confirm_in_browser', { question: 'Proceed?' }, 'ct_skip').text('Sure, something else.'),
    });
    const client = s.client();
    const first = await say(client, 'ask me', undefined, { tools: [confirmTool] });
    expect(finished(first.events).outcome).toEqual({ type: 'success', pendingToolCallIds: ['ct_skip'] });
    const second = await say(client, 'never mind, something else', undefined, { tools: [confirmTool] });
    expect(second.error).toBeUndefined();
    expect(second.result).toBe('Sure, something else.');
    const cancelled = second.events.find((e) => e.type === 'TOOL_CALL_RESULT') as BaseEvent & {
      toolCallId: string;
      metadata?: { mixtape?: { isError?: boolean } };
    };
    expect(cancelled.toolCallId).toBe('ct_skip');
    expect(cancelled.metadata?.mixtape?.isError).toBe(true);
    // The model sees the call closed as an error, then the new message.
    expect(s.model.requests[1]!.messages.at(-1)!.content).toEqual([
      expect.objectContaining({ type: 'tool_result', toolUseId: 'ct_skip', isError: true }),
      { type: 'text', text: 'never mind, something else' },
    ]);
    // The ids streamed are the stored ones.
    const stored = (await (
      await fetch(`${s.url}/threads/${client.threadId}/messages`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { messages: Array<{ id: string; role: string }> };
    const textId = (second.events.find((e) => e.type === 'TEXT_MESSAGE_START') as BaseEvent & { messageId: string }).messageId;
    expect(stored.messages.at(-1)).toMatchObject({ id: textId, role: 'assistant' });
  });

  it('approvals and client tools pending together: one interrupt outcome, answered by resume and a tool message', async () => {
    const { s, calls } = await approvalServer(
      new ScriptedModel()
        .toolUses([
          { name: 'add', input: { a: 1, b: 2 } },
          { name: 'confirm_in_browser', input: { question: 'OK?' } },
        ])
        .text('Both done.'),
    );
    const client = s.client();
    const first = await say(client, 'both', undefined, { tools: [confirmTool] });
    const outcome = finished(first.events).outcome!;
    expect(outcome.type).toBe('interrupt');
    expect(outcome.interrupts!.map((i) => i.reason).sort()).toEqual(['mixtape:client_tool', 'tool_call']);
    const approval = outcome.interrupts!.find((i) => i.reason === 'tool_call')!;
    const clientCall = outcome.interrupts!.find((i) => i.reason === CLIENT_TOOL_INTERRUPT_REASON)!;
    client.addMessage({ id: randomUUID(), role: 'tool', toolCallId: clientCall.toolCallId!, content: 'user said OK' });
    const second = await say(client, null, undefined, {
      tools: [confirmTool],
      resume: [
        { interruptId: approval.id, status: 'resolved', payload: { approved: true } },
        { interruptId: clientCall.id, status: 'resolved', payload: { content: 'user said OK' } },
      ],
    });
    expect(second.error).toBeUndefined();
    expect(second.result).toBe('Both done.');
    expect(calls).toEqual([{ a: 1, b: 2 }]);
    expect(JSON.stringify(s.model.requests[1]!.messages.at(-1))).toContain('user said OK');
  });

  it('a client tool named like a server tool is refused with 400', async () => {
    const s = await start({ model: new ScriptedModel().text('unused') });
    const r = await postRun(s.url, {
      ...{ threadId: randomUUID(), runId: randomUUID(), messages: [{ id: '1', role: 'user', content: 'hi' }], context: [] },
      tools: [{ name: 'add', description: 'mine' }],
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ error: 'tool_name_conflict', message: expect.stringContaining('"add"') });
  });

  it('context reaches the model in the system prompt', async () => {
    const s = await start({ model: new ScriptedModel().text('noted') });
    const { result } = await say(s.client(), 'what time is it?', undefined, {
      context: [{ description: 'User timezone', value: 'Europe/Paris' }],
    });
    expect(result).toBe('noted');
    expect(s.model.requests[0]!.system).toContain('Europe/Paris');
    expect(s.model.requests[0]!.system).toContain('User timezone');
  });

  it('state: a tool updates it (STATE_DELTA keeps the client keys), it is stored with the thread and comes back to a new client', async () => {
    const setColor = tool({
      name: 'set_color',
      description: 'Sets the color',
      input: z.object({ color: z.string() }),
      execute: ({ color }, ctx) => {
        ctx.state!.update((s) => ({ ...(s as object), color }));
        return `color is ${color}`;
      },
    });
    const s = await start({
      model: new ScriptedModel().toolUse('set_color', { color: 'blue' }).text('Blue it is.').text('Still blue.'),
      agentOptions: { tools: [setColor] },
    });
    const client = new HttpAgent({
      url: `${s.url}/agent`,
      threadId: randomUUID(),
      headers: { Authorization: `Bearer ${TOKEN}` },
      initialState: { theme: 'dark', items: [1, 2] },
    });
    const first = await say(client, 'make it blue');
    expect(first.result).toBe('Blue it is.');
    const delta = first.events.find((e) => e.type === 'STATE_DELTA') as BaseEvent & {
      delta: Array<{ op: string; path: string; value?: unknown }>;
    };
    expect(delta.delta).toEqual([{ op: 'add', path: '/color', value: 'blue' }]);
    expect(client.state).toEqual({ theme: 'dark', items: [1, 2], color: 'blue' });
    for (const e of first.events.filter((x) => x.type === 'STATE_SNAPSHOT')) expect(JSON.stringify(e)).not.toContain('mixtape');

    const fresh = s.client(client.threadId); // a reloaded page: no state of its own
    const second = await say(fresh, 'and now?');
    expect(second.result).toBe('Still blue.');
    expect(fresh.state).toEqual({ theme: 'dark', items: [1, 2], color: 'blue' });
  });

  it('image and document parts of the user message reach the model', async () => {
    const s = await start({ model: new ScriptedModel().text('A red pixel and a note.') });
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    ).toString('base64');
    const client = s.client();
    client.addMessage({
      id: randomUUID(),
      role: 'user',
      content: [
        { type: 'text', text: 'What are these?' },
        { type: 'image', source: { type: 'data', value: png, mimeType: 'image/png' } },
        {
          type: 'document',
          source: { type: 'data', value: Buffer.from('hello').toString('base64'), mimeType: 'text/plain' },
          metadata: { name: 'note.txt' },
        },
      ],
    });
    const { result } = await say(client, null);
    expect(result).toBe('A red pixel and a note.');
    const content = s.model.requests[0]!.messages.at(-1)!.content;
    expect(content).toEqual([
      { type: 'text', text: 'What are these?' },
      { type: 'image', mediaType: 'image/png', data: png },
      { type: 'document', mediaType: 'text/plain', data: Buffer.from('hello').toString('base64'), name: 'note.txt' },
    ]);
    const url = await postRun(s.url, {
      threadId: randomUUID(),
      runId: randomUUID(),
      messages: [{ id: '1', role: 'user', content: [{ type: 'image', source: { type: 'url', value: 'http://169.254.169.254/x.png' } }] }],
      tools: [],
      context: [],
    });
    expect(url.status).toBe(400);
    expect(((await url.json()) as { message: string }).message).toMatch(/does not fetch URLs/);
  });

  it('a failed tool result is marked in the stream and in the stored history', async () => {
    const broken = tool({
      name: 'broken',
      description: 'Fails',
      input: z.object({}),
      execute: () => {
        throw new Error('disk on fire');
      },
    });
    const s = await start({
      model: new ScriptedModel().toolUse('broken', {}, 'b1').text('It failed.'),
      agentOptions: { tools: [add, broken] },
    });
    const client = s.client();
    const { events } = await say(client, 'try it');
    const result = events.find((e) => e.type === 'TOOL_CALL_RESULT') as BaseEvent & {
      content: string;
      messageId: string;
      metadata: { mixtape: { isError: boolean } };
    };
    expect(result.metadata.mixtape.isError).toBe(true);
    expect(result.content).toContain('disk on fire');
    const stored = (await (
      await fetch(`${s.url}/threads/${client.threadId}/messages`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { messages: Array<{ id: string; role: string; error?: string }> };
    const tool_ = stored.messages.find((m) => m.role === 'tool')!;
    expect(tool_.id).toBe(result.messageId);
    expect(tool_.error).toContain('disk on fire');
  });
});

describe('tool arguments stream as the model writes them', () => {
  it('each input delta of the model is one TOOL_CALL_ARGS, after TOOL_CALL_START and before the turn ends', async () => {
    const pieces = ['{"a":', ' 4', '0, "b": 2}'];
    let calls = 0;
    const model: Model = {
      provider: 'test',
      modelId: 'chunks',
      async *stream() {
        calls++;
        if (calls === 1) {
          yield { type: 'tool_use_start', id: 'streamed_1', name: 'add' };
          for (const json of pieces) yield { type: 'tool_input_delta', id: 'streamed_1', json };
          yield {
            type: 'response',
            response: {
              content: [{ type: 'tool_use', id: 'streamed_1', name: 'add', input: { a: 40, b: 2 } }],
              stopReason: 'tool_use',
              usage: { inputTokens: 1, outputTokens: 1 },
            },
          };
        } else {
          yield { type: 'text_delta', text: '42' };
          yield {
            type: 'response',
            response: { content: [{ type: 'text', text: '42' }], stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 } },
          };
        }
      },
    };
    const s = await start({ model: model as unknown as ScriptedModel });
    const { events, result } = await say(s.client(), 'sum');
    expect(result).toBe('42');
    const toolEvents = events.filter((e) => e.type.startsWith('TOOL_CALL'));
    expect(toolEvents.map((e) => e.type)).toEqual([
      'TOOL_CALL_START',
      'TOOL_CALL_ARGS',
      'TOOL_CALL_ARGS',
      'TOOL_CALL_ARGS',
      'TOOL_CALL_END',
      'TOOL_CALL_RESULT',
    ]);
    expect(toolEvents.filter((e) => e.type === 'TOOL_CALL_ARGS').map((e) => (e as BaseEvent & { delta: string }).delta)).toEqual(pieces);
  });
});
