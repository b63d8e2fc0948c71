/**
 * @mixtape/runs against a real PostgreSQL: start/status/result/events/cancel/list, one active run
 * per thread, coalesced events read from any point, retries, dead letter, graceful shutdown.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, ProviderError, tool, type Model } from '@mixtape/core';
import { validateHistory } from '@mixtape/core/testing';
import { fromSessionMessages } from '@mixtape/core';
import { PostgresSessionStore } from '@mixtape/postgres';
import { createRuns, type RunEvent, RunsError, type Runs, startWorker, type Worker } from '@mixtape/runs';
import { createTestDatabase, describePostgres } from '../../../test-support/postgres.js';
import { PlanModel, planPrompt } from './support/plan-model.js';

async function collect(it: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describePostgres('durable runs', () => {
  let url: string;
  let store: PostgresSessionStore;
  let runs: Runs;
  let worker: Worker;
  const executed: string[] = [];
  /** Models by thread id prefix, so one worker serves every scenario. */
  const models: Record<string, () => Model> = {};

  const record = tool({
    name: 'record',
    description: 'records a step',
    input: z.object({ tag: z.string(), step: z.number(), j: z.number() }),
    execute: (input, ctx) => {
      executed.push(ctx.toolUseId);
      return `recorded ${input.tag} ${input.step} ${input.j}`;
    },
  });

  const factory = ({ threadId }: { threadId: string }) => {
    const prefix = threadId.split(':')[0]!;
    // Threads "ask:*" ask before every tool call.
    const approvals = prefix === 'ask' ? { permissionPolicy: 'interactive' as const, interactive: true } : {};
    return new Agent({
      model: models[prefix]?.() ?? new PlanModel(),
      tools: [record],
      sessionStore: store,
      sessionId: threadId,
      ...approvals,
    });
  };

  const startTestWorker = () =>
    startWorker({
      connectionString: url,
      sessionStore: store,
      concurrency: 3,
      leaseMs: 2000,
      retryDelaySeconds: 0,
      retryLimit: 2,
      pollingIntervalSeconds: 0.5,
      onError: () => {},
      agentFactory: factory,
    });

  beforeAll(async () => {
    url = await createTestDatabase('runs');
    store = new PostgresSessionStore({ connectionString: url });
    runs = createRuns({ connectionString: url, retryDelaySeconds: 0, retryLimit: 2, pollingIntervalSeconds: 0.5 });
    worker = await startTestWorker();
  });

  afterAll(async () => {
    await worker?.stop({ graceMs: 1000 });
    await runs?.close();
    await store?.close();
  });

  it('a run started from one client completes on a worker; its events are complete, coalesced and in order', async () => {
    const runId = await runs.start('plain:1', planPrompt({ tag: 'a', steps: 2, fanout: 2 }));
    expect(typeof runId).toBe('string');
    const info = await runs.result(runId);
    expect(info.status).toBe('completed');
    expect(info.result?.text).toBe('done a');
    expect(info.attempts).toBe(1);
    const events = await collect(runs.events(runId));
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    const types = events.map((e) => e.event.type);
    expect(types[0]).toBe('run_attempt');
    expect(types.at(-1)).toBe('run_ended');
    expect(types).toContain('run_completed');
    expect(types.filter((t) => t === 'tool_completed')).toHaveLength(4);
    // Three words per answer were streamed; the persisted deltas are coalesced per model call.
    const deltas = events.filter((e) => e.event.type === 'model_call_streaming');
    expect(deltas.length).toBeLessThan(9);
    expect(deltas.map((e) => (e.event as { delta: string }).delta).join('|')).toContain('done a');
    const session = await store.getSession('plain:1');
    expect(validateHistory(fromSessionMessages(session!.messages))).toEqual([]);
    expect(executed.filter((id) => id.startsWith('tu_a_'))).toHaveLength(4);
  });

  it('re-attaching after any event id yields exactly the rest, once, in order', async () => {
    const runId = await runs.start('plain:2', planPrompt({ tag: 'b', steps: 3, fanout: 1, jitterMs: 5 }));
    const all = await collect(runs.events(runId));
    for (const cut of [1, Math.floor(all.length / 2), all.length - 1]) {
      const rest = await collect(runs.events(runId, { after: cut }));
      expect(rest.map((e) => e.id)).toEqual(all.slice(cut).map((e) => e.id));
    }
    // A live tail started mid-run from a second client sees the same events.
    const other = createRuns({ connectionString: url });
    const second = await runs.start('plain:3', planPrompt({ tag: 'c', steps: 3, fanout: 1, jitterMs: 20 }));
    const head: RunEvent[] = [];
    for await (const e of other.events(second)) {
      head.push(e);
      if (head.length === 3) break;
    }
    const tail = await collect(other.events(second, { after: head.at(-1)!.id }));
    const whole = await collect(runs.events(second));
    expect([...head, ...tail].map((e) => e.id)).toEqual(whole.map((e) => e.id));
    await other.close();
  });

  it('one active run per thread: a second start is refused with busy; a cancelled queued run frees the thread', async () => {
    await worker.stop({ graceMs: 1000 });
    const first = await runs.start('busy:1', planPrompt({ tag: 'd', steps: 1, fanout: 1 }));
    const err = await runs.start('busy:1', 'another').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunsError);
    expect((err as RunsError).kind).toBe('busy');
    expect((err as RunsError).runId).toBe(first);
    const cancelled = await runs.cancel(first);
    expect(cancelled.status).toBe('cancelled');
    const events = await collect(runs.events(first));
    expect(events.map((e) => e.event.type)).toEqual(['run_ended']);
    const next = await runs.start('busy:1', planPrompt({ tag: 'e', steps: 1, fanout: 1 }));
    expect((await runs.list('busy:1')).map((r) => [r.id, r.status])).toEqual([
      [next, 'queued'],
      [first, 'cancelled'],
    ]);
    // Restart a worker: the queued run is picked up.
    worker = await startTestWorker();
    expect((await runs.result(next)).status).toBe('completed');
  });

  it("a failure that is the user's fault ends the run failed without a retry", async () => {
    models.bad = () => ({
      provider: 'fake',
      modelId: 'bad',
      // eslint-disable-next-line require-yield
      async *stream() {
        throw new ProviderError('invalid request: bad', { provider: 'fake', kind: 'invalid_request', status: 400 });
      },
    });
    const runId = await runs.start('bad:1', 'hello');
    const info = await runs.result(runId);
    expect(info.status).toBe('failed');
    expect(info.attempts).toBe(1);
    expect(info.error?.retryable).toBe(false);
    expect(info.error?.reason).toMatch(/invalid request/);
  });

  it("a provider failure that is not the user's fault is retried, and the run continues from its persisted prompt", async () => {
    let calls = 0;
    const plan = new PlanModel();
    models.flaky = () => ({
      provider: 'fake',
      modelId: 'flaky',
      stream(request) {
        if (++calls === 1) throw new ProviderError('overloaded', { provider: 'fake', kind: 'overloaded', status: 529 });
        return plan.stream(request);
      },
    });
    const runId = await runs.start('flaky:1', planPrompt({ tag: 'f', steps: 1, fanout: 1 }));
    const info = await runs.result(runId);
    expect(info).toMatchObject({ status: 'completed', attempts: 2, result: { text: 'done f' } });
    const types = (await collect(runs.events(runId))).map((e) => e.event.type);
    expect(types.filter((t) => t === 'run_retry')).toHaveLength(1);
    expect(types.filter((t) => t === 'run_attempt')).toHaveLength(2);
    const session = await store.getSession('flaky:1');
    expect(session!.messages.filter((m) => m.role === 'user' && m.content.startsWith('plan '))).toHaveLength(1);
    expect(validateHistory(fromSessionMessages(session!.messages))).toEqual([]);
  });

  it('a run whose retries are used up ends dead, with the reason', async () => {
    models.down = () => ({
      provider: 'fake',
      modelId: 'down',
      // eslint-disable-next-line require-yield
      async *stream() {
        throw new ProviderError('server error 503', { provider: 'fake', kind: 'server', status: 503 });
      },
    });
    const info = await runs.result(await runs.start('down:1', 'hello'));
    expect(info.status).toBe('dead');
    expect(info.attempts).toBe(3);
    expect(info.error?.reason).toMatch(/Gave up after 3 attempts: .*503/);
  });

  it('cancelling a running run stops it on its worker; the conversation stays valid', async () => {
    const runId = await runs.start('cancel:1', planPrompt({ tag: 'x', steps: 50, fanout: 1, jitterMs: 30 }));
    for await (const e of runs.events(runId)) if (e.event.type === 'tool_completed') break;
    await runs.cancel(runId);
    const info = await runs.result(runId);
    expect(info.status).toBe('cancelled');
    const session = await store.getSession('cancel:1');
    expect(validateHistory(fromSessionMessages(session!.messages))).toEqual([]);
    expect((await runs.start('cancel:1', planPrompt({ tag: 'y', steps: 1, fanout: 1 })).then((id) => runs.result(id))).status).toBe(
      'completed',
    );
  });

  it('an approval ends the run interrupted; the resume is a new run on the thread', async () => {
    models.ask = () => new PlanModel();
    const runId = await runs.start('ask:1', planPrompt({ tag: 'q', steps: 1, fanout: 1 }), { metadata: { ask: true } });
    const info = await runs.result(runId);
    expect(info.status).toBe('interrupted');
    const interrupts = info.result!.interrupts;
    expect(interrupts).toHaveLength(1);
    expect(interrupts[0]).toMatchObject({ reason: 'tool_call', toolName: 'record' });
    const resumed = await runs.resume('ask:1', [{ interruptId: interrupts[0]!.id, type: 'approve' }]);
    expect(await runs.result(resumed)).toMatchObject({ status: 'completed', result: { text: 'done q' } });
    expect((await runs.list('ask:1')).map((r) => r.status)).toEqual(['completed', 'interrupted']);
  });

  it('graceful stop: a run in flight finishes within the grace; past it, the run is handed back at a step boundary and another worker continues it', async () => {
    const quick = await runs.start('stop:1', planPrompt({ tag: 's1', steps: 2, fanout: 1, jitterMs: 20 }));
    for await (const e of runs.events(quick)) if (e.event.type === 'model_call_started') break;
    await worker.stop({ graceMs: 60_000 });
    expect(await runs.status(quick)).toMatchObject({ status: 'completed', attempts: 1 });

    worker = await startTestWorker();
    const long = await runs.start('stop:2', planPrompt({ tag: 's2', steps: 6, fanout: 1, jitterMs: 20 }));
    for await (const e of runs.events(long)) if (e.event.type === 'tool_completed') break;
    await worker.stop({ graceMs: 0 });
    expect((await runs.status(long))!.status).toBe('queued');
    worker = await startTestWorker();
    expect(await runs.result(long)).toMatchObject({ status: 'completed', attempts: 2, result: { text: 'done s2' } });
    const session = await store.getSession('stop:2');
    expect(validateHistory(fromSessionMessages(session!.messages))).toEqual([]);
    expect(session!.messages.filter((m) => m.role === 'assistant' && m.content === 'done s2')).toHaveLength(1);
    const ran = executed.filter((id) => id.startsWith('tu_s2_'));
    expect(new Set(ran).size).toBe(6);
    expect(ran).toHaveLength(6);
  });

  it('events past the per-run limit lose only their deltas (marked); events of old runs are deleted by retention, the run stays', async () => {
    await worker.stop({ graceMs: 60_000 });
    const limited = await startWorker({
      connectionString: url,
      sessionStore: store,
      maxEventsPerRun: 6,
      onError: () => {},
      agentFactory: factory,
    });
    const runId = await runs.start('limits:1', planPrompt({ tag: 'l', steps: 4, fanout: 1 }));
    expect((await runs.result(runId)).status).toBe('completed');
    const events = await collect(runs.events(runId));
    const types = events.map((e) => e.event.type);
    expect(types.filter((t) => t === 'events_truncated')).toHaveLength(1);
    expect(types.slice(types.indexOf('events_truncated')).filter((t) => t === 'model_call_streaming')).toEqual([]);
    expect(types.filter((t) => t === 'tool_completed')).toHaveLength(4);
    expect(types.at(-1)).toBe('run_ended');
    await limited.stop();
    // A worker with a retention of 1 ms sweeps at start: the events are gone, the run's outcome is not.
    const sweeping = await startWorker({
      connectionString: url,
      sessionStore: store,
      eventRetentionMs: 1,
      onError: () => {},
      agentFactory: factory,
    });
    expect(await collect(runs.events(runId))).toEqual([]);
    expect(await runs.status(runId)).toMatchObject({ status: 'completed', result: { text: 'done l' } });
    await sweeping.stop();
    worker = await startTestWorker();
  });

  it('rejects bad input with typed errors', async () => {
    await expect(runs.start('', 'x')).rejects.toMatchObject({ kind: 'invalid_input' });
    await expect(runs.start('t'.repeat(300), 'x')).rejects.toMatchObject({ kind: 'invalid_input' });
    await expect(runs.start('ok', 42 as unknown as string)).rejects.toMatchObject({ kind: 'invalid_input' });
    await expect(runs.start('ok', 'x'.repeat(1_100_000))).rejects.toMatchObject({ kind: 'invalid_input' });
    await expect(runs.result('nope')).rejects.toMatchObject({ kind: 'not_found' });
    await expect(collect(runs.events('nope'))).rejects.toMatchObject({ kind: 'not_found' });
    expect(await runs.status('nope')).toBeNull();
    expect(() => createRuns({} as never)).toThrow(RunsError);
  });
});
