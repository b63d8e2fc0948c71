/**
 * The Agent: talks to a model, runs the tools it asks for, streams events, asks before risky
 * tools, and persists each step of the conversation as it completes.
 * @module
 */
import { consoleLogger, describeError, type Logger } from '../logger.js';
import { type Budget, type BudgetExceededError, checkBudgets, estimateNextCall, reportedUsage, type Spent, usageTokens } from './budget.js';
import {
  type OutputOf,
  type OutputOption,
  PartialOutputReader,
  repairPrompt,
  type ResolvedOutput,
  resolveOutput,
  StructuredOutputError,
} from './structured-output.js';
import { AgentTelemetry } from '../telemetry/agent-telemetry.js';
import { otelApi } from '../lazy-require.js';
import { randomUUID } from 'node:crypto';
import { buildSystemPrompt, type ContextLoadResult, ContextError, loadContext } from '../context-files.js';
import { type ContextUsage, type ConversationManager, SlidingWindowConversationManager } from '../conversation/managers.js';
import type { AgentEvent, AgentHook } from '../events.js';
import { type Message, messageText, type ToolResultBlock, type ToolUseBlock, toolUses } from '../messages.js';
import { addUsage, emptyUsage, type ModelResponse, type StopReason, type ToolDefinition, type Usage } from '../model.js';
import { costOf } from '../models/catalogue.js';
import type { PermissionResponse, ToolAuthorizer, ToolCallRequest } from '../permissions/types.js';
import { ApprovalQueue, type PendingApproval } from '../permissions/approval-queue.js';
import { isInteractiveTerminal, PermissionAuthorizer } from '../permissions/authorizer.js';
import { SessionError } from '../session/types.js';
import {
  hasRunState,
  type Interrupt,
  type InterruptAnswer,
  type RunOutcome,
  type RunStateRecord,
  type RunStateStore,
} from '../session/run-state.js';
import { ProviderError } from '../providers/errors.js';
import { INTERRUPTED_TOOL_RESULT } from '../session/convert.js';
import { estimateMessageTokens, estimateTextTokens } from '../tokens.js';
import { DEFAULT_MAX_TOOL_RESULT_CHARS } from '../tools/result-limit.js';
import { tool as defineTool, type ThreadState, type Tool } from '../tools/tool.js';
import { z } from 'zod';
import { decideAfterModel, decideOnResume, type LoopDecision } from './decision.js';
import { AgentAbortedError, AgentError, MaxStepsError } from './errors.js';
import {
  answersKey,
  cancelledResult,
  checkAnswers,
  clientResult,
  DEFAULT_INTERRUPT_TTL_MS,
  InterruptError,
  newInterrupt,
  permissionResponseOf,
  publicInterrupt,
} from './interrupts.js';
import {
  type AgentOptions,
  type AgentResult,
  type AgentResultWithOutput,
  type ApprovalMode,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT_TOOLS,
  DEFAULT_MAX_STEPS,
  type RunContextItem,
  type RunOptions,
  type ToolCallRecord,
} from './options.js';
import { LocalRunStates, RunRecord, runStateStoreOf } from './run-record.js';
import { type CallPlan, type Emit, runToolCalls } from './tool-runner.js';
import { closeUnansweredPrompt, type LoadedSession, prepareWindow, SessionSync } from './session-sync.js';
import { EventStream } from './event-stream.js';
import { copyData } from '../copy-data.js';

/** What starts a run: a new prompt, or answers to a paused run. */
type RunInput = { kind: 'prompt'; prompt: string } | { kind: 'resume'; answers: InterruptAnswer[] };

/** Where the loop (re-)enters: a decision, or a model call. */
type LoopStart = LoopDecision | { kind: 'call_model' };

/** How a run ended when it did not fail. */
interface RunOutcomeValue {
  status: 'completed' | 'interrupted';
  text: string;
  interrupts: Interrupt[];
  stopReason: StopReason;
}

/** The mutable state of one run. */
interface RunContext {
  runId: string;
  emit: Emit;
  signal: AbortSignal;
  started: number;
  usage: Usage;
  cost: number | undefined;
  /** Messages this run added. */
  added: Message[];
  toolCalls: ToolCallRecord[];
  steps: number;
  persistedAny: boolean;
  /** The run changed (or may change) the history: a failure must leave it valid. */
  entered: boolean;
  record: RunRecord | undefined;
  state: { value: unknown; dirty: boolean };
  system: string | undefined;
  context: ContextLoadResult | undefined;
  tools: ToolDefinition[];
  clientTools: Set<string>;
  approvals: ApprovalMode;
  /** Key of the answers this run applied (resumes). */
  answersKey: string | undefined;
  /** Every answer was a cancel: stop after closing the calls. */
  allCancelled: boolean;
  fixed?: number;
  /** The run's output schema, resolved. */
  output?: ResolvedOutput;
  /** The validated final answer. */
  outputValue?: unknown;
  /** Repair turns used for the output. */
  repairs: number;
  /** Largest output of one model call in this run (for budget estimates). */
  largestOutput: number;
  /** This run's budget (RunOptions.budget). */
  budget?: Budget | undefined;
  /** Usage reported by tools and not yet added to the session's totals. */
  usageWrites?: Promise<void>;
  /** Usage a tool reported took the run past a budget: the run ends with it after the batch. */
  budgetError?: BudgetExceededError;
  /** The run has ended (later usage reports are ignored). */
  ended: boolean;
  /** The thread state handle given to tools (made on the first batch). */
  threadState?: ThreadState;
}

/** Context window assumed when the model's catalogue entry is unknown. */
export const DEFAULT_CONTEXT_WINDOW = 200_000;

/** Information about the agent's current session. */
export interface SessionInfo {
  id: string;
  messageCount: number;
  createdAt: Date;
  title?: string;
}

/**
 * An agent. Ten lines to a working one:
 *
 * @example
 * const agent = new Agent({ model: anthropic(ClaudeSonnet4_6), tools: [add], sessionStore: new SqliteSessionStore() });
 * const result = await agent.run('What is 2 + 2?');
 * console.log(result.text, result.cost);
 */
export class Agent {
  readonly model: AgentOptions['model'];
  private readonly options: AgentOptions;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly toolMap = new Map<string, Tool<any>>();
  private readonly hooks = new Set<AgentHook>();
  private readonly manager: ConversationManager;
  private history: Message[] = [];
  private session?: SessionSync;
  private running = false;
  private lastContext?: ContextLoadResult;
  private systemPromptCache?: string;
  private readonly approvals: ApprovalQueue;
  private readonly authorizer?: ToolAuthorizer;
  private readonly interactive: boolean;
  private readonly localRunStates = new LocalRunStates();
  /** Created on first use (the first run's first event), so that @opentelemetry/api loads only when a run happens. */
  private telemetryInstance?: AgentTelemetry;
  private readonly logger: Logger;

  constructor(options: AgentOptions) {
    if (!options || typeof options.model?.stream !== 'function') {
      throw new AgentError(
        'config',
        'new Agent({ model }) needs a model: anthropic(...), bedrock(...), openaiCompatible(...) or a ScriptedModel.',
      );
    }
    this.options = options;
    this.model = options.model;
    this.manager = options.conversationManager ?? new SlidingWindowConversationManager();
    this.logger = options.logger ?? consoleLogger;
    for (const t of options.tools ?? []) this.addTool(t);
    for (const h of options.hooks ?? []) this.hooks.add(h);
    if (options.sessionStore)
      this.session = new SessionSync(options.sessionStore, options.sessionId, false, {
        manager: this.manager,
        contextWindow: this.model.info?.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
      });
    this.approvals = new ApprovalQueue({ timeoutMs: options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS });
    if (options.authorizer) {
      this.authorizer = options.authorizer;
      this.interactive = options.interactive ?? true;
    } else if (options.grantStore || options.permissionPolicy || options.permissionRules || options.trustedTools) {
      // With approvals as interrupts a person answers later, from anywhere: asking is possible.
      this.interactive = options.interactive ?? (options.approvals === 'interrupt' || isInteractiveTerminal());
      this.authorizer = new PermissionAuthorizer({
        ...(options.grantStore ? { store: options.grantStore } : {}),
        ...(options.permissionPolicy ? { policy: options.permissionPolicy } : {}),
        interactive: this.interactive,
        ...(options.permissionRules ? { rules: options.permissionRules } : {}),
        ...(options.trustedTools ? { trustedTools: options.trustedTools } : {}),
        project: options.cwd ?? process.cwd(),
      });
    } else {
      this.interactive = options.interactive ?? true;
    }
  }

  /** The authorizer deciding which tool calls run, if any. */
  get toolAuthorizer(): ToolAuthorizer | undefined {
    return this.authorizer;
  }

  /** Adds a tool. A second tool with the same name is a configuration error. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  addTool(t: Tool<any>): this {
    if (this.toolMap.has(t.name))
      throw new AgentError(
        'config',
        `Two tools are named "${t.name}". Tool names must be unique; rename one (MCP tools can be namespaced).`,
      );
    this.toolMap.set(t.name, t);
    return this;
  }

  /** The tools of this agent. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  get tools(): Tool<any>[] {
    return [...this.toolMap.values()];
  }

  /** Adds a hook that sees every event; returns a function that removes it. */
  addHook(hook: AgentHook): () => void {
    this.hooks.add(hook);
    return () => this.removeHook(hook);
  }

  /** Removes a hook; returns whether it was present. */
  removeHook(hook: AgentHook): boolean {
    return this.hooks.delete(hook);
  }

  /** The conversation so far (a copy). */
  get messages(): Message[] {
    return copyData(this.history);
  }

  /** Context loaded by the last run. */
  get lastContextInfo(): ContextLoadResult | undefined {
    return this.lastContext;
  }

  /** Permission requests waiting for an answer. */
  pendingPermissions(): PendingApproval[] {
    return this.approvals.pending();
  }

  /**
   * Answers a `permission_required` event. Returns false when no request with that id is
   * waiting (already answered, timed out, or unknown).
   */
  respondToPermission(proposalId: string, response: PermissionResponse): boolean {
    return this.approvals.respond(proposalId, response);
  }

  /**
   * Runs the agent on a prompt and resolves with the final answer. With an `output` schema the
   * answer is also validated and typed as `result.output`.
   */
  run<O extends OutputOption>(prompt: string, options: RunOptions & { output: O }): Promise<AgentResultWithOutput<OutputOf<O>>>;
  run(prompt: string, options?: RunOptions): Promise<AgentResult>;
  async run(prompt: string, options: RunOptions = {}): Promise<AgentResult> {
    return this.execute({ kind: 'prompt', prompt }, options, undefined);
  }

  /**
   * Runs the agent and yields every event as it happens (text deltas included). The iterator
   * throws the run's error after yielding `run_failed`. `stream.result` resolves with the result.
   * Breaking out of the loop early cancels the run (the session stays valid).
   */
  stream(prompt: string, options: RunOptions = {}): EventStream<AgentResult> {
    return this.streamInput({ kind: 'prompt', prompt }, options);
  }

  /** Estimated context usage of the next model call. */
  contextUsage(): ContextUsage {
    const maxContextTokens = this.model.info?.contextWindow ?? DEFAULT_CONTEXT_WINDOW;
    const fixedTokens = this.fixedTokens(this.systemPromptCache ?? this.options.systemPrompt);
    const window = this.manager.select(this.history, { maxContextTokens, fixedTokens });
    const contextTokens = fixedTokens + window.reduce((n, m) => n + estimateMessageTokens(m), 0);
    return {
      contextTokens,
      maxContextTokens,
      usagePercentage: Math.min(1, contextTokens / maxContextTokens),
      totalMessages: this.history.length,
      contextMessages: window.length,
    };
  }

  /** The current session, or null without a session store (or before the first run). */
  sessionInfo(): SessionInfo | null {
    return this.session?.info() ?? null;
  }

  /**
   * Loads the session from the store now (runs do it themselves); useful to show what was
   * resumed before the first prompt. Returns null without a session store.
   */
  async loadSession(): Promise<SessionInfo | null> {
    if (!this.session) return null;
    await this.loadSessionAndRecord();
    return this.session.info();
  }

  /** Forgets the conversation: clears memory AND deletes the stored session. The next run starts a new one. */
  async clearSession(): Promise<void> {
    this.history = [];
    await this.session?.clear();
  }

  /** Switches to another stored session (loaded on the next run). */
  async switchSession(sessionId?: string): Promise<void> {
    if (!this.options.sessionStore) throw new AgentError('config', 'switchSession needs a sessionStore.');
    this.history = [];
    this.session = new SessionSync(this.options.sessionStore, sessionId, sessionId === undefined, {
      manager: this.manager,
      contextWindow: this.model.info?.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
    });
  }

  /**
   * This agent as a tool for another agent. Each call runs this agent on the `prompt` input
   * and returns its final text.
   */
  asTool(options: { name: string; description: string }): Tool<{ prompt: string }> {
    return defineTool({
      name: options.name,
      description: options.description,
      input: z.object({ prompt: z.string().describe('The task or question for this agent') }),
      execute: async ({ prompt }, ctx) => {
        const result = await this.run(prompt, { signal: ctx.signal });
        // The sub-agent's spending is the calling run's too (its cost, when its prices are known).
        ctx.reportUsage?.(result.usage, result.cost ?? 0);
        return result.text;
      },
    });
  }

  /**
   * Tokens of the system prompt and tool definitions. Counted exactly only when a cheap upper
   * bound (one token per character) comes near the window, so short runs never load the tokenizer.
   */
  private fixedTokens(system: string | undefined, maxContextTokens?: number): number {
    let upper = system?.length ?? 0;
    for (const t of this.toolMap.values()) upper += t.name.length + t.description.length + JSON.stringify(t.inputSchema).length + 10;
    if (maxContextTokens !== undefined && upper < maxContextTokens / 4) return upper;
    let n = system ? estimateTextTokens(system) : 0;
    for (const t of this.toolMap.values()) n += estimateTextTokens(t.name + t.description + JSON.stringify(t.inputSchema)) + 10;
    return n;
  }

  /** The agent's spans and metrics (undefined with `telemetry: false`). */
  private get telemetry(): AgentTelemetry | undefined {
    if (this.options.telemetry === false) return undefined;
    return (this.telemetryInstance ??= new AgentTelemetry(this.model, this.options.telemetry));
  }

  private dispatch(event: AgentEvent, extra?: (e: AgentEvent) => void): void {
    this.telemetry?.observe(event);
    extra?.(event);
    for (const hook of this.hooks) {
      try {
        const r = hook(event);
        if (r && typeof r.catch === 'function')
          r.catch((e: unknown) => this.logger.error(`A hook rejected on the ${event.type} event`, { error: describeError(e) }));
      } catch (e) {
        // A hook that throws must not break the run: reported, not rethrown.
        this.logger.error(`A hook threw on the ${event.type} event`, { error: describeError(e) });
      }
    }
  }

  /** Where this agent's run state lives: its session store's, or its own map. */
  private runStates(): RunStateStore {
    return runStateStoreOf(this.options.sessionStore, this.localRunStates);
  }

  /** Loads the session (keeping the open calls of a paused or crashed run) and its run record. */
  private async loadSessionAndRecord(): Promise<{ record: RunRecord; loaded?: LoadedSession }> {
    if (!this.session) {
      const record = new RunRecord(this.runStates(), '');
      const r = await record.load();
      if (!r || r.status === 'idle') closeDanglingToolCalls(this.history);
      return { record };
    }
    let record: RunRecord | undefined;
    const loaded = await this.session.load({
      keepOpenCalls: async (id) => {
        record = new RunRecord(this.runStates(), id);
        const r = await record.load();
        return r !== null && r.status !== 'idle';
      },
    });
    this.history = loaded.messages;
    return { record: record!, loaded };
  }

  /** The open interrupts of the agent's session (loads the session when needed). */
  async pendingInterrupts(): Promise<Interrupt[]> {
    let id = this.session?.id ?? this.options.sessionId;
    if (this.session && id === undefined) {
      await this.loadSession();
      id = this.session.id;
    }
    const r = await new RunRecord(this.runStates(), id ?? '').load();
    return r?.status === 'interrupted' ? r.interrupts.filter((i) => !i.answer).map(publicInterrupt) : [];
  }

  /**
   * Continues a run that ended interrupted (or was killed mid-step) with one answer per open
   * interrupt: approve (optionally with edited input, optionally remembered as a grant), deny,
   * a client tool's result, or cancel. Works from any Agent on the same session store. Replaying
   * answers already applied returns the stored outcome and runs nothing again; `resume([])`
   * continues a run killed mid-step.
   *
   * @throws InterruptError — `unknown` id, `unanswered` open interrupt, `expired`, `invalid_answer`.
   */
  async resume(answers: InterruptAnswer[], options: RunOptions = {}): Promise<AgentResult> {
    return this.execute({ kind: 'resume', answers }, options, undefined);
  }

  /** {@link resume} as a stream of events (like {@link stream}). */
  streamResume(answers: InterruptAnswer[], options: RunOptions = {}): EventStream<AgentResult> {
    return this.streamInput({ kind: 'resume', answers }, options);
  }

  private streamInput(input: RunInput, options: RunOptions): EventStream<AgentResult> {
    // Leaving the for-await loop early (break, return, throw) cancels the run.
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const stream = new EventStream<AgentResult>(() => stop.abort(new Error('the stream consumer stopped reading')));
    stream.attach(this.execute(input, { ...options, signal }, (e) => stream.push(e)));
    return stream;
  }

  private async execute(input: RunInput, options: RunOptions, extra: ((e: AgentEvent) => void) | undefined): Promise<AgentResult> {
    if (input.kind === 'prompt' && typeof input.prompt !== 'string') {
      throw new AgentError(
        'config',
        `agent.run(prompt) needs a string prompt, got ${input.prompt === null ? 'null' : typeof input.prompt}.`,
      );
    }
    if (this.running)
      throw new AgentError(
        'busy',
        'This agent is already running. Wait for the current run to finish (one run at a time per agent and conversation), or use another Agent.',
      );
    this.running = true;
    const runId = randomUUID();
    const run: RunContext = {
      runId,
      // Every emitted event is a fresh object literal: stamped in place rather than copied.
      emit: (e) => {
        const event = e as AgentEvent;
        event.runId = runId;
        event.timestamp = Date.now();
        this.dispatch(event, extra);
      },
      signal: options.signal ?? new AbortController().signal,
      started: performance.now(),
      usage: emptyUsage(),
      cost: undefined,
      added: [],
      toolCalls: [],
      steps: 0,
      persistedAny: false,
      entered: false,
      record: undefined,
      state: { value: undefined, dirty: false },
      system: undefined,
      context: undefined,
      tools: [],
      clientTools: new Set(),
      approvals: options.approvals ?? this.options.approvals ?? 'wait',
      answersKey: undefined,
      allCancelled: false,
      repairs: 0,
      largestOutput: 0,
      ended: false,
    };
    try {
      run.emit({
        type: 'run_started',
        input: input.kind === 'prompt' ? input.prompt : '',
        ...(this.session?.id !== undefined ? { sessionId: this.session.id } : {}),
      });
      if (options.output !== undefined) run.output = resolveOutput(options.output);
      run.budget = options.budget;
      const first = await this.load(run, input, options);
      if ('replay' in first) return first.replay;
      const outcome = await this.loop(run, first);
      return await this.finish(run, outcome);
    } catch (caught) {
      throw await this.fail(run, caught);
    } finally {
      run.ended = true;
      this.approvals.cancelAll('The run ended');
      this.running = false;
    }
  }

  /** Load: context, system prompt, tools, session, run state; then where the loop starts. */
  private async load(run: RunContext, input: RunInput, options: RunOptions): Promise<LoopStart | { replay: AgentResult }> {
    // 1. Context files, resolved on every run, and the run's context items.
    try {
      run.context = this.options.contextFiles?.length
        ? await loadContext(this.options.contextFiles, { ...this.options.contextLimits, cwd: this.options.cwd ?? process.cwd() })
        : undefined;
    } catch (error) {
      if (error instanceof ContextError) throw new AgentError('context', error.message, { cause: error });
      throw error;
    }
    this.lastContext = run.context;
    const system = run.context ? buildSystemPrompt(this.options.systemPrompt, run.context) : this.options.systemPrompt;
    run.system = withRunContext(system, options.context);
    this.systemPromptCache = run.system;

    // 2. Tools: the agent's, then the client's (a client tool may not shadow a server tool).
    run.tools = [...this.toolMap.values()].map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }));
    for (const c of [...(this.options.clientTools ?? []), ...(options.clientTools ?? [])]) {
      if (!c || typeof c.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(c.name))
        throw new AgentError('config', `Client tool name ${JSON.stringify(c?.name)} is invalid: use 1-64 letters, digits, '_' or '-'.`);
      if (this.toolMap.has(c.name))
        throw new AgentError(
          'config',
          `The client tool "${c.name}" has the name of a server tool; rename it (a client tool cannot replace a server tool).`,
        );
      if (run.clientTools.has(c.name)) continue;
      run.clientTools.add(c.name);
      run.tools.push({ name: c.name, description: String(c.description ?? ''), inputSchema: c.inputSchema ?? { type: 'object' } });
    }

    // 3. The session (persisted history wins: another process may have added to it) and its run state.
    let loaded: LoadedSession | undefined;
    try {
      ({ record: run.record, loaded } = await this.loadSessionAndRecord());
    } catch (error) {
      if (error instanceof AgentError) throw error;
      throw new AgentError('session', `Could not load the session: ${(error as Error).message}`, { cause: error });
    }
    if (loaded && loaded.messages.length > 0)
      run.emit({
        type: 'session_resumed',
        sessionId: loaded.id,
        messageCount: loaded.storedCount,
        createdAt: loaded.createdAt,
        repaired: loaded.repaired,
      });
    if (run.signal.aborted) throw new AgentAbortedError(run.signal.reason);
    const rec = run.record.current;
    run.state.value = rec?.state;
    if (options.state !== undefined) {
      run.state = { value: structuredClone(options.state), dirty: true };
      run.emit({ type: 'state_changed', state: run.state.value });
    }

    if (input.kind === 'prompt') {
      // 4a. A new prompt: refused while interrupts are open (expired ones are closed).
      if (rec?.status === 'interrupted') {
        const now = Date.now();
        const open = rec.interrupts.filter((i) => !i.answer);
        const live = open.filter((i) => !i.expiresAt || Date.parse(i.expiresAt) > now);
        if (live.length) {
          throw new InterruptError(
            'pending',
            `This conversation waits for ${live.length} answer(s) (${live.map((i) => `${i.id}: ${i.toolName}`).join(', ')}). Answer them with agent.resume(answers), or cancel them with agent.resume([{ interruptId, type: 'cancel' }]).`,
            live.map(publicInterrupt),
          );
        }
      }
      if (rec && rec.status !== 'idle') await this.closeOpenCalls(run, true);
      run.entered = true;
      await this.persist(run, { role: 'user', content: [{ type: 'text', text: input.prompt }, ...(options.attachments ?? [])] });
      return { kind: 'call_model' };
    }

    // 4b. A resume: a replay returns the stored outcome; otherwise apply the answers.
    const answers = input.answers;
    const key = Array.isArray(answers) && answers.length ? answersKey(answers) : undefined;
    if (
      key !== undefined &&
      rec?.answered?.answersKey === key &&
      (rec.answered.status === 'completed' || rec.answered.status === 'interrupted')
    ) {
      return { replay: this.replayResult(run, rec.answered) };
    }
    if (key !== undefined && rec?.answered?.answersKey === key && rec.answered.status === 'running') {
      throw new AgentError(
        'busy',
        'These answers are being applied by another run right now. Wait for it and send them again to get its outcome; if its process stopped, continue the run with agent.resume([]).',
      );
    }
    const continuing = key !== undefined && rec?.answered?.answersKey === key;
    if (!continuing && rec?.status === 'interrupted') {
      const open = rec.interrupts.filter((i) => !i.answer);
      const byId = checkAnswers(open, answers);
      for (const i of open) {
        const a = byId.get(i.id)!;
        const t = this.toolMap.get(i.toolName);
        if (a.type === 'approve' && a.editedInput !== undefined && t) {
          const v = t.validate(a.editedInput);
          if (!v.ok)
            throw new InterruptError('invalid_answer', `The edited input for ${i.toolName} is invalid: ${v.error}`, [publicInterrupt(i)]);
        }
      }
      try {
        await run.record.update((r) => {
          r.status = 'running';
          r.runId = run.runId;
          r.interrupts = r.interrupts.map((i) => (byId.has(i.id) ? { ...i, answer: byId.get(i.id)! } : i));
          r.answered = { answersKey: key ?? '', status: 'running', text: '', interrupts: [] };
        });
      } catch (error) {
        if (error instanceof SessionError && error.kind === 'conflict') {
          throw new AgentError(
            'busy',
            'Another process applied answers to this run at the same time; load its outcome with agent.resume(sameAnswers) once it has finished.',
            { cause: error },
          );
        }
        throw error;
      }
      run.allCancelled = [...byId.values()].every((a) => a.type === 'cancel');
      run.answersKey = key;
      run.emit({ type: 'run_resumed', answers: structuredClone(answers) });
    } else if (!continuing && key !== undefined) {
      throw new InterruptError(
        'unknown',
        `This conversation has no open interrupts; the answers (${answers.map((a) => a.interruptId).join(', ')}) match none.`,
      );
    } else {
      // Continuing a resumed run cut off mid-way finishes that resume: its answers get the outcome.
      if (continuing) run.answersKey = key;
      else if (rec?.answered?.status === 'running') run.answersKey = rec.answered.answersKey;
      run.emit({ type: 'run_resumed', answers: [] });
    }
    // A prompt the model never answered (its process stopped) is continued, not dropped.
    if (loaded?.unansweredPrompt) {
      this.history.push(loaded.unansweredPrompt);
      this.session?.keepUnansweredPrompt();
    }
    run.entered = true;
    const start = decideOnResume(this.history);
    if (start.kind === 'error') throw start.error;
    return start;
  }

  /** The loop: a model call and its decision, tools, until a final answer, an interrupt or an error. */
  private async loop(run: RunContext, first: LoopStart): Promise<RunOutcomeValue> {
    let decision: LoopStart = first;
    let stopReason: StopReason = 'end_turn';
    for (;;) {
      if (decision.kind === 'call_model') {
        const stepped = await this.step(run);
        decision = stepped.decision;
        stopReason = stepped.stopReason;
      }
      switch (decision.kind) {
        case 'final_answer': {
          if (!run.output) return { status: 'completed', text: decision.text, interrupts: [], stopReason };
          const checked = run.output.check(decision.text);
          if (checked.ok) {
            run.outputValue = checked.value;
            return { status: 'completed', text: decision.text, interrupts: [], stopReason };
          }
          if (run.repairs >= run.output.maxRepairs) throw new StructuredOutputError(checked.issues, decision.text, run.repairs);
          run.repairs++;
          await this.persist(run, { role: 'user', content: [{ type: 'text', text: repairPrompt(checked.issues) }] });
          decision = { kind: 'call_model' };
          continue;
        }
        case 'pause':
          decision = { kind: 'call_model' };
          continue;
        case 'error':
          throw decision.error;
        case 'interrupt':
          return {
            status: 'interrupted',
            text: lastAssistantText(this.history),
            interrupts: decision.interrupts.map(publicInterrupt),
            stopReason: 'tool_use',
          };
        case 'run_tools':
          decision = await this.runTools(run, decision.calls);
          stopReason = 'tool_use';
          continue;
      }
    }
  }

  /** One model call, persisted, and what to do next. */
  private async step(run: RunContext): Promise<{ decision: LoopDecision; stopReason: StopReason }> {
    const maxSteps = this.options.maxSteps ?? DEFAULT_MAX_STEPS;
    if (run.steps >= maxSteps) throw new MaxStepsError(maxSteps);
    if (run.signal.aborted) throw new AgentAbortedError(run.signal.reason);
    run.steps++;
    const maxContextTokens = this.model.info?.contextWindow ?? DEFAULT_CONTEXT_WINDOW;
    run.fixed ??= this.fixedTokens(run.system, maxContextTokens);
    await prepareWindow(
      this.manager,
      this.history,
      { maxContextTokens, fixedTokens: run.fixed },
      { model: this.model, signal: run.signal, session: this.session, usage: run.usage, addCost: (c) => (run.cost = (run.cost ?? 0) + c) },
    );
    const window = this.manager.select(this.history, { maxContextTokens, fixedTokens: run.fixed });
    this.checkBudget(run, window);
    run.emit({ type: 'model_call_started', step: run.steps, messageCount: window.length, toolCount: run.tools.length });
    const callStarted = performance.now();
    const call = () => this.callModel(window, run.system, run.tools, run.signal, run.emit, (m) => this.persist(run, m), run.output);
    const chatContext = this.telemetry?.chatContext(run.runId);
    const response = await (chatContext ? otelApi().context.with(chatContext, call) : call());
    const message: Message = { role: 'assistant', content: response.content };
    const callCost = costOf(response.usage, this.model.info?.pricing);
    addUsage(run.usage, response.usage);
    run.largestOutput = Math.max(run.largestOutput, response.usage.outputTokens);
    if (callCost !== undefined) run.cost = (run.cost ?? 0) + callCost;
    run.emit({
      type: 'model_call_completed',
      step: run.steps,
      responseContent: messageText(message),
      message,
      usage: response.usage,
      ...(callCost !== undefined ? { costUsd: callCost } : {}),
      durationMs: performance.now() - callStarted,
      stopReason: response.stopReason,
    });
    const decision = decideAfterModel(response, message);
    if (decision.kind === 'error' && decision.error.kind === 'empty_response') throw decision.error;
    await this.persist(run, message);
    await this.session?.recordUsage(response.usage, callCost);
    return { decision, stopReason: response.stopReason };
  }

  /** Runs one turn's tool calls; their results are persisted before the next step. */
  private async runTools(run: RunContext, calls: ToolUseBlock[]): Promise<LoopStart> {
    const record = run.record!;
    const rec = record.current;
    const started = new Set<string>();
    const batch = new Set(calls.map((c) => c.id));
    let unfinished = calls.length;
    const durable = this.options.sessionStore !== undefined && hasRunState(this.options.sessionStore);
    const ttl = this.options.interruptTtlMs ?? DEFAULT_INTERRUPT_TTL_MS;
    // With a budget, usage a tool reports can end the batch early: its calls get their own signal.
    const budgets = this.budgetsOf(run);
    const stop = budgets.run || budgets.session ? new AbortController() : undefined;
    const forwardAbort = () => stop?.abort(run.signal.reason);
    if (stop) {
      if (run.signal.aborted) forwardAbort();
      else run.signal.addEventListener('abort', forwardAbort, { once: true });
    }
    // "Call started" markers, written before a tool runs, so a crash never runs it twice.
    // Only where they outlive the process (a store with run state), and not for retry-safe
    // tools (after a crash those simply run again). A finished call's result is stored only
    // while siblings still run (otherwise the batch of results is appended right away).
    const markStarted = async (call: ToolUseBlock): Promise<void> => {
      if (this.toolMap.get(call.name)?.retrySafe) return;
      started.add(call.id);
      await record.update((r) => {
        r.status = 'running';
        r.runId = run.runId;
        r.calls = [
          ...(r.calls ?? []).filter((c) => batch.has(c.toolUseId) && c.toolUseId !== call.id),
          { toolUseId: call.id, name: call.name, status: 'started' },
        ];
      });
    };
    const markFinished = async (call: ToolUseBlock, block: ToolResultBlock): Promise<void> => {
      unfinished--;
      if (!started.has(call.id) || unfinished === 0) return;
      await record.update((r) => {
        r.calls = [
          ...(r.calls ?? []).filter((c) => c.toolUseId !== call.id),
          { toolUseId: call.id, name: call.name, status: 'done', result: block },
        ];
      });
    };
    const reported = new Map<string, { usage: Usage; costUsd: number }>();
    const running = runToolCalls(calls, {
      tools: this.toolMap,
      emit: run.emit,
      signal: stop?.signal ?? run.signal,
      maxConcurrent: this.options.maxConcurrentTools ?? DEFAULT_MAX_CONCURRENT_TOOLS,
      ...(this.options.toolTimeoutMs !== undefined ? { defaultTimeoutMs: this.options.toolTimeoutMs } : {}),
      ...(this.session?.id !== undefined ? { sessionId: this.session.id } : {}),
      ...(this.authorizer ? { authorizer: this.authorizer } : {}),
      interactive: this.interactive,
      maxResultChars: this.options.maxToolResultChars ?? DEFAULT_MAX_TOOL_RESULT_CHARS,
      ...(this.telemetry
        ? {
            around: <T>(toolUseId: string, fn: () => T): T => {
              const ctx = this.telemetry?.toolContext(run.runId, toolUseId);
              return ctx ? otelApi().context.with(ctx, fn) : fn();
            },
          }
        : {}),
      askPermission: (request, display) => this.askPermission(request, display, run.emit, run.signal),
      approvalsInterrupt: run.approvals === 'interrupt',
      interrupt: (call, reason, display) => newInterrupt(call, reason, display, ttl),
      clientTools: run.clientTools,
      plan: (call) => this.planCall(call, rec),
      ...(durable ? { onStarted: markStarted, onFinished: markFinished } : {}),
      state: (run.threadState ??= this.threadState(run)),
      reportUsage: (call, usage, costUsd) => this.addToolUsage(run, call, usage, costUsd, reported, stop),
    });
    const { outcomes, records } = await (stop ? running.finally(() => run.signal.removeEventListener('abort', forwardAbort)) : running);
    for (const r of records) {
      const spent = reported.get(r.toolUseId);
      if (spent) Object.assign(r, spent);
    }
    run.toolCalls.push(...records);
    if (run.usageWrites) await run.usageWrites;
    if (run.budgetError) {
      // Past a budget: the batch's results are saved (calls that waited for an answer did not run), then the run ends.
      const blocks = outcomes.map((o, i) =>
        'block' in o ? o.block : errorBlock(calls[i]!.id, "Error: The call did not run: the run's budget was exceeded."),
      );
      await this.persist(run, { role: 'user', content: blocks });
      throw run.budgetError;
    }
    const interrupts = outcomes.flatMap((o) => ('interrupt' in o ? [o.interrupt] : []));
    if (interrupts.length) {
      const text = lastAssistantText(this.history);
      await record.update((r) => {
        r.status = 'interrupted';
        r.runId = run.runId;
        r.interrupts = interrupts;
        r.calls = outcomes.flatMap((o, i) =>
          'block' in o ? [{ toolUseId: calls[i]!.id, name: calls[i]!.name, status: 'done' as const, result: o.block }] : [],
        );
        if (run.state.dirty) r.state = run.state.value;
        if (run.answersKey !== undefined)
          r.answered = { answersKey: run.answersKey, status: 'interrupted', text, interrupts: interrupts.map(publicInterrupt) };
        else delete r.answered;
      });
      run.state.dirty = false;
      return { kind: 'interrupt', interrupts };
    }
    await this.persist(run, { role: 'user', content: outcomes.map((o) => (o as { block: ToolResultBlock }).block) });
    // Markers of this batch stay until the next batch or the end of the run replaces them: their
    // results are in the history now, and only open calls are ever looked up.
    const after = record.current;
    if (after && (after.interrupts.length || run.state.dirty)) {
      await record.update((r) => {
        r.calls = [];
        r.interrupts = [];
        if (run.state.dirty) r.state = run.state.value;
      });
      run.state.dirty = false;
    }
    if (run.signal.aborted) throw new AgentAbortedError(run.signal.reason);
    if (run.allCancelled) {
      run.allCancelled = false;
      return { kind: 'final_answer', text: '' };
    }
    return { kind: 'call_model' };
  }

  /** How a call of a resumed or crashed step proceeds (see {@link CallPlan}). */
  private planCall(call: ToolUseBlock, rec: RunStateRecord | null): CallPlan {
    if (!rec) return { kind: 'check' };
    const known = rec.calls?.find((c) => c.toolUseId === call.id);
    if (known?.status === 'done' && known.result) return { kind: 'result', block: known.result };
    const answer = rec.interrupts.find((i) => i.toolCallId === call.id)?.answer;
    if (known?.status === 'started') {
      // Cut off by a crash: run again only what is safe to run again.
      if (!this.toolMap.get(call.name)?.retrySafe) return { kind: 'result', block: interruptedResult(call.id) };
      return answer?.type === 'approve' && answer.editedInput !== undefined ? { kind: 'run', input: answer.editedInput } : { kind: 'run' };
    }
    if (!answer) return { kind: 'check' };
    switch (answer.type) {
      case 'approve':
        return {
          kind: 'run',
          ...(answer.editedInput !== undefined ? { input: answer.editedInput } : {}),
          record: permissionResponseOf(answer),
        };
      case 'deny': {
        const reason = answer.reason ?? 'Denied by the user';
        return {
          kind: 'result',
          block: errorBlock(call.id, `Error: Tool execution denied: ${call.name}. Reason: ${reason}`),
          record: permissionResponseOf(answer),
        };
      }
      case 'result':
        return { kind: 'result', block: clientResult(call.id, answer) };
      case 'cancel':
        return { kind: 'result', block: cancelledResult(call) };
    }
  }

  /** The thread state handle given to tools. */
  private threadState(run: RunContext): ThreadState {
    const set = (next: unknown) => {
      run.state.value = next;
      run.state.dirty = true;
      run.emit({ type: 'state_changed', state: next });
    };
    return { get: () => run.state.value, set, update: (fn) => set(fn(run.state.value)) };
  }

  /** Adds a message to the history and the session. */
  private async persist(run: RunContext, message: Message): Promise<void> {
    this.history.push(message);
    run.added.push(message);
    if (this.session) {
      await this.session.append(message);
      run.persistedAny = true;
    }
  }

  /**
   * Gives the open calls of the last assistant turn their results: those stored in the run
   * state, else an "interrupted" error result (`expiredToo`: open interrupts get an "expired" one).
   */
  private async closeOpenCalls(run: RunContext, expiredToo: boolean): Promise<void> {
    const rec = run.record?.current;
    const known = new Map<string, ToolResultBlock>();
    for (const c of rec?.calls ?? []) if (c.status === 'done' && c.result) known.set(c.toolUseId, c.result);
    if (expiredToo) {
      for (const i of rec?.interrupts ?? []) {
        if (!i.answer && !known.has(i.toolCallId))
          known.set(
            i.toolCallId,
            errorBlock(i.toolCallId, `Error: The request to run ${i.toolName} expired before anyone answered it; the call did not run.`),
          );
      }
    }
    const repairs = closeDanglingToolCalls(this.history, run.added, known);
    for (const m of repairs) {
      if (this.session) {
        await this.session.append(m);
        run.persistedAny = true;
      }
    }
    if (rec && rec.status !== 'idle') {
      await run.record!.update((r) => {
        r.status = 'idle';
        r.calls = [];
        r.interrupts = [];
        if (r.answered && r.answered.status === 'running') r.answered.status = 'failed';
      });
    }
  }

  /** Finish: the run state, the last events and the result. */
  private async finish(run: RunContext, outcome: RunOutcomeValue): Promise<AgentResult> {
    if (run.usageWrites) await run.usageWrites;
    const record = run.record!;
    if (outcome.status === 'completed' && (record.current || run.state.dirty)) {
      const cur = record.current;
      if (!cur || cur.status !== 'idle' || cur.calls?.length || run.state.dirty || run.answersKey !== undefined) {
        await record.update((r) => {
          r.status = 'idle';
          r.calls = [];
          r.interrupts = [];
          if (run.state.dirty || run.state.value !== undefined) r.state = run.state.value;
          if (run.answersKey !== undefined)
            r.answered = { answersKey: run.answersKey, status: 'completed', text: outcome.text, interrupts: [] };
        });
      }
    }
    const durationMs = performance.now() - run.started;
    if (run.persistedAny && this.session?.id)
      run.emit({ type: 'session_saved', sessionId: this.session.id, messageCount: this.session.count });
    if (outcome.status === 'interrupted') {
      run.emit({
        type: 'run_interrupted',
        interrupts: outcome.interrupts,
        ...(this.session?.id !== undefined ? { sessionId: this.session.id } : {}),
        durationMs,
        usage: run.usage,
        steps: run.steps,
      });
    } else {
      run.emit({
        type: 'run_completed',
        output: outcome.text,
        durationMs,
        usage: run.usage,
        ...(run.cost !== undefined ? { costUsd: run.cost } : {}),
        steps: run.steps,
      });
    }
    return {
      text: outcome.text,
      usage: run.usage,
      ...(run.cost !== undefined ? { cost: run.cost } : {}),
      messages: copyData(run.added),
      toolCalls: run.toolCalls,
      steps: run.steps,
      stopReason: outcome.stopReason,
      durationMs,
      ...(this.session?.id !== undefined ? { sessionId: this.session.id } : {}),
      ...(run.context ? { context: run.context } : {}),
      status: outcome.status,
      interrupts: outcome.interrupts,
      ...(run.state.value !== undefined ? { state: structuredClone(run.state.value) } : {}),
      ...(run.outputValue !== undefined ? { output: run.outputValue } : {}),
    };
  }

  /** The budgets a run is held to: its own (or the agent's run budget) and the session's. */
  private budgetsOf(run: RunContext): { run: Budget | undefined; session: Budget | undefined } {
    return { run: run.budget ?? this.options.budget?.run, session: this.options.budget?.session };
  }

  /** What the run, and its session with earlier runs, have spent so far. */
  private spentOf(run: RunContext): { run: Spent; session: Spent } {
    const runSpent = { tokens: usageTokens(run.usage), costUsd: run.cost ?? 0 };
    const stored = this.session?.usageAtLoad;
    const session = stored
      ? {
          tokens: stored.inputTokens + stored.outputTokens + stored.cacheReadTokens + stored.cacheWriteTokens + runSpent.tokens,
          costUsd: stored.costUsd + runSpent.costUsd,
        }
      : runSpent;
    return { run: runSpent, session };
  }

  /** Throws a BudgetExceededError before a model call that would take the run or session past a limit. */
  private checkBudget(run: RunContext, window: Message[]): void {
    const budgets = this.budgetsOf(run);
    if (!budgets.run && !budgets.session) return;
    const input = (run.fixed ?? 0) + window.reduce((n, m) => n + estimateMessageTokens(m), 0);
    const maxOut = this.options.maxTokens ?? this.model.info?.maxOutputTokens;
    const next = estimateNextCall(input, run.largestOutput, maxOut, this.model.info?.pricing);
    checkBudgets(budgets, this.spentOf(run), next);
  }

  /**
   * Usage a tool reported (ToolContext.reportUsage): added to the run's usage and cost and the
   * session's totals, and checked against the budgets; past one, the batch's calls are cancelled
   * (`stop`) and the run ends with the error once the batch has settled.
   */
  private addToolUsage(
    run: RunContext,
    call: ToolUseBlock,
    rawUsage: unknown,
    rawCost: unknown,
    reported: Map<string, { usage: Usage; costUsd: number }>,
    stop: AbortController | undefined,
  ): void {
    const { usage, costUsd } = reportedUsage(rawUsage, rawCost);
    if (run.ended) return;
    const cost = costUsd ?? costOf(usage, this.model.info?.pricing);
    addUsage(run.usage, usage);
    if (cost) run.cost = (run.cost ?? 0) + cost; // zero (or unknown) adds nothing: an unpriced run keeps no cost
    const mine = reported.get(call.id) ?? { usage: emptyUsage(), costUsd: 0 };
    addUsage(mine.usage, usage);
    mine.costUsd += cost ?? 0;
    reported.set(call.id, mine);
    const session = this.session;
    if (session)
      run.usageWrites = (run.usageWrites ?? Promise.resolve())
        .then(() => session.recordUsage(usage, cost))
        .catch((e: unknown) => this.logger.error('Could not add usage a tool reported to the session totals', { error: describeError(e) }));
    const budgets = this.budgetsOf(run);
    if (run.budgetError || (!budgets.run && !budgets.session)) return;
    try {
      checkBudgets(budgets, this.spentOf(run), { tokens: 0, costUsd: 0 }, call.name);
    } catch (error) {
      run.budgetError = error as BudgetExceededError;
      stop?.abort(error);
    }
  }

  /** The stored outcome of answers already applied (nothing runs again). */
  private replayResult(run: RunContext, answered: RunOutcome): AgentResult {
    const durationMs = performance.now() - run.started;
    const usage = emptyUsage();
    if (answered.status === 'interrupted') {
      run.emit({
        type: 'run_interrupted',
        interrupts: answered.interrupts,
        ...(this.session?.id !== undefined ? { sessionId: this.session.id } : {}),
        durationMs,
        usage,
        steps: 0,
      });
    } else {
      run.emit({ type: 'run_completed', output: answered.text, durationMs, usage, steps: 0 });
    }
    return {
      text: answered.text,
      usage,
      messages: [],
      toolCalls: [],
      steps: 0,
      stopReason: answered.status === 'interrupted' ? 'tool_use' : 'end_turn',
      durationMs,
      ...(this.session?.id !== undefined ? { sessionId: this.session.id } : {}),
      status: answered.status === 'interrupted' ? 'interrupted' : 'completed',
      interrupts: answered.interrupts,
      ...(run.state.value !== undefined ? { state: structuredClone(run.state.value) } : {}),
    };
  }

  /** Error: keep the history valid, report, and return the error to throw. */
  private async fail(run: RunContext, caught: unknown): Promise<AgentError> {
    let error = caught;
    if (run.signal.aborted && !(error instanceof AgentAbortedError) && !(error instanceof AgentError && error.kind === 'session'))
      error = new AgentAbortedError(run.signal.reason);
    if (!(error instanceof AgentError)) {
      error =
        error instanceof SessionError
          ? new AgentError('session', `Session error: ${error.message}`, { cause: error })
          : new AgentError('provider', error instanceof Error ? error.message : String(error), { cause: error });
    }
    // Keep the history valid: a tool call with no result gets its stored result, or a synthetic one.
    if (run.entered) {
      try {
        await this.closeOpenCalls(run, false);
        await closeUnansweredPrompt(this.history, this.session, error); // the failed-run rule (session-sync.ts)
      } catch {
        // The next load repairs it.
      }
    }
    if (run.persistedAny && this.session?.id)
      run.emit({ type: 'session_saved', sessionId: this.session.id, messageCount: this.session.count });
    const err = error as AgentError;
    const cause = err.cause instanceof ProviderError ? err.cause : undefined;
    run.emit({
      type: 'run_failed',
      error: err.message,
      errorName: err.name,
      kind: err.kind,
      ...(cause
        ? {
            provider: {
              kind: cause.kind,
              ...(cause.status !== undefined ? { status: cause.status } : {}),
              ...(cause.attempts !== undefined ? { attempts: cause.attempts } : {}),
            },
          }
        : {}),
      durationMs: performance.now() - run.started,
      aborted: err instanceof AgentAbortedError,
    });
    return err;
  }

  /** One streamed model call; on abort mid-stream the partial text is saved. */
  private async callModel(
    window: Message[],
    system: string | undefined,
    tools: ToolDefinition[],
    signal: AbortSignal,
    emit: Emit,
    persist: (m: Message) => Promise<void>,
    output?: ResolvedOutput,
  ): Promise<ModelResponse> {
    const partials = output ? new PartialOutputReader() : undefined;
    let text = '';
    let thinking = 0;
    let response: ModelResponse | undefined;
    const toolNames = new Map<string, string>();
    try {
      for await (const event of this.model.stream({
        messages: alternateRoles(window),
        ...(system !== undefined ? { system } : {}),
        tools,
        ...(this.options.maxTokens !== undefined ? { maxTokens: this.options.maxTokens } : {}),
        ...(this.options.thinking ? { thinking: this.options.thinking } : {}),
        ...(output ? { output: output.spec } : {}),
        signal,
      })) {
        if (event.type === 'text_delta') {
          text += event.text;
          emit({ type: 'model_call_streaming', delta: event.text, accumulatedLength: text.length, kind: 'text' });
          const partial = partials?.push(event.text);
          if (partial !== undefined) emit({ type: 'output_streaming', partial });
        } else if (event.type === 'thinking_delta') {
          thinking += event.thinking.length;
          emit({ type: 'model_call_streaming', delta: event.thinking, accumulatedLength: thinking, kind: 'thinking' });
        } else if (event.type === 'tool_use_start') {
          toolNames.set(event.id, event.name);
        } else if (event.type === 'tool_input_delta') {
          emit({ type: 'tool_input_streaming', toolUseId: event.id, name: toolNames.get(event.id) ?? '', delta: event.json });
        } else if (event.type === 'response') {
          response = event.response;
        }
        if (signal.aborted) break;
      }
    } catch (error) {
      if (signal.aborted) {
        if (text)
          await persist({ role: 'assistant', content: [{ type: 'text', text }] }).catch((e: unknown) =>
            this.logger.error('Could not save the partial answer of an aborted model call', { error: describeError(e) }),
          );
        throw new AgentAbortedError(signal.reason);
      }
      throw error;
    }
    if (signal.aborted) {
      if (text)
        await persist({ role: 'assistant', content: [{ type: 'text', text }] }).catch((e: unknown) =>
          this.logger.error('Could not save the partial answer of an aborted model call', { error: describeError(e) }),
        );
      throw new AgentAbortedError(signal.reason);
    }
    if (!response)
      throw new AgentError(
        'provider',
        `The model stream of ${this.model.provider} ended without a response. The provider may have closed the connection; try again.`,
      );
    return response;
  }

  private askPermission(
    request: ToolCallRequest,
    display: string | undefined,
    emit: Emit,
    signal: AbortSignal,
  ): Promise<PermissionResponse> {
    const event = {
      type: 'permission_required' as const,
      proposalId: request.toolUseId,
      toolUseId: request.toolUseId,
      toolName: request.toolName,
      params: request.input,
      paramsHash: request.paramsHash,
      ...(display !== undefined ? { display } : {}),
    };
    // Register before emitting: a hook may answer synchronously.
    const answer = this.approvals.request(event, { signal });
    emit({ ...event }); // a copy: emit stamps the event it gets, and the queue keeps this one
    return answer;
  }
}

/**
 * Merges consecutive messages of the same role (e.g. tool results followed by a new prompt) so
 * roles alternate, as Bedrock and Anthropic require. Returns the input when nothing merges.
 */
export function alternateRoles(messages: Message[]): Message[] {
  let merged: Message[] | undefined;
  for (let i = 1; i < messages.length; i++) {
    if (messages[i]!.role === messages[i - 1]!.role) {
      merged = [];
      break;
    }
  }
  if (!merged) return messages;
  for (const m of messages) {
    const last = merged[merged.length - 1];
    if (last && last.role === m.role) merged[merged.length - 1] = { role: m.role, content: [...last.content, ...m.content] };
    else merged.push(m);
  }
  return merged;
}

/**
 * Gives every tool call at the end of `history` without a result a synthetic error result (or
 * its result from `known`), in place. Returns the messages it added (also pushed to `added` when given).
 */
export function closeDanglingToolCalls(history: Message[], added?: Message[], known?: ReadonlyMap<string, ToolResultBlock>): Message[] {
  const last = history[history.length - 1];
  if (!last || last.role !== 'assistant') return [];
  const calls = toolUses(last);
  if (!calls.length) return [];
  const message: Message = {
    role: 'user',
    content: calls.map((c) => known?.get(c.id) ?? interruptedResult(c.id)),
  };
  history.push(message);
  added?.push(message);
  return [message];
}

/** The error result of a call cut off before it returned. */
function interruptedResult(toolUseId: string): ToolResultBlock {
  return { type: 'tool_result', toolUseId, content: [{ type: 'text', text: INTERRUPTED_TOOL_RESULT }], isError: true };
}

function errorBlock(toolUseId: string, text: string): ToolResultBlock {
  return { type: 'tool_result', toolUseId, content: [{ type: 'text', text }], isError: true };
}

/** Text of the last assistant message of the history. */
function lastAssistantText(history: readonly Message[]): string {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.role === 'assistant') return messageText(history[i]!);
  return '';
}

/** Context items given to a run, delimited at the end of the system prompt. */
function withRunContext(system: string | undefined, items: RunContextItem[] | undefined): string | undefined {
  if (!items?.length) return system;
  const body = items
    .map(
      (c) =>
        `<context_item description="${String(c.description ?? '').replace(/["<>&]/g, ' ')}">\n${String(c.value ?? '').replace(/<\/?context/gi, '&lt;context')}\n</context_item>`,
    )
    .join('\n');
  return `${system ? `${system}\n\n` : ''}<context>\nContext given by the application for this run:\n${body}\n</context>`;
}
