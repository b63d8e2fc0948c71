/**
 * Runs that pause and resume: approvals as interrupts, client tools, replayed resumes, cancel,
 * expiry, thread state and context, and continuing a run cut off mid-step.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  Agent,
  AgentError,
  type AgentOptions,
  DEFAULT_MAX_TOOL_RESULT_CHARS,
  type InterruptAnswer,
  InterruptError,
  MemoryGrantStore,
  MemorySessionStore,
  type Message,
  type RunCallState,
  type RunStateRecord,
  tool,
} from '@mixtape/core';
import { collectEvents, ScriptedModel, validateHistory } from '@mixtape/core/testing';

function counter() {
  const calls: unknown[] = [];
  const t = tool({
    name: 'write_note',
    description: 'Writes a note',
    input: z.object({ text: z.string() }),
    execute: ({ text }) => {
      calls.push(text);
      return `wrote ${text}`;
    },
  });
  return { calls, tool: t };
}

const read = tool({ name: 'read_note', description: 'Reads a note', input: z.object({}), retrySafe: true, execute: () => 'note body' });

function resultsOf(message: Message | undefined) {
  return (message?.content ?? []).flatMap((b) => (b.type === 'tool_result' ? [b] : []));
}
function resultText(message: Message | undefined, i = 0): string {
  const r = resultsOf(message)[i];
  return r ? r.content.map((c) => (c.type === 'text' ? c.text : JSON.stringify(c))).join('') : '';
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/** Two agents on one store and one session, as two processes would be. */
function pair(model: ScriptedModel, extra: Partial<AgentOptions> = {}) {
  const store = new MemorySessionStore();
  const grants = new MemoryGrantStore();
  const note = counter();
  const make = () =>
    new Agent({
      model,
      tools: [note.tool, read],
      sessionStore: store,
      sessionId: 'thread-1',
      grantStore: grants,
      interactive: true,
      approvals: 'interrupt',
      ...extra,
    });
  return { store, grants, note, a: make(), b: make() };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('approvals as interrupts', () => {
  it('ends the run interrupted, persists what is pending, and refuses a new prompt with the pending list', async () => {
    const model = new ScriptedModel().toolUse('write_note', { text: 'hi' }, 'call_1');
    const { a, note, store } = pair(model);
    const events = collectEvents(a);
    const result = await a.run('write hi');
    expect(result.status).toBe('interrupted');
    expect(result.interrupts).toHaveLength(1);
    const [i] = result.interrupts;
    expect(i).toMatchObject({ reason: 'tool_call', toolCallId: 'call_1', toolName: 'write_note', input: { text: 'hi' } });
    expect(i!.message).toContain('write_note');
    expect(i!.responseSchema).toMatchObject({ required: ['approved'] });
    expect(Date.parse(i!.expiresAt!)).toBeGreaterThan(Date.now());
    expect(note.calls).toEqual([]);
    expect(events.types().at(-1)).toBe('run_interrupted');
    expect(events.ofType('run_interrupted')[0]!.interrupts).toEqual(result.interrupts);
    expect(events.types()).not.toContain('run_completed');
    // The stored history keeps the open call (not repaired away) and the run state lists it.
    const session = await store.getSession('thread-1');
    expect(session!.messages.at(-1)!.toolCalls.map((c) => c.id)).toEqual(['call_1']);
    expect((await store.loadRunState('thread-1'))!.status).toBe('interrupted');
    expect(await a.pendingInterrupts()).toEqual(result.interrupts);
    const refused = await rejection(a.run('something else'));
    expect(refused).toBeInstanceOf(InterruptError);
    expect((refused as InterruptError).code).toBe('pending');
    expect((refused as InterruptError).kind).toBe('interrupt');
    expect((refused as InterruptError).interrupts.map((x) => x.id)).toEqual([i!.id]);
    expect((refused as Error).message).toContain('write_note');
    // Refusing changed nothing.
    expect((await store.getSession('thread-1'))!.messages).toHaveLength(2);
  });

  it('resumes from another agent: the approved call runs once, the model sees its result, a replay runs nothing again', async () => {
    const model = new ScriptedModel().toolUse('write_note', { text: 'hi' }, 'call_1').text('Done.');
    const { a, b, note, store } = pair(model);
    const first = await a.run('write hi');
    const events = collectEvents(b);
    expect(await b.pendingInterrupts()).toEqual(first.interrupts);
    const answers: InterruptAnswer[] = [{ interruptId: first.interrupts[0]!.id, type: 'approve' }];
    const resumed = await b.resume(answers);
    expect(resumed.status).toBe('completed');
    expect(resumed.text).toBe('Done.');
    expect(resumed.interrupts).toEqual([]);
    expect(note.calls).toEqual(['hi']);
    expect(resultText(model.requests[1]!.messages.at(-1))).toBe('wrote hi');
    expect(events.types()).toContain('run_resumed');
    expect(events.ofType('run_resumed')[0]!.answers).toEqual(answers);
    expect(events.types().at(-1)).toBe('run_completed');
    expect(await b.pendingInterrupts()).toEqual([]);
    const history = (await store.getSession('thread-1'))!.messages;
    expect(
      validateHistory(
        history.map((m) => ({ role: m.role as 'user' | 'assistant', content: m.blocks ?? [{ type: 'text' as const, text: m.content }] })),
      ),
    ).toEqual([]);

    // The same answers again, from either agent: the stored outcome, nothing runs, no model call.
    const replay = await a.resume(answers);
    expect(replay).toMatchObject({ status: 'completed', text: 'Done.', steps: 0 });
    expect(note.calls).toEqual(['hi']);
    expect(model.requests).toHaveLength(2);
    expect((await store.getSession('thread-1'))!.messages).toHaveLength(history.length);
    // The conversation goes on.
    model.text('Again.');
    expect((await a.run('next')).text).toBe('Again.');
  });

  it('deny with a reason becomes an error result the model sees; the loop continues', async () => {
    const model = new ScriptedModel().toolUse('write_note', { text: 'hi' }, 'call_1').text('OK, I will not.');
    const { a, note } = pair(model);
    const first = await a.run('write hi');
    const events = collectEvents(a);
    const r = await a.resume([{ interruptId: first.interrupts[0]!.id, type: 'deny', reason: 'not today' }]);
    expect(r.text).toBe('OK, I will not.');
    expect(note.calls).toEqual([]);
    const sent = resultsOf(model.requests[1]!.messages.at(-1))[0]!;
    expect(sent.isError).toBe(true);
    expect(resultText(model.requests[1]!.messages.at(-1))).toContain('not today');
    expect(events.ofType('permission_denied')[0]!.reason).toBe('not today');
  });

  it('approve with edited input runs the edited call; invalid edits are refused before anything runs', async () => {
    const model = new ScriptedModel().toolUse('write_note', { text: 'hi' }, 'call_1').text('Edited.');
    const { a, note } = pair(model);
    const first = await a.run('write hi');
    const id = first.interrupts[0]!.id;
    const bad = await rejection(a.resume([{ interruptId: id, type: 'approve', editedInput: { text: 42 } }]));
    expect((bad as InterruptError).code).toBe('invalid_answer');
    expect(note.calls).toEqual([]);
    await a.resume([{ interruptId: id, type: 'approve', editedInput: { text: 'edited' } }]);
    expect(note.calls).toEqual(['edited']);
  });

  it('remember stores a grant: the next call of the tool runs without an interrupt', async () => {
    const model = new ScriptedModel()
      .toolUse('write_note', { text: 'one' }, 'call_1')
      .text('1')
      .toolUse('write_note', { text: 'two' }, 'call_2')
      .text('2');
    const { a, note, grants } = pair(model);
    const first = await a.run('one');
    await a.resume([{ interruptId: first.interrupts[0]!.id, type: 'approve', remember: 'session' }]);
    expect((await grants.list()).map((g) => g.tool)).toContain('write_note');
    const second = await a.run('two');
    expect(second.status).toBe('completed');
    expect(note.calls).toEqual(['one', 'two']);
  });

  it('unknown ids, missing answers, wrong kinds and expired interrupts are typed errors that change nothing', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const model = new ScriptedModel().toolUses([
      { name: 'write_note', input: { text: 'a' }, id: 'call_a' },
      { name: 'write_note', input: { text: 'b' }, id: 'call_b' },
    ]);
    const { a, note } = pair(model, { interruptTtlMs: 60_000 });
    const first = await a.run('two notes');
    expect(first.interrupts).toHaveLength(2);
    const [x, y] = first.interrupts;
    const code = async (answers: unknown) => ((await rejection(a.resume(answers as InterruptAnswer[]))) as InterruptError).code;
    expect(await code([{ interruptId: 'nope', type: 'approve' }])).toBe('unknown');
    expect(await code([{ interruptId: x!.id, type: 'approve' }])).toBe('unanswered');
    expect(await code([])).toBe('unanswered');
    expect(
      await code([
        { interruptId: x!.id, type: 'result', content: 'x' },
        { interruptId: y!.id, type: 'approve' },
      ]),
    ).toBe('invalid_answer');
    expect(
      await code([
        { interruptId: x!.id, type: 'launch' },
        { interruptId: y!.id, type: 'approve' },
      ]),
    ).toBe('invalid_answer');
    expect(await code('not a list')).toBe('invalid_answer');
    vi.setSystemTime(Date.now() + 61_000);
    expect(
      await code([
        { interruptId: x!.id, type: 'approve' },
        { interruptId: y!.id, type: 'approve' },
      ]),
    ).toBe('expired');
    expect(note.calls).toEqual([]);
    expect(await a.pendingInterrupts()).toHaveLength(2);
    // A new prompt closes expired interrupts (the calls never ran) and goes on.
    model.text('Fresh start.');
    const next = await a.run('something else');
    expect(next.text).toBe('Fresh start.');
    const sent = model.requests.at(-1)!.messages;
    expect(resultsOf(sent.find((m) => resultsOf(m).length))).toHaveLength(2);
    expect(resultText(sent.find((m) => resultsOf(m).length))).toContain('expired');
    expect(note.calls).toEqual([]);
  });

  it('cancel clears the interrupts without running anything; a new prompt is accepted', async () => {
    const model = new ScriptedModel().toolUse('write_note', { text: 'hi' }, 'call_1');
    const { a, note } = pair(model);
    const first = await a.run('write hi');
    const r = await a.resume([{ interruptId: first.interrupts[0]!.id, type: 'cancel' }]);
    expect(r.status).toBe('completed');
    expect(model.requests).toHaveLength(1);
    expect(note.calls).toEqual([]);
    expect(await a.pendingInterrupts()).toEqual([]);
    model.text('Hello.');
    expect((await a.run('hello')).text).toBe('Hello.');
    expect(resultText(model.requests[1]!.messages.find((m) => resultsOf(m).length))).toContain('cancelled');
  });

  it('a sibling that needs no approval runs in the first run, once; both results reach the model after the resume', async () => {
    const model = new ScriptedModel()
      .toolUses([
        { name: 'read_note', id: 'call_read' },
        { name: 'write_note', input: { text: 'x' }, id: 'call_write' },
      ])
      .text('Both done.');
    const reads: number[] = [];
    const counted = tool({ name: 'read_note', description: 'Reads', input: z.object({}), execute: () => (reads.push(1), 'note body') });
    const store = new MemorySessionStore();
    const grants = new MemoryGrantStore();
    const note = counter();
    const agent = new Agent({
      model,
      tools: [note.tool, counted],
      sessionStore: store,
      grantStore: grants,
      interactive: true,
      approvals: 'interrupt',
      trustedTools: ['read_note'],
    });
    const first = await agent.run('go');
    expect(first.interrupts.map((i) => i.toolName)).toEqual(['write_note']);
    expect(reads).toHaveLength(1);
    await agent.resume([{ interruptId: first.interrupts[0]!.id, type: 'approve' }]);
    expect(reads).toHaveLength(1);
    expect(note.calls).toEqual(['x']);
    const last = model.requests[1]!.messages.at(-1)!;
    expect(resultsOf(last).map((r) => r.toolUseId)).toEqual(['call_read', 'call_write']);
    expect(resultText(last, 0)).toBe('note body');
  });

  it('stream() ends with run_interrupted; streamResume() yields the resumed run to run_completed', async () => {
    const model = new ScriptedModel().toolUse('write_note', { text: 'hi' }, 'call_1').text('Done.');
    const { a, note } = pair(model);
    const first: string[] = [];
    const stream = a.stream('write hi');
    for await (const e of stream) first.push(e.type);
    expect(first.at(-1)).toBe('run_interrupted');
    const { interrupts } = await stream.result;
    const resumed = a.streamResume([{ interruptId: interrupts[0]!.id, type: 'approve' }]);
    const second: string[] = [];
    for await (const e of resumed) second.push(e.type);
    expect(second[0]).toBe('run_started');
    expect(second.indexOf('run_resumed')).toBeGreaterThan(0);
    expect(second.indexOf('run_resumed')).toBeLessThan(second.indexOf('tool_executing'));
    expect(second).toContain('tool_completed');
    expect(second.at(-1)).toBe('run_completed');
    expect((await resumed.result).text).toBe('Done.');
    expect(note.calls).toEqual(['hi']);
  });

  it("approvals: 'interrupt' on the Agent makes it able to ask without interactive: true", async () => {
    const model = new ScriptedModel().toolUse('write_note', { text: 'hi' });
    const note = counter();
    const agent = new Agent({ model, tools: [note.tool], grantStore: new MemoryGrantStore(), approvals: 'interrupt' });
    const r = await agent.run('write');
    expect(r.status).toBe('interrupted');
    expect(note.calls).toEqual([]);
  });

  it("approvals 'wait' (the default) keeps the in-process queue", async () => {
    const model = new ScriptedModel().toolUse('write_note', { text: 'hi' }).text('Done.');
    const note = counter();
    const agent = new Agent({ model, tools: [note.tool], grantStore: new MemoryGrantStore(), interactive: true });
    agent.addHook((e) => {
      if (e.type === 'permission_required') agent.respondToPermission(e.proposalId, { action: 'once' });
    });
    const r = await agent.run('write');
    expect(r.status).toBe('completed');
    expect(note.calls).toEqual(['hi']);
  });
});

describe('client tools', () => {
  const pickColor = {
    name: 'pick_color',
    description: 'Asks the user for a color',
    inputSchema: { type: 'object', properties: { hint: { type: 'string' } } },
  };

  it('reach the model beside server tools; a call interrupts the run; the result continues it', async () => {
    const model = new ScriptedModel().toolUse('pick_color', { hint: 'warm' }, 'call_c').text('You chose red.');
    const agent = new Agent({ model, tools: [read], sessionStore: new MemorySessionStore() });
    const first = await agent.run('pick', { clientTools: [pickColor] });
    expect(model.requests[0]!.tools.map((t) => t.name)).toEqual(['read_note', 'pick_color']);
    expect(first.status).toBe('interrupted');
    expect(first.interrupts[0]).toMatchObject({
      reason: 'client_tool',
      toolName: 'pick_color',
      toolCallId: 'call_c',
      input: { hint: 'warm' },
    });
    const wrong = await rejection(agent.resume([{ interruptId: first.interrupts[0]!.id, type: 'approve' }]));
    expect((wrong as InterruptError).code).toBe('invalid_answer');
    const malformed = await rejection(
      agent.resume([{ interruptId: first.interrupts[0]!.id, type: 'result', content: [{ type: 'text' }] } as unknown as InterruptAnswer]),
    );
    expect((malformed as InterruptError).code).toBe('invalid_answer');
    const r = await agent.resume([{ interruptId: first.interrupts[0]!.id, type: 'result', content: 'red' }], { clientTools: [pickColor] });
    expect(r.text).toBe('You chose red.');
    expect(resultText(model.requests[1]!.messages.at(-1))).toBe('red');
  });

  it('a client tool that shadows a server tool is refused clearly', async () => {
    const agent = new Agent({ model: new ScriptedModel().text('x'), tools: [read] });
    const e = await rejection(agent.run('x', { clientTools: [{ ...pickColor, name: 'read_note' }] }));
    expect(e).toBeInstanceOf(AgentError);
    expect((e as AgentError).kind).toBe('config');
    expect((e as Error).message).toContain('read_note');
  });
});

describe('context, state and tool-input deltas', () => {
  it('context items reach the system prompt, delimited', async () => {
    const model = new ScriptedModel().text('ok');
    const agent = new Agent({ model, systemPrompt: 'Base.' });
    await agent.run('hi', { context: [{ description: 'User timezone', value: 'Europe/Paris' }] });
    expect(model.requests[0]!.system).toContain('Base.');
    expect(model.requests[0]!.system).toMatch(/<context>[\s\S]*User timezone[\s\S]*Europe\/Paris[\s\S]*<\/context>/);
  });

  it('tools read and update the thread state; it is stored and comes back on the next run', async () => {
    const seen: unknown[] = [];
    const bump = tool({
      name: 'bump',
      description: 'Counts',
      input: z.object({}),
      execute: (_i, ctx) => {
        seen.push(ctx.state!.get());
        ctx.state!.update((s) => ({ ...(s as object), count: ((s as { count?: number }).count ?? 0) + 1 }));
        return 'bumped';
      },
    });
    const model = new ScriptedModel().toolUse('bump').text('one').toolUse('bump').text('two');
    const store = new MemorySessionStore();
    const agent = new Agent({ model, tools: [bump], sessionStore: store, sessionId: 's' });
    const events = collectEvents(agent);
    const r1 = await agent.run('a', { state: { client: 'keep me' } });
    expect(r1.state).toEqual({ client: 'keep me', count: 1 });
    expect(events.ofType('state_changed').map((e) => e.state)).toEqual([{ client: 'keep me' }, { client: 'keep me', count: 1 }]);
    const other = new Agent({ model, tools: [bump], sessionStore: store, sessionId: 's' });
    const r2 = await other.run('b');
    expect(seen).toEqual([{ client: 'keep me' }, { client: 'keep me', count: 1 }]);
    expect(r2.state).toEqual({ client: 'keep me', count: 2 });
  });

  it('tool input streams as tool_input_streaming events', async () => {
    const model = new ScriptedModel().toolUse('read_note', {}, 'call_r').text('done');
    const agent = new Agent({ model, tools: [read] });
    const events = collectEvents(agent);
    await agent.run('read');
    expect(events.ofType('tool_input_streaming').map((e) => [e.toolUseId, e.name, e.delta])).toEqual([['call_r', 'read_note', '{}']]);
  });
});

describe('what tools throw or return', () => {
  const revoked = (() => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  })();
  const badMessage = new Error('x');
  Object.defineProperty(badMessage, 'message', {
    get() {
      throw new Error('boom');
    },
  });
  const cases: [string, () => unknown][] = [
    [
      'a null-prototype object thrown',
      () => {
        throw Object.create(null);
      },
    ],
    [
      'an Error whose message getter throws',
      () => {
        throw badMessage;
      },
    ],
    [
      'a revoked Proxy thrown',
      () => {
        throw revoked;
      },
    ],
    ['a revoked Proxy returned', () => revoked],
    ['a function returned', () => () => 1],
    ['a Symbol returned', () => Symbol('s')],
    ['a BigInt returned', () => 10n],
  ];
  it.each(cases)("%s becomes that call's error result; the sibling keeps its result and the run completes", async (_name, body) => {
    const bad = tool({ name: 'bad', description: 'Misbehaves', input: z.object({}), execute: body as () => string });
    const model = new ScriptedModel()
      .toolUses([
        { name: 'bad', id: 'call_bad' },
        { name: 'read_note', id: 'call_ok' },
      ])
      .text('finished');
    const store = new MemorySessionStore();
    const agent = new Agent({ model, tools: [bad, read], sessionStore: store });
    const r = await agent.run('go');
    expect(r.text).toBe('finished');
    const last = model.requests[1]!.messages.at(-1)!;
    const [b, ok] = resultsOf(last);
    expect(b).toMatchObject({ toolUseId: 'call_bad', isError: true });
    expect(resultText(last, 0)).toMatch(/^Error: /);
    expect(ok).toMatchObject({ toolUseId: 'call_ok', isError: false, content: [{ type: 'text', text: 'note body' }] });
    // And it was stored.
    const session = await store.getSession(r.sessionId!);
    expect(session!.messages.at(-2)!.toolResults.map((t) => t.success)).toEqual([false, true]);
  });
});

describe('tool result size bound', () => {
  it('cuts a result over maxToolResultChars, tells the model how to page, and stores the cut form', async () => {
    const big = tool({
      name: 'read_big',
      description: 'Reads a big file',
      input: z.object({ offset: z.number().optional() }),
      execute: () => 'x'.repeat(50_000),
    });
    const model = new ScriptedModel().toolUse('read_big', {}).text('ok');
    const store = new MemorySessionStore();
    const agent = new Agent({ model, tools: [big], sessionStore: store, maxToolResultChars: 1_000 });
    const r = await agent.run('read');
    const text = resultText(model.requests[1]!.messages.at(-1));
    expect(text.startsWith('x'.repeat(1_000) + '\n[Output truncated')).toBe(true);
    expect(text).toContain('1000 of 50000');
    expect(text).toContain('"offset"');
    const stored = (await store.getSession(r.sessionId!))!.messages.at(-2)!.toolResults[0]!.content;
    expect(stored.length).toBeLessThan(1_500);
  });
});

describe('tool result size bound (default)', () => {
  it('a 20 MiB result is cut to DEFAULT_MAX_TOOL_RESULT_CHARS before the model and the store see it', async () => {
    const huge = tool({ name: 'dump', description: 'Dumps', input: z.object({}), execute: () => 'y'.repeat(20 * 1024 * 1024) });
    const model = new ScriptedModel().toolUse('dump', {}).text('ok');
    const store = new MemorySessionStore();
    const r = await new Agent({ model, tools: [huge], sessionStore: store }).run('dump');
    const sent = resultText(model.requests[1]!.messages.at(-1));
    expect(sent.length).toBeLessThan(DEFAULT_MAX_TOOL_RESULT_CHARS + 500);
    expect(sent).toContain(`showing the first ${DEFAULT_MAX_TOOL_RESULT_CHARS} of ${20 * 1024 * 1024} characters`);
    expect((await store.getSession(r.sessionId!))!.messages.at(-2)!.toolResults[0]!.content.length).toBeLessThan(
      DEFAULT_MAX_TOOL_RESULT_CHARS + 500,
    );
  });
});

describe('continuing a run cut off mid-step (resume([]))', () => {
  /** A store holding what a killed process leaves: an assistant turn with open calls and "started" markers. */
  async function crashed(calls: { id: string; name: string; marker?: 'started' | 'done' }[], withRecord = true) {
    const store = new MemorySessionStore();
    const s = await store.createSession({ id: 'crashed' });
    await store.appendMessages(s.id, [
      { role: 'user', content: 'go', toolCalls: [], toolResults: [], timestamp: new Date(), blocks: [{ type: 'text', text: 'go' }] },
      {
        role: 'assistant',
        content: '',
        toolCalls: calls.map((c) => ({ id: c.id, name: c.name, input: c.name === 'write_note' ? '{"text":"t"}' : '{}' })),
        toolResults: [],
        timestamp: new Date(),
        blocks: calls.map((c) => ({
          type: 'tool_use' as const,
          id: c.id,
          name: c.name,
          input: c.name === 'write_note' ? { text: 't' } : {},
        })),
      },
    ]);
    const record: RunStateRecord = {
      sessionId: s.id,
      version: 1,
      status: 'running',
      interrupts: [],
      calls: calls.flatMap((c): RunCallState[] =>
        c.marker === 'started'
          ? [{ toolUseId: c.id, name: c.name, status: 'started' as const }]
          : c.marker === 'done'
            ? [
                {
                  toolUseId: c.id,
                  name: c.name,
                  status: 'done' as const,
                  result: {
                    type: 'tool_result' as const,
                    toolUseId: c.id,
                    isError: false,
                    content: [{ type: 'text' as const, text: 'stored result' }],
                  },
                },
              ]
            : [],
      ),
      updatedAt: new Date().toISOString(),
    };
    if (withRecord) await store.saveRunState(s.id, record, { expectedVersion: 0 });
    return store;
  }

  it('keeps finished results, re-runs only retry-safe started calls, gives the others an "interrupted" result', async () => {
    const store = await crashed([
      { id: 'c_done', name: 'write_note', marker: 'done' },
      { id: 'c_started', name: 'write_note', marker: 'started' },
      { id: 'c_read', name: 'read_note', marker: 'started' },
      { id: 'c_never', name: 'write_note' },
    ]);
    const model = new ScriptedModel().text('Recovered.');
    const note = counter();
    const agent = new Agent({ model, tools: [note.tool, read], sessionStore: store, sessionId: 'crashed' });
    const r = await agent.resume([]);
    expect(r.text).toBe('Recovered.');
    const last = model.requests[0]!.messages.at(-1)!;
    expect(resultsOf(last).map((b) => b.toolUseId)).toEqual(['c_done', 'c_started', 'c_read', 'c_never']);
    expect(resultText(last, 0)).toBe('stored result');
    expect(resultsOf(last)[1]!.isError).toBe(true);
    expect(resultText(last, 1)).toContain('interrupted');
    expect(resultText(last, 2)).toBe('note body');
    // The call that never started runs now, once; the started one never runs again.
    expect(note.calls).toEqual(['t']);
    expect((await store.loadRunState('crashed'))!.status).toBe('idle');
    // Continuing again changes nothing: the run is complete.
    const again = await agent.resume([]);
    expect(again.text).toBe('Recovered.');
    expect(model.requests).toHaveLength(1);
  });

  it('a turn left open with no run-state record (killed while it waited for an approval) completes with "interrupted" results, none run, and no record', async () => {
    // A process killed after the tool-call turn was stored but before any marker or interrupt
    // was written: no run owns the open calls, so they are closed; nothing is pending, so the
    // completed run writes no record (the interrupt crash suite meets this after SIGKILLs).
    const store = await crashed(
      [
        { id: 'c_write', name: 'write_note' },
        { id: 'c_read', name: 'read_note' },
      ],
      false,
    );
    const model = new ScriptedModel().text('Recovered.').text('Next.');
    const note = counter();
    const agent = new Agent({ model, tools: [note.tool, read], sessionStore: store, sessionId: 'crashed', interactive: true });
    const r = await agent.resume([]);
    expect([r.status, r.text]).toEqual(['completed', 'Recovered.']);
    const last = model.requests[0]!.messages.at(-1)!;
    expect(resultsOf(last).map((b) => [b.toolUseId, b.isError])).toEqual([
      ['c_write', true],
      ['c_read', true],
    ]);
    expect(resultText(last, 0)).toContain('interrupted');
    expect(note.calls).toEqual([]);
    expect(await store.loadRunState('crashed')).toBeNull();
    expect(await agent.pendingInterrupts()).toEqual([]);
    expect((await agent.run('next')).text).toBe('Next.');
  });

  it('a prompt whose process stopped before the model answered is answered by resume([])', async () => {
    const store = new MemorySessionStore();
    await store.createSession({
      id: 'cut',
      messages: [{ role: 'user', content: 'What is 2 + 2?', toolCalls: [], toolResults: [], timestamp: new Date() }],
    });
    const model = new ScriptedModel().text('4');
    const agent = new Agent({ model, sessionStore: store, sessionId: 'cut' });
    const r = await agent.resume([]);
    expect(r.text).toBe('4');
    expect(model.requests[0]!.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'What is 2 + 2?' }] }]);
    expect((await store.getSession('cut'))!.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'What is 2 + 2?'],
      ['assistant', '4'],
    ]);
  });

  it('a new prompt on a crashed run closes its open calls with what is known, and goes on', async () => {
    const store = await crashed([
      { id: 'c_done', name: 'write_note', marker: 'done' },
      { id: 'c_started', name: 'write_note', marker: 'started' },
    ]);
    const model = new ScriptedModel().text('New answer.');
    const note = counter();
    const agent = new Agent({ model, tools: [note.tool], sessionStore: store, sessionId: 'crashed' });
    expect((await agent.run('next')).text).toBe('New answer.');
    const sent = model.requests[0]!.messages;
    const results = sent.find((m) => resultsOf(m).length);
    expect(resultText(results, 0)).toBe('stored result');
    expect(resultText(results, 1)).toContain('interrupted');
    expect(note.calls).toEqual([]);
  });
});
