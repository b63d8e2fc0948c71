import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Agent,
  AgentError,
  ClaudeHaiku4_5,
  MaxStepsError,
  MemoryGrantStore,
  MemorySessionStore,
  type Message,
  type PermissionResponse,
  type ToolAuthorizer,
  tool,
  toolResult,
} from '@mixtape/core';
import { collectEvents, ScriptedModel } from '@mixtape/core/testing';

const add = tool({
  name: 'add',
  description: 'Adds two numbers',
  input: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => String(a + b),
});

function resultsOf(message: Message | undefined) {
  return (message?.content ?? []).flatMap((b) => (b.type === 'tool_result' ? [b] : []));
}

describe('Agent run loop', () => {
  it('answers with text and emits events in order', async () => {
    const model = new ScriptedModel().text('Hello there!');
    const agent = new Agent({ model, systemPrompt: 'Be brief.' });
    const events = collectEvents(agent);
    const result = await agent.run('Hi');
    expect(result.text).toBe('Hello there!');
    expect(result.steps).toBe(1);
    const types = events.types();
    expect(types[0]).toBe('run_started');
    expect(types[1]).toBe('model_call_started');
    expect(types).toContain('model_call_streaming');
    expect(types).toContain('model_call_completed');
    expect(types.at(-1)).toBe('run_completed');
    const started = events.ofType('model_call_started')[0]!;
    expect(started.messageCount).toBe(1);
    expect(started.toolCount).toBe(0);
    expect(events.ofType('run_completed')[0]!.output).toBe('Hello there!');
    expect(model.requests[0]!.system).toBe('Be brief.');
  });

  it('runs a tool, sends its result back and returns the final text', async () => {
    const model = new ScriptedModel().toolUse('add', { a: 2, b: 3 }).text('The sum is 5.');
    const agent = new Agent({ model, tools: [add] });
    const events = collectEvents(agent);
    const result = await agent.run('What is 2 + 3?');
    expect(result.text).toBe('The sum is 5.');
    expect(model.requests).toHaveLength(2);
    const sent = resultsOf(model.requests[1]!.messages.at(-1));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.content).toEqual([{ type: 'text', text: '5' }]);
    expect(sent[0]!.isError).toBe(false);
    expect(events.types()).toEqual(expect.arrayContaining(['tool_requested', 'tool_executing', 'tool_completed']));
    expect(events.ofType('tool_requested')[0]!.input).toEqual({ a: 2, b: 3 });
    expect(result.toolCalls).toMatchObject([{ name: 'add', success: true }]);
    expect(model.requests[0]!.tools.map((t) => t.name)).toEqual(['add']);
  });

  it('remembers earlier turns within the process', async () => {
    const model = new ScriptedModel().text('Nice to meet you, Ada.').text('Your name is Ada.');
    const agent = new Agent({ model });
    await agent.run('My name is Ada.');
    await agent.run('What is my name?');
    const second = model.requests[1]!.messages;
    expect(second).toHaveLength(3);
    expect(JSON.stringify(second[0])).toContain('My name is Ada.');
    expect(second[1]!.role).toBe('assistant');
  });

  it('runs the tool calls of one turn concurrently and keeps the results in call order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const started: string[] = [];
    let release!: () => void;
    const bothStarted = new Promise<void>((r) => (release = r));
    const slow = tool({
      name: 'slow',
      description: 'waits',
      input: z.object({ id: z.string() }),
      execute: async ({ id }) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        started.push(id);
        if (started.length === 2) release();
        await bothStarted; // would deadlock if the calls ran one after the other
        if (id === 'first') await new Promise((r) => setTimeout(r, 20)); // first finishes last
        inFlight--;
        return `done ${id}`;
      },
    });
    const model = new ScriptedModel().toolUse('slow', { id: 'first' }).toolUse('slow', { id: 'second' }).text('ok');
    const agent = new Agent({ model, tools: [slow] });
    await agent.run('go');
    expect(maxInFlight).toBe(2);
    const sent = resultsOf(model.requests[1]!.messages.at(-1));
    expect(sent.map((r) => r.content[0])).toEqual([
      { type: 'text', text: 'done first' },
      { type: 'text', text: 'done second' },
    ]);
  });

  it('bounds concurrency with maxConcurrentTools', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const t = tool({
      name: 't',
      description: 't',
      input: z.object({ n: z.number() }),
      execute: async ({ n }) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        return String(n);
      },
    });
    const model = new ScriptedModel().toolUses([1, 2, 3, 4, 5].map((n) => ({ name: 't', input: { n } }))).text('ok');
    await new Agent({ model, tools: [t], maxConcurrentTools: 2 }).run('go');
    expect(maxInFlight).toBe(2);
    expect(resultsOf(model.requests[1]!.messages.at(-1)).map((r) => r.content[0])).toEqual(
      [1, 2, 3, 4, 5].map((n) => ({ type: 'text', text: String(n) })),
    );
  });

  it('turns unknown tools, invalid input, thrown errors and timeouts into error results and goes on', async () => {
    const boom = tool({
      name: 'boom',
      description: 'throws',
      input: z.object({}),
      execute: () => {
        throw new Error('kaboom');
      },
    });
    const hang = tool({
      name: 'hang',
      description: 'never ends',
      input: z.object({}),
      timeoutMs: 30,
      execute: (_, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
    });
    const model = new ScriptedModel()
      .toolUse('missing_tool', {})
      .toolUse('add', { a: 1 })
      .toolUse('add', 'not an object')
      .toolUse('boom', {})
      .toolUse('hang', {})
      .text('I see errors.');
    const agent = new Agent({ model, tools: [add, boom, hang] });
    const events = collectEvents(agent);
    const result = await agent.run('try things');
    expect(result.text).toBe('I see errors.');
    const sent = resultsOf(model.requests[1]!.messages.at(-1));
    expect(sent.every((r) => r.isError)).toBe(true);
    const texts = sent.map((r) => (r.content[0] as { text: string }).text);
    expect(texts[0]).toContain('Tool not found: missing_tool');
    expect(texts[1]).toMatch(/b/);
    expect(texts[2]).toContain('got: string');
    expect(texts[3]).toContain('kaboom');
    expect(texts[4]).toContain('timed out after 30 ms');
    expect(events.ofType('tool_failed')).toHaveLength(5);
  });

  it('returns image and JSON results to the model', async () => {
    const pic = tool({
      name: 'pic',
      description: 'image',
      input: z.object({}),
      execute: () => [toolResult.image('image/png', new Uint8Array([1, 2, 3])), toolResult.json({ w: 1 })],
    });
    const model = new ScriptedModel().toolUse('pic').text('A picture.');
    await new Agent({ model, tools: [pic] }).run('show');
    const sent = resultsOf(model.requests[1]!.messages.at(-1))[0]!;
    expect(sent.content[0]).toMatchObject({ type: 'image', mediaType: 'image/png' });
    expect(sent.content[1]).toEqual({ type: 'json', value: { w: 1 } });
  });

  it('stops a runaway loop at maxSteps with a typed error', async () => {
    const model = new ScriptedModel();
    for (let i = 0; i < 5; i++) model.toolUses([{ name: 'add', input: { a: i, b: i } }]);
    const agent = new Agent({ model, tools: [add], maxSteps: 3 });
    const events = collectEvents(agent);
    const error = await agent.run('loop').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaxStepsError);
    expect((error as MaxStepsError).message).toContain('maxSteps');
    expect(model.requests).toHaveLength(3);
    expect(events.types().at(-1)).toBe('run_failed');
    expect(events.ofType('run_failed')[0]!.kind).toBe('max_steps');
  });

  it('fails clearly when the script runs out', async () => {
    const agent = new Agent({ model: new ScriptedModel() });
    await expect(agent.run('hi')).rejects.toThrow(/no more responses/);
  });

  it('several hooks see the same events and a throwing hook does not break the run', async () => {
    const model = new ScriptedModel().toolUse('add', { a: 1, b: 1 }).text('2');
    const agent = new Agent({ model, tools: [add] });
    const a: string[] = [];
    const b: string[] = [];
    agent.addHook((e) => void a.push(e.type));
    agent.addHook(() => {
      throw new Error('bad hook');
    });
    agent.addHook(async () => {
      throw new Error('bad async hook');
    });
    agent.addHook((e) => void b.push(e.type));
    const result = await agent.run('1+1');
    expect(result.text).toBe('2');
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(5);
  });

  it('streams text deltas as they arrive and exposes the result', async () => {
    const model = new ScriptedModel().text('one two three');
    const agent = new Agent({ model });
    const stream = agent.stream('count');
    const deltas: string[] = [];
    const types: string[] = [];
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'model_call_streaming') deltas.push(e.delta);
    }
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('one two three');
    expect(types.indexOf('model_call_streaming')).toBeLessThan(types.indexOf('run_completed'));
    expect((await stream.result).text).toBe('one two three');
  });

  it('breaking out of stream() cancels the run and leaves the conversation valid', async () => {
    let toolAborted = false;
    const wait = tool({
      name: 'wait',
      description: 'waits',
      input: z.object({}),
      execute: (_, ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => {
            toolAborted = true;
            reject(new Error('stopped'));
          }),
        ),
    });
    const model = new ScriptedModel().toolUse('wait').text('never').text('fresh answer');
    const agent = new Agent({ model, tools: [wait] });
    const stream = agent.stream('go');
    for await (const e of stream) if (e.type === 'tool_executing') break;
    await expect(stream.result).rejects.toMatchObject({ kind: 'aborted' });
    expect(toolAborted).toBe(true);
    expect((await agent.run('again')).text).toBe('never');
    expect(model.requests[1]!.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('stream() throws the run error after run_failed', async () => {
    const agent = new Agent({ model: new ScriptedModel().error(new Error('provider down')) });
    const seen: string[] = [];
    await expect(async () => {
      for await (const e of agent.stream('x')) seen.push(e.type);
    }).rejects.toThrow('provider down');
    expect(seen.at(-1)).toBe('run_failed');
  });

  it('reports usage and cost from the catalogue prices', async () => {
    const model = new ScriptedModel({ info: ClaudeHaiku4_5 }).text('hi', { usage: { inputTokens: 1_000_000, outputTokens: 100_000 } });
    const result = await new Agent({ model }).run('x');
    expect(result.usage).toEqual({ inputTokens: 1_000_000, outputTokens: 100_000 });
    expect(result.cost).toBeCloseTo(1 + 0.5, 6);
  });

  it('keeps thinking blocks with their signatures in the conversation', async () => {
    const model = new ScriptedModel().thinking('Let me add.', 'sig-1').toolUse('add', { a: 1, b: 2 }).text('3').text('again');
    const agent = new Agent({ model, tools: [add] });
    await agent.run('1+2');
    const assistant = model.requests[1]!.messages[1]!;
    expect(assistant.content[0]).toEqual({ type: 'thinking', thinking: 'Let me add.', signature: 'sig-1' });
    await agent.run('more');
    expect(model.requests[2]!.messages[1]!.content[0]).toMatchObject({ type: 'thinking', signature: 'sig-1' });
  });

  it('refuses two concurrent runs on one agent with a typed error', async () => {
    const agent = new Agent({ model: new ScriptedModel().text('a', { delayMs: 20 }).text('b') });
    const first = agent.run('1');
    await expect(agent.run('2')).rejects.toMatchObject({ kind: 'busy' });
    await first;
  });

  it('an agent can be a tool of another agent', async () => {
    const inner = new Agent({ model: new ScriptedModel().text('inner answer') });
    const model = new ScriptedModel().toolUse('expert', { prompt: 'question' }).text('outer answer');
    const outer = new Agent({ model, tools: [inner.asTool({ name: 'expert', description: 'Asks the expert' })] });
    expect((await outer.run('ask')).text).toBe('outer answer');
    expect(resultsOf(model.requests[1]!.messages.at(-1))[0]!.content).toEqual([{ type: 'text', text: 'inner answer' }]);
  });

  it('rejects duplicate tool names and a missing model', () => {
    expect(() => new Agent({ model: new ScriptedModel(), tools: [add, add] })).toThrow(/unique/);
    // @ts-expect-error testing bad input
    expect(() => new Agent({})).toThrow(AgentError);
  });
});

describe('Agent cancellation', () => {
  it('aborting gives running tools the signal and leaves a valid, resumable session', async () => {
    const store = new MemorySessionStore({ directory: '/tmp/abort-test' });
    const controller = new AbortController();
    let toolSawAbort = false;
    const wait = tool({
      name: 'wait',
      description: 'waits until aborted',
      input: z.object({}),
      execute: (_, ctx) =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => {
            toolSawAbort = true;
            reject(new Error('stopped'));
          });
          setImmediate(() => controller.abort());
        }),
    });
    const model = new ScriptedModel().toolUse('wait', {}).text('never');
    const agent = new Agent({ model, tools: [wait], sessionStore: store });
    const events = collectEvents(agent);
    const error = await agent.run('wait please', { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'aborted' });
    expect(toolSawAbort).toBe(true);
    const failed = events.ofType('run_failed')[0]!;
    expect(failed.aborted).toBe(true);
    const [summary] = await store.listSessions();
    const session = (await store.getSession(summary!.id))!;
    expect(session.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(session.messages[2]!.toolResults[0]!.success).toBe(false);
    // Resumes: a new agent continues with a valid history.
    const model2 = new ScriptedModel().text('resumed');
    const again = new Agent({ model: model2, sessionStore: store });
    expect((await again.run('continue')).text).toBe('resumed');
    const sent = model2.requests[0]!.messages;
    // The trailing tool results and the new prompt merge into one user turn: roles alternate.
    expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(sent[2]!.content.map((b) => b.type)).toEqual(['tool_result', 'text']);
  });

  it('aborting while the model streams saves the prompt and fails the run', async () => {
    const store = new MemorySessionStore({ directory: '/tmp/abort-stream' });
    const controller = new AbortController();
    const agent = new Agent({ model: new ScriptedModel().stall(), sessionStore: store });
    const run = agent.run('hello', { signal: controller.signal });
    setImmediate(() => controller.abort());
    await expect(run).rejects.toMatchObject({ kind: 'aborted' });
    const session = (await store.getSession((await store.listSessions())[0]!.id))!;
    expect(session.messages.map((m) => m.content)).toEqual(['hello']);
  });
});

describe('Agent sessions', () => {
  it('persists each step, resumes in a new agent and reports session_resumed', async () => {
    const store = new MemorySessionStore({ directory: '/tmp/session-test' });
    const first = new Agent({ model: new ScriptedModel().toolUse('add', { a: 1, b: 2 }).text('3'), tools: [add], sessionStore: store });
    const e1 = collectEvents(first);
    await first.run('1+2?');
    expect(e1.ofType('session_saved').at(-1)!.messageCount).toBe(4);
    expect(e1.ofType('session_resumed')).toHaveLength(0);

    const model = new ScriptedModel().text('You asked about 1+2.');
    const second = new Agent({ model, sessionStore: store });
    const e2 = collectEvents(second);
    await second.run('What did I ask?');
    expect(e2.ofType('session_resumed')[0]!.messageCount).toBe(4);
    expect(model.requests[0]!.messages).toHaveLength(5);
    expect(second.sessionInfo()!.messageCount).toBe(6);
  });

  it('a failed run keeps the steps that completed', async () => {
    const store = new MemorySessionStore({ directory: '/tmp/failed-run' });
    const model = new ScriptedModel().toolUse('add', { a: 1, b: 2 }).error(new Error('network down'));
    const agent = new Agent({ model, tools: [add], sessionStore: store });
    await expect(agent.run('1+2?')).rejects.toThrow('network down');
    const session = (await store.getSession(agent.sessionInfo()!.id))!;
    expect(session.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(session.messages[2]!.toolResults[0]).toMatchObject({ success: true, content: '3' });
  });

  it('clearSession clears memory and the stored session', async () => {
    const store = new MemorySessionStore({ directory: '/tmp/clear' });
    const model = new ScriptedModel().text('a').text('b');
    const agent = new Agent({ model, sessionStore: store });
    await agent.run('first');
    const id = agent.sessionInfo()!.id;
    await agent.clearSession();
    expect(await store.getSession(id)).toBeNull();
    expect(agent.messages).toEqual([]);
    await agent.run('second');
    expect(model.requests[1]!.messages).toHaveLength(1);
    expect(agent.sessionInfo()!.id).not.toBe(id);
  });

  it('records usage totals on the session', async () => {
    const store = new MemorySessionStore({ directory: '/tmp/usage' });
    const model = new ScriptedModel({ info: ClaudeHaiku4_5 }).text('a', { usage: { inputTokens: 10, outputTokens: 5 } });
    const agent = new Agent({ model, sessionStore: store });
    await agent.run('x');
    const session = (await store.getSession(agent.sessionInfo()!.id))!;
    expect(session.usage).toMatchObject({ inputTokens: 10, outputTokens: 5 });
    expect(session.usage!.costUsd).toBeGreaterThan(0);
  });
});

describe('Agent permissions', () => {
  function authorizer(decision: 'ask' | 'denied' | 'granted'): ToolAuthorizer & { recorded: PermissionResponse[] } {
    const recorded: PermissionResponse[] = [];
    return {
      recorded,
      check: async () =>
        decision === 'ask' ? { decision } : decision === 'denied' ? { decision, reason: 'rule says no' } : { decision, scope: 'session' },
      record: async (_call, response) => void recorded.push(response),
    };
  }

  it('asks a person, runs the tool once approved and records the answer', async () => {
    const auth = authorizer('ask');
    const model = new ScriptedModel().toolUse('add', { a: 1, b: 1 }).text('2');
    const agent = new Agent({ model, tools: [add], authorizer: auth });
    agent.addHook((e) => {
      if (e.type === 'permission_required') {
        expect(e.toolName).toBe('add');
        expect(e.paramsHash).toMatch(/^[0-9a-f]{64}$/);
        setImmediate(() => agent.respondToPermission(e.proposalId, { action: 'tool', scope: 'session' }));
      }
    });
    const events = collectEvents(agent);
    expect((await agent.run('1+1')).text).toBe('2');
    expect(auth.recorded).toEqual([{ action: 'tool', scope: 'session' }]);
    expect(events.ofType('permission_granted')[0]!.scope).toBe('session');
    expect(events.ofType('tool_completed')).toHaveLength(1);
  });

  it('a denial reaches the model as an error result with the reason', async () => {
    const model = new ScriptedModel().toolUse('add', { a: 1, b: 1 }).text('ok');
    const agent = new Agent({ model, tools: [add], authorizer: authorizer('ask') });
    agent.addHook((e) => {
      if (e.type === 'permission_required')
        setImmediate(() => agent.respondToPermission(e.proposalId, { action: 'deny', reason: 'not today' }));
    });
    await agent.run('1+1');
    const sent = resultsOf(model.requests[1]!.messages.at(-1))[0]!;
    expect(sent.isError).toBe(true);
    expect(JSON.stringify(sent.content)).toContain('not today');
  });

  it('builds a PermissionAuthorizer from grantStore, trustedTools and rules; grants persist in the store', async () => {
    const store = new MemoryGrantStore();
    const model = new ScriptedModel()
      .toolUse('add', { a: 1, b: 1 })
      .text('denied')
      .toolUse('add', { a: 1, b: 1 })
      .text('ok')
      .toolUse('add', { a: 5, b: 5 })
      .text('ok');
    const headless = new Agent({ model, tools: [add], grantStore: store, interactive: false });
    const denied = collectEvents(headless);
    await headless.run('x');
    expect(denied.ofType('permission_denied')[0]!.reason).toMatch(/add/);
    expect(denied.ofType('tool_executing')).toHaveLength(0);
    // A person approves the whole tool for the project; later calls run without asking.
    const asking = new Agent({ model, tools: [add], grantStore: store, interactive: true });
    let asked = 0;
    asking.addHook((e) => {
      if (e.type === 'permission_required') {
        asked++;
        asking.respondToPermission(e.proposalId, { action: 'tool', scope: 'project' });
      }
    });
    await asking.run('y');
    await asking.run('z');
    expect(asked).toBe(1);
    expect((await store.list()).some((g) => g.tool === 'add' && g.scope === 'project')).toBe(true);
    const trusted = new Agent({
      model: new ScriptedModel().toolUse('add', { a: 1, b: 2 }).text('3'),
      tools: [add],
      trustedTools: ['add'],
      interactive: false,
    });
    expect((await trusted.run('1+2')).toolCalls[0]!.success).toBe(true);
  });

  it('denies calls that need approval when no person is there, and on timeout', async () => {
    const model = new ScriptedModel().toolUse('add', { a: 1, b: 1 }).text('ok').toolUse('add', { a: 2, b: 2 }).text('ok');
    const events: string[] = [];
    const headless = new Agent({ model, tools: [add], authorizer: authorizer('ask'), interactive: false });
    headless.addHook((e) => void (e.type === 'permission_denied' && events.push(e.reason)));
    await headless.run('x');
    expect(events[0]).toContain('needs approval');
    const timed = new Agent({ model, tools: [add], authorizer: authorizer('ask'), approvalTimeoutMs: 20 });
    timed.addHook((e) => void (e.type === 'permission_denied' && events.push(e.reason)));
    await timed.run('y');
    expect(events[1]).toContain('timed out');
    expect(timed.respondToPermission('unknown', { action: 'once' })).toBe(false);
  });
});
