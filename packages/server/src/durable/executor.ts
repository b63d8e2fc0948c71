/**
 * The server's durable mode: a {@link RunExecutor} that hands each run to `@mixtape/runs` workers
 * instead of running the agent in this process. A POST queues a job (run id = the AG-UI run id)
 * and streams the run's persisted events as AG-UI events; a POST with a run id that exists
 * re-attaches to that run and streams it from its first event (each event once, in order), from
 * any instance. A client that goes away stops only its stream: the run goes on. Interrupts end
 * the run (and its job); the resume is a new run.
 * @module
 */
import type { Runs, StoredEvent } from '@mixtape/runs';
import type { AgentResult } from '@mixtape/core';
import { AguiMapper, resumeAnswers, tokenUsage } from '../agui.js';
import { openToolTurn, toAguiMessages } from '../messages.js';
import type { RunExecutor } from '../run.js';

/** What the mapper of a durable run starts from, kept with the run so a re-attach maps alike. */
interface MapperStart {
  nextMessageIndex: number;
  openTurn?: string[];
  state?: unknown;
}

/** Options of the durable mode (`createServer({ durable })`). */
export interface DurableServerOptions {
  /** The runs API the workers serve (`createRuns({ connectionString })`). */
  runs: Runs;
}

const isEmptyObject = (v: unknown) => v !== null && typeof v === 'object' && Object.keys(v).length === 0;

/** A run executor that queues runs for `@mixtape/runs` workers and streams their events. */
export function durableRunExecutor(options: DurableServerOptions): RunExecutor {
  const { runs } = options;
  return async (ctx, sink) => {
    const { input, parsed, controller } = ctx;
    const { threadId, runId } = input;
    let mapper = new AguiMapper({ threadId, runId, reasoning: ctx.reasoning, nextMessageIndex: 0 });
    try {
      let existing = await runs.status(runId);
      if (existing && existing.threadId !== ctx.sessionId) {
        for (const out of [
          mapper.runStarted(),
          ...mapper.failed(Object.assign(new Error(`Run ${runId} belongs to another thread.`), { code: 'run_id_conflict' })),
        ])
          await sink.write(out);
        return;
      }
      if (!existing) {
        const session = await ctx.sessionStore.getSession(ctx.sessionId);
        const stored = session?.messages ?? [];
        const prompt = parsed.request.kind === 'prompt';
        const clientState = parsed.state && !isEmptyObject(parsed.state) ? parsed.state : undefined;
        const start: MapperStart = {
          nextMessageIndex: prompt ? stored.length + 1 : stored.length,
          ...(prompt ? {} : { openTurn: openToolTurn(stored) ?? [] }),
          ...(parsed.state !== undefined ? { state: parsed.state } : {}),
        };
        const runOptions = {
          ...(parsed.clientTools.length ? { clientTools: parsed.clientTools } : {}),
          ...(parsed.context.length ? { context: parsed.context } : {}),
          ...(clientState !== undefined ? { state: clientState } : {}),
        };
        const common = { runId, options: runOptions, metadata: { agui: start } };
        try {
          if (parsed.request.kind === 'prompt') await runs.start(ctx.sessionId, parsed.request.prompt, common);
          else
            await runs.resume(
              ctx.sessionId,
              resumeAnswers(parsed.request.resume, parsed.request.toolResults, await ctx.agent.pendingInterrupts()),
              common,
            );
        } catch (e) {
          // Two requests with one new run id at once: the other one queued it; follow it.
          if ((e as { kind?: string }).kind !== 'invalid_input' || !(existing = await runs.status(runId))) throw e;
        }
      }
      const start = ((existing?.metadata?.agui as MapperStart | undefined) ?? (await runs.status(runId))?.metadata?.agui) as
        MapperStart | undefined;
      mapper = new AguiMapper({
        threadId,
        runId,
        reasoning: ctx.reasoning,
        nextMessageIndex: start?.nextMessageIndex ?? 0,
        ...(start?.openTurn ? { openTurn: start.openTurn } : {}),
        state: start?.state ?? {},
      });
      await sink.write(mapper.runStarted());
      for await (const { event } of runs.events(runId, { signal: controller.signal })) {
        for (const out of translate(mapper, event)) await sink.write(out);
        if (event.type === 'run_ended') {
          for (const out of await ending(ctx, mapper, event)) await sink.write(out);
          return;
        }
      }
      // The client went away or this server is stopping: the run goes on; a client re-attaches with its run id.
    } catch (error) {
      if (controller.signal.aborted) return;
      ctx.logError(error, { threadId, runId });
      for (const out of [mapper.runStarted(), ...mapper.failed(error)]) await sink.write(out);
    }
  };
}

/** AG-UI events of one stored event (the runs layer's own events map to none, except a continuation closing open text). */
function translate(mapper: AguiMapper, event: StoredEvent) {
  if (event.type === 'run_attempt') return event.continued ? mapper.closeText() : [];
  if (event.type === 'run_retry' || event.type === 'events_truncated' || event.type === 'run_ended') return [];
  return mapper.translate(event);
}

/** The events that end the stream, from the run's `run_ended`. */
async function ending(ctx: Parameters<RunExecutor>[0], mapper: AguiMapper, ended: Extract<StoredEvent, { type: 'run_ended' }>) {
  if (ended.status === 'completed' || ended.status === 'interrupted') {
    const r = ended.result;
    const usage = r?.usage ?? { inputTokens: 0, outputTokens: 0 };
    const result = {
      text: r?.text ?? '',
      usage,
      messages: [],
      toolCalls: [],
      steps: r?.steps ?? 0,
      stopReason: (r?.stopReason ?? 'end_turn') as AgentResult['stopReason'],
      durationMs: 0,
      status: ended.status,
      interrupts: r?.interrupts ?? [],
      ...(r?.cost !== undefined ? { cost: r.cost } : {}),
    } as AgentResult;
    const after = ended.status === 'interrupted' ? await ctx.sessionStore.getSession(ctx.sessionId) : null;
    return mapper.finished(result, {
      ...(after ? { messages: toAguiMessages(ctx.input.threadId, after.messages) } : {}),
      usage: tokenUsage(usage, ctx.agent.model?.provider ?? 'unknown', ctx.agent.model?.modelId ?? 'unknown'),
      messageCount: after?.messages.length ?? null,
    });
  }
  if (ended.status === 'cancelled') return mapper.cancelled(ended.error?.reason ?? 'The run was cancelled.');
  return mapper.failed(
    Object.assign(new Error(ended.error?.reason ?? `The run ended ${ended.status}.`), {
      code: ended.status === 'dead' ? 'run_dead' : (ended.error?.kind ?? 'run_failed'),
    }),
  );
}
