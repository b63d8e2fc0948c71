/**
 * The execution of one run: the agent is started (or resumed) and its events are written to a
 * sink as AG-UI events. This is the server's one run path — a different executor (for example a
 * durable one that hands runs to workers) replaces this function and nothing else.
 * @module
 */
import type { BaseEvent, RunAgentInput } from '@ag-ui/core';
import {
  type Agent,
  AgentAbortedError,
  type AgentEvent,
  type EventStream,
  type AgentResult,
  type RunOptions,
  type SessionStore,
} from '@mixtape/core';
import { AguiMapper, errorMessage, ResumeInputError, resumeAnswers, tokenUsage } from './agui.js';
import type { RunCoordinator } from './coordinator.js';
import { openToolTurn, toAguiMessages } from './messages.js';
import { type Principal, ServerConfigError, type ServerErrorLogger } from './options.js';
import { QUESTION_INTERRUPT_PREFIX, type QuestionDesk } from './questions.js';
import type { RunChannel } from './run-channel.js';
import type { ParsedRunInput } from './run-input.js';

/** Why a run was cancelled by the server (the abort reason its agent sees). */
export class ServerShutdownError extends Error {
  override name = 'ServerShutdownError';
  constructor() {
    super('The server is shutting down; the run was cancelled. Its history so far is saved: send the message again to continue.');
  }
}

/** Why a run was cancelled because its client went away. */
export class ClientDisconnectedError extends Error {
  override name = 'ClientDisconnectedError';
  constructor() {
    super('The client disconnected; the run was cancelled. Its history so far is saved.');
  }
}

/** Where a run's AG-UI events go (an HTTP response, a log, a queue). */
export interface EventSink {
  write(event: BaseEvent): Promise<void>;
}

/** Everything one run needs. */
export interface RunContext {
  agent: Agent;
  input: RunAgentInput;
  parsed: ParsedRunInput;
  /** The session id of the thread (the thread id, or namespaced by principal). */
  sessionId: string;
  principal: Principal;
  sessionStore: SessionStore;
  /** How approvals wait (see `ServerOptions.approvals`). */
  approvals: 'interrupt' | 'wait';
  /** Stream thinking as REASONING_* events. */
  reasoning: boolean;
  /** Aborting it cancels the run (its reason says why). */
  controller: AbortController;
  /** Approval delivery for `approvals: 'wait'`. */
  coordinator: RunCoordinator;
  logError: ServerErrorLogger;
  /** Parking on questions the run's tools ask a person (when the server has `questions`). */
  parking?: RunParking;
}

/**
 * How a run parks on questions its tools ask: the executor ends the response with them when
 * the desk is ready, and tells the server how a resumed response opens.
 */
export interface RunParking {
  desk: QuestionDesk;
  /** The sink the executor writes to (the same object as its `sink`). */
  channel: RunChannel;
  /** Set by the executor: the events that open the response continuing the run (RUN_STARTED with the resume's run id). */
  opening?: (runId: string) => BaseEvent[];
}

/** The sentinel of a desk that has questions to show. */
const PARK: unique symbol = Symbol('park');

/** Runs one request of a thread to its end, writing AG-UI events to `sink`. Never throws. */
export type RunExecutor = (ctx: RunContext, sink: EventSink) => Promise<void>;

/** The thread state stored with the session, when the store keeps one. */
async function storedState(store: SessionStore, sessionId: string): Promise<unknown> {
  return (await store.loadRunState?.(sessionId))?.state;
}

const isEmptyObject = (v: unknown) => v !== null && typeof v === 'object' && Object.keys(v).length === 0;

/** The server's run executor: see {@link RunExecutor}. */
export const executeRun: RunExecutor = async (ctx, sink) => {
  const { agent, input, parsed, controller, logError } = ctx;
  const { threadId, runId } = input;
  const logContext = { threadId, runId, principalId: ctx.principal.id };
  let events: EventStream<AgentResult> | undefined;
  const withdrawals = new Map<string, () => Promise<void>>();
  const withdraw = async (proposalId: string) => {
    const w = withdrawals.get(proposalId);
    withdrawals.delete(proposalId);
    await w?.().catch((e: unknown) => logError(e, logContext));
  };
  let mapper: AguiMapper | undefined;
  let started = false;
  try {
    const session = await ctx.sessionStore.getSession(ctx.sessionId);
    const stored = session?.messages ?? [];
    const prompt = parsed.request.kind === 'prompt';
    // The client's state is the thread's state when it sends one; an empty object (what a client
    // that keeps no state sends) leaves the stored state as it is.
    const clientState = parsed.state && !isEmptyObject(parsed.state) ? parsed.state : undefined;
    const threadState = clientState === undefined ? await storedState(ctx.sessionStore, ctx.sessionId) : undefined;
    const pending = await agent.pendingInterrupts();
    // A new message while only client tool calls wait: the application chose not to answer them
    // (AG-UI leaves that to it), so they are cancelled first and then the message runs.
    const skipClientTools = prompt && pending.length > 0 && pending.every((i) => i.reason === 'client_tool');
    mapper = new AguiMapper({
      threadId,
      runId,
      reasoning: ctx.reasoning,
      nextMessageIndex: stored.length,
      ...(prompt && !skipClientTools ? {} : { openTurn: openToolTurn(stored) ?? [] }),
      state: parsed.state ?? {},
    });
    started = true;
    await sink.write(mapper.runStarted());
    if (threadState !== undefined) await sink.write(mapper.stateSnapshot(threadState));

    const options: RunOptions = {
      signal: controller.signal,
      approvals: ctx.approvals,
      ...(parsed.clientTools.length ? { clientTools: parsed.clientTools } : {}),
      ...(parsed.context.length ? { context: parsed.context } : {}),
      ...(clientState !== undefined ? { state: clientState } : {}),
    };
    const parking = ctx.parking;
    if (parking) parking.opening = (next) => [mapper!.continueAs(next)];
    /** Ends the response with the questions waiting (the run goes on, parked). */
    const park = async () => {
      const interrupts = parking!.desk.announce();
      if (interrupts.length === 0) return;
      const after = await ctx.sessionStore.getSession(ctx.sessionId);
      await parking!.channel.park(mapper!.parked(interrupts, after ? toAguiMessages(threadId, after.messages) : undefined));
    };
    const forward = async (stream: EventStream<AgentResult>) => {
      events = stream;
      const iterator = (stream as AsyncIterable<AgentEvent>)[Symbol.asyncIterator]();
      let next = iterator.next();
      for (;;) {
        const upcoming = next;
        // The next agent event, or a question to show (one waiter at a time: nothing accumulates).
        const step = parking
          ? await new Promise<IteratorResult<AgentEvent> | typeof PARK>((resolve, reject) => {
              upcoming.then(resolve, reject);
              parking.desk.whenReady(() => resolve(PARK));
            })
          : await upcoming;
        if (step === PARK) {
          await park();
          continue;
        }
        if (step.done) break;
        next = iterator.next();
        const e = step.value;
        if (e.type === 'permission_required') {
          const proposalId = e.proposalId;
          const info = {
            proposalId,
            toolName: e.toolName,
            toolCallId: e.toolUseId,
            params: e.params,
            ...(e.display !== undefined ? { display: e.display } : {}),
          };
          // Registered before the event is written: an answer cannot arrive before it is expected.
          withdrawals.set(
            proposalId,
            await ctx.coordinator.expectApproval(ctx.sessionId, info, (response) => agent.respondToPermission(proposalId, response)),
          );
        } else if (e.type === 'permission_granted' || e.type === 'permission_denied') {
          await withdraw(e.toolUseId);
        }
        for (const out of mapper!.translate(e)) await sink.write(out);
      }
      return stream.result;
    };
    let result: AgentResult;
    if (parsed.request.kind === 'prompt') {
      if (skipClientTools)
        await forward(
          agent.streamResume(
            pending.map((i) => ({ interruptId: i.id, type: 'cancel' as const })),
            { signal: controller.signal },
          ),
        );
      mapper.userMessage();
      result = await forward(
        agent.stream(parsed.request.prompt, {
          ...options,
          ...(parsed.request.attachments.length ? { attachments: parsed.request.attachments } : {}),
        }),
      );
    } else {
      // A question is answered where it was asked; here its run is gone (the process that
      // asked restarted or stopped, or it was another worker's), and the MCP call with it.
      const stale = parsed.request.resume.filter((r) => r.interruptId.startsWith(QUESTION_INTERRUPT_PREFIX));
      if (stale.length)
        throw new ResumeInputError(
          `The question ${stale.map((r) => r.interruptId).join(', ')} expired with the run that asked it: a tool's question waits only in the server process running that tool, and that run is over (the process restarted or stopped, the resume reached another worker, or the tool call ended). Send a new message to continue; a tool call the run left unfinished gets an error result.`,
          'expired',
        );
      result = await forward(agent.streamResume(resumeAnswers(parsed.request.resume, parsed.request.toolResults, pending), options));
    }
    if (result.sessionId !== undefined && result.sessionId !== ctx.sessionId) {
      logError(
        new ServerConfigError(
          `agentFactory made an agent whose session is ${result.sessionId}, not the thread ${ctx.sessionId}: other instances will not find this conversation. Pass sessionId: threadId (and the server's sessionStore) to new Agent.`,
        ),
        logContext,
      );
    }
    const interrupted = result.status === 'interrupted' && result.interrupts.length > 0;
    const after = interrupted ? await ctx.sessionStore.getSession(ctx.sessionId) : null;
    const info = agent.sessionInfo();
    for (const out of mapper.finished(result, {
      ...(after ? { messages: toAguiMessages(threadId, after.messages) } : {}),
      ...(result.state !== undefined ? { state: result.state } : {}),
      usage: tokenUsage(result.usage, agent.model?.provider ?? 'unknown', agent.model?.modelId ?? 'unknown'),
      messageCount: after?.messages.length ?? info?.messageCount ?? null,
    }))
      await sink.write(out);
  } catch (error) {
    // If the failure is ours (e.g. the coordinator lost its database), stop the agent too, and
    // let it finish before the thread's lock is released: one run per thread, always.
    if (!controller.signal.aborted) controller.abort(error);
    await events?.result.catch(() => undefined); // its failure is the error handled here
    mapper ??= new AguiMapper({ threadId, runId, reasoning: false, nextMessageIndex: 0 });
    if (!started) await sink.write(mapper.runStarted());
    const reason = controller.signal.reason;
    if (controller.signal.aborted && reason instanceof ServerShutdownError) {
      for (const out of mapper.cancelled(reason.message)) await sink.write(out);
    } else if (controller.signal.aborted && (error instanceof AgentAbortedError || reason instanceof ClientDisconnectedError)) {
      // Nobody is listening any more; nothing to write.
    } else {
      logError(error instanceof Error ? error : new Error(errorMessage(error)), logContext);
      for (const out of mapper.failed(error)) await sink.write(out);
    }
  } finally {
    ctx.parking?.desk.close('The run ended before the question was answered.');
    await Promise.all([...withdrawals.keys()].map(withdraw));
  }
};
