/**
 * ToolContext.reportUsage: what a tool spends on a model (an MCP server's sampling request, a
 * sub-agent) is the run's usage and cost, its session's totals, and counts against its budgets.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Agent,
  type AgentEvent,
  BudgetExceededError,
  ClaudeSonnet4_6,
  costOf,
  MemorySessionStore,
  type ToolContext,
  tool,
  type Usage,
} from '../src/index.js';
import { collectEvents, ScriptedModel, validateHistory } from '../src/testing/index.js';

const SAMPLED: Usage = { inputTokens: 1_200, outputTokens: 300 };

/** A tool that "samples" a model once and reports what that cost. */
function sampler(usage: Usage = SAMPLED, costUsd?: number) {
  return tool({
    name: 'sample',
    description: 'Asks a model',
    input: z.object({}),
    execute: (_input, ctx) => {
      ctx.reportUsage?.(usage, costUsd);
      return 'sampled';
    },
  });
}

function modelUsage(events: AgentEvent[]): Usage {
  const sum = { inputTokens: 0, outputTokens: 0 };
  for (const e of events)
    if (e.type === 'model_call_completed') {
      sum.inputTokens += e.usage.inputTokens;
      sum.outputTokens += e.usage.outputTokens;
    }
  return sum;
}

describe('ToolContext.reportUsage', () => {
  it("adds the tool's tokens and cost (priced at the agent's model) to the result, run_completed and the call's record", async () => {
    const agent = new Agent({
      model: new ScriptedModel({ info: ClaudeSonnet4_6 }).toolUse('sample', {}).text('done'),
      tools: [sampler()],
    });
    const events = collectEvents(agent);
    const result = await agent.run('go');
    const model = modelUsage(events);
    expect(model.inputTokens).toBeGreaterThan(0);
    expect(result.usage.inputTokens).toBe(model.inputTokens + SAMPLED.inputTokens);
    expect(result.usage.outputTokens).toBe(model.outputTokens + SAMPLED.outputTokens);
    const expectedCost = costOf(model, ClaudeSonnet4_6.pricing)! + costOf(SAMPLED, ClaudeSonnet4_6.pricing)!;
    expect(result.cost).toBeCloseTo(expectedCost, 12);
    const completed = events.find((e) => e.type === 'run_completed');
    expect(completed).toMatchObject({ usage: result.usage, costUsd: result.cost });
    expect(result.toolCalls[0]).toMatchObject({ name: 'sample', usage: SAMPLED, costUsd: costOf(SAMPLED, ClaudeSonnet4_6.pricing) });
  });

  it('takes the cost the tool gives (another model), and adds none when neither is known', async () => {
    const priced = await new Agent({
      model: new ScriptedModel({ info: ClaudeSonnet4_6 }).toolUse('sample', {}).text('done'),
      tools: [sampler(SAMPLED, 0.5)],
    }).run('go');
    expect(priced.cost! - 0.5).toBeLessThan(0.01); // the model calls' own cost is tiny
    expect(priced.cost).toBeGreaterThan(0.5);

    const unpriced = await new Agent({ model: new ScriptedModel().toolUse('sample', {}).text('done'), tools: [sampler()] }).run('go');
    expect(unpriced.cost).toBeUndefined();
    expect(unpriced.usage.outputTokens).toBeGreaterThanOrEqual(SAMPLED.outputTokens);
  });

  it("adds to the session's stored totals, which the next run's session budget sees", async () => {
    const store = new MemorySessionStore();
    const agent = new Agent({
      model: new ScriptedModel({ info: ClaudeSonnet4_6 }).toolUse('sample', {}).text('done'),
      tools: [sampler(SAMPLED, 0.25)],
      sessionStore: store,
    });
    const result = await agent.run('go');
    const stored = (await store.getSession(result.sessionId!))!.usage!;
    expect(stored.inputTokens).toBe(result.usage.inputTokens);
    expect(stored.outputTokens).toBe(result.usage.outputTokens);
    expect(stored.costUsd).toBeCloseTo(result.cost!, 12);

    const next = new Agent({
      model: new ScriptedModel({ info: ClaudeSonnet4_6 }).text('never sent'),
      sessionStore: store,
      sessionId: result.sessionId!,
      budget: { session: { maxCostUsd: 0.26 } },
    });
    const error = await next.run('again').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as BudgetExceededError).scope).toBe('session');
    expect((error as BudgetExceededError).spent).toBeGreaterThan(0.25);
  });

  it("past the run's budget: the calls in flight are cancelled, the results are saved, the run ends with BudgetExceededError", async () => {
    let siblingStarted!: () => void;
    const started = new Promise<void>((resolve) => (siblingStarted = resolve));
    let siblingSignal: AbortSignal | undefined;
    const slow = tool({
      name: 'slow',
      description: 'Waits until cancelled',
      input: z.object({}),
      execute: (_input, { signal }) => {
        siblingSignal = signal;
        siblingStarted();
        return new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('too late'), { once: true }));
      },
    });
    const greedy = tool({
      name: 'sample',
      description: 'Samples a lot',
      input: z.object({}),
      execute: async (_input, ctx) => {
        await started;
        ctx.reportUsage?.({ inputTokens: 50_000, outputTokens: 10_000 });
        return 'sampled';
      },
    });
    const store = new MemorySessionStore();
    const model = new ScriptedModel({ info: ClaudeSonnet4_6 })
      .toolUses([
        { name: 'sample', input: {} },
        { name: 'slow', input: {} },
      ])
      .text('never reached');
    const agent = new Agent({ model, tools: [greedy, slow], sessionStore: store, budget: { run: { maxTokens: 40_000 } } });
    const events = collectEvents(agent);
    const error = await agent.run('go').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BudgetExceededError);
    const b = error as BudgetExceededError;
    expect(b).toMatchObject({ kind: 'budget', scope: 'run', limit: 'tokens', max: 40_000, tool: 'sample', estimate: 0 });
    expect(b.spent).toBeGreaterThan(60_000);
    expect(b.message).toContain('the tool sample reported');
    expect(b.message).toContain('budget.run.maxTokens');
    expect(siblingSignal?.aborted).toBe(true);
    expect(model.requests).toHaveLength(1); // no model call after the budget was exceeded
    expect(events.find((e) => e.type === 'run_failed')).toMatchObject({ kind: 'budget' });

    const session = (await store.getSession(agent.sessionInfo()!.id))!;
    const last = session.messages[session.messages.length - 1]!;
    // The reporting call is cancelled too: it may be about to spend more (an MCP server sampling again).
    expect(last.toolResults.map((r) => [r.success, r.content])).toEqual([
      [false, "Error: Tool call cancelled: the run's budget was exceeded."],
      [false, "Error: Tool call cancelled: the run's budget was exceeded."],
    ]);
    const reloaded = await new Agent({ model: new ScriptedModel(), sessionStore: store, sessionId: session.id }).loadSession();
    expect(reloaded?.messageCount).toBe(session.messages.length);
    expect(validateHistory(agent.messages)).toEqual([]);
  });

  it('usage within the budget lets the run go on; the next model call is checked with it counted', async () => {
    const model = new ScriptedModel({ info: ClaudeSonnet4_6 }).toolUse('sample', {}).text('done');
    const probe = (await new Agent({ model: new ScriptedModel({ info: ClaudeSonnet4_6 }).text('x'), budget: { run: { maxTokens: 1 } } })
      .run('go')
      .catch((e: unknown) => e)) as BudgetExceededError;
    expect(probe).toBeInstanceOf(BudgetExceededError);
    // Room for the report, and for both model calls, but not for all three.
    const agent = new Agent({
      model,
      tools: [sampler({ inputTokens: 2 * probe.estimate, outputTokens: 0 })],
      budget: { run: { maxTokens: 3 * probe.estimate } },
    });
    const error = await agent.run('go').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as BudgetExceededError).tool).toBeUndefined(); // stopped before the second model call
    expect((error as BudgetExceededError).spent).toBeGreaterThan(2 * probe.estimate);
    expect(model.requests).toHaveLength(1);

    const without = new ScriptedModel({ info: ClaudeSonnet4_6 }).toolUse('sample', {}).text('done');
    const ok = await new Agent({
      model: without,
      tools: [sampler({ inputTokens: 0, outputTokens: 0 })],
      budget: { run: { maxTokens: 3 * probe.estimate } },
    }).run('go');
    expect(ok.text).toBe('done');
  });

  it('counts in run_interrupted and the interrupted result', async () => {
    const agent = new Agent({
      model: new ScriptedModel({ info: ClaudeSonnet4_6 }).toolUses([{ name: 'sample' }, { name: 'pick' }]),
      tools: [sampler()],
    });
    const events = collectEvents(agent);
    const result = await agent.run('go', { clientTools: [{ name: 'pick', description: 'Client picks', inputSchema: { type: 'object' } }] });
    expect(result.status).toBe('interrupted');
    expect(result.usage.outputTokens).toBe(modelUsage(events).outputTokens + SAMPLED.outputTokens);
    expect(events.find((e) => e.type === 'run_interrupted')).toMatchObject({ usage: result.usage });
  });

  it('bad numbers throw a TypeError in the tool (its call fails, the run goes on); reports after the run are ignored', async () => {
    let kept: ToolContext['reportUsage'];
    const bad = tool({
      name: 'bad',
      description: 'Reports nonsense',
      input: z.object({}),
      execute: (_input, ctx) => {
        kept = ctx.reportUsage;
        ctx.reportUsage?.({ inputTokens: -1, outputTokens: Number.NaN });
        return 'unreachable';
      },
    });
    const agent = new Agent({ model: new ScriptedModel().toolUse('bad', {}).text('done'), tools: [bad] });
    const result = await agent.run('go');
    expect(result.text).toBe('done');
    expect(result.toolCalls[0]!.success).toBe(false);
    expect(JSON.stringify(result.toolCalls[0]!.output)).toContain(
      'reportUsage: usage.inputTokens must be a non-negative finite number, got -1',
    );
    const before = structuredClone(result.usage);
    kept!({ inputTokens: 10, outputTokens: 10 });
    expect(result.usage).toEqual(before);
    expect(() => kept!({ inputTokens: 1, outputTokens: 1 }, -5)).toThrow(TypeError);
  });

  it('agent.asTool reports the sub-agent run to the calling run', async () => {
    const innerUsage = { inputTokens: 700, outputTokens: 90 };
    const inner = new Agent({ model: new ScriptedModel({ info: ClaudeSonnet4_6 }).text('42', { usage: innerUsage }) });
    const outer = new Agent({
      model: new ScriptedModel({ info: ClaudeSonnet4_6 }).toolUse('expert', { prompt: 'q' }).text('it is 42'),
      tools: [inner.asTool({ name: 'expert', description: 'Asks the expert' })],
    });
    const outerEvents = collectEvents(outer);
    const result = await outer.run('ask');
    expect(result.usage.outputTokens).toBe(modelUsage(outerEvents).outputTokens + innerUsage.outputTokens);
    expect(result.toolCalls[0]!.usage).toEqual(innerUsage);
    expect(result.toolCalls[0]!.costUsd).toBeCloseTo(costOf(innerUsage, ClaudeSonnet4_6.pricing)!, 12);
  });
});
