/**
 * The Agent: talks to a model, runs the tools it asks for, streams events, asks before risky
 * tools, and persists each step of the conversation as it completes.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { buildSystemPrompt, type ContextLoadResult, ContextError, loadContext } from '../context-files.js';
import { type ContextUsage, type ConversationManager, SlidingWindowConversationManager } from '../conversation/managers.js';
import type { AgentEvent, AgentHook } from '../events.js';
import { type ContentBlock, type Message, messageText, toolUses } from '../messages.js';
import { addUsage, emptyUsage, type ModelResponse, type StopReason, type ToolDefinition, type Usage } from '../model.js';
import { costOf } from '../models/catalogue.js';
import type { PermissionResponse, ToolAuthorizer, ToolCallRequest } from '../permissions/types.js';
import { ApprovalQueue, type PendingApproval } from '../permissions/approval-queue.js';
import { isInteractiveTerminal, PermissionAuthorizer } from '../permissions/authorizer.js';
import { SessionError } from '../session/types.js';
import { ProviderError } from '../providers/errors.js';
import { INTERRUPTED_TOOL_RESULT } from '../session/convert.js';
import { estimateMessageTokens, estimateTextTokens } from '../tokens.js';
import { tool as defineTool, type Tool } from '../tools/tool.js';
import { z } from 'zod';
import { AgentAbortedError, AgentError, MaxStepsError } from './errors.js';
import {
  type AgentOptions,
  type AgentResult,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT_TOOLS,
  DEFAULT_MAX_STEPS,
  type RunOptions,
  type ToolCallRecord,
} from './options.js';
import { type Emit, runToolCalls } from './tool-runner.js';
import { SessionSync } from './session-sync.js';
import { EventStream } from './event-stream.js';

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

  constructor(options: AgentOptions) {
    if (!options || typeof options.model?.stream !== 'function') {
      throw new AgentError('config', 'new Agent({ model }) needs a model: anthropic(...), bedrock(...), openaiCompatible(...) or a ScriptedModel.');
    }
    this.options = options;
    this.model = options.model;
    this.manager = options.conversationManager ?? new SlidingWindowConversationManager();
    for (const t of options.tools ?? []) this.addTool(t);
    for (const h of options.hooks ?? []) this.hooks.add(h);
    if (options.sessionStore) this.session = new SessionSync(options.sessionStore, options.sessionId);
    this.approvals = new ApprovalQueue({ timeoutMs: options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS });
    if (options.authorizer) {
      this.authorizer = options.authorizer;
      this.interactive = options.interactive ?? true;
    } else if (options.grantStore || options.permissionPolicy || options.permissionRules || options.trustedTools) {
      this.interactive = options.interactive ?? isInteractiveTerminal();
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
    if (this.toolMap.has(t.name)) throw new AgentError('config', `Two tools are named "${t.name}". Tool names must be unique; rename one (MCP tools can be namespaced).`);
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
    return structuredClone(this.history);
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

  /** Runs the agent on a prompt and resolves with the final answer. */
  async run(prompt: string, options: RunOptions = {}): Promise<AgentResult> {
    return this.execute(prompt, options, undefined);
  }

  /**
   * Runs the agent and yields every event as it happens (text deltas included). The iterator
   * throws the run's error after yielding `run_failed`. `stream.result` resolves with the result.
   * Breaking out of the loop early cancels the run (the session stays valid).
   */
  stream(prompt: string, options: RunOptions = {}): EventStream<AgentResult> {
    // Leaving the for-await loop early (break, return, throw) cancels the run.
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const stream = new EventStream<AgentResult>(() => stop.abort(new Error('the stream consumer stopped reading')));
    stream.attach(this.execute(prompt, { ...options, signal }, (e) => stream.push(e)));
    return stream;
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
    const loaded = await this.session.load();
    this.history = loaded.messages;
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
    this.session = new SessionSync(this.options.sessionStore, sessionId, sessionId === undefined);
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
      execute: async ({ prompt }, ctx) => (await this.run(prompt, { signal: ctx.signal })).text,
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

  private dispatch(event: AgentEvent, extra?: (e: AgentEvent) => void): void {
    extra?.(event);
    for (const hook of this.hooks) {
      try {
        const r = hook(event);
        if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(() => {});
      } catch {
        // A hook that throws must not break the run.
      }
    }
  }

  private async execute(prompt: string, options: RunOptions, extra: ((e: AgentEvent) => void) | undefined): Promise<AgentResult> {
    if (typeof prompt !== 'string') throw new AgentError('config', `agent.run(prompt) needs a string prompt, got ${prompt === null ? 'null' : typeof prompt}.`);
    if (this.running) throw new AgentError('busy', 'This agent is already running. Wait for the current run to finish (one run at a time per agent and conversation), or use another Agent.');
    this.running = true;
    const runId = randomUUID();
    const started = performance.now();
    const emit: Emit = (e) => this.dispatch({ ...e, runId, timestamp: Date.now() } as AgentEvent, extra);
    const signal = options.signal ?? new AbortController().signal;
    const usage: Usage = emptyUsage();
    let cost: number | undefined;
    const added: Message[] = [];
    const toolCalls: ToolCallRecord[] = [];
    let steps = 0;
    let persistedAny = false;

    const persist = async (message: Message) => {
      this.history.push(message);
      added.push(message);
      if (this.session) {
        await this.session.append(message);
        persistedAny = true;
      }
    };

    try {
      emit({ type: 'run_started', input: prompt, ...(this.session?.id !== undefined ? { sessionId: this.session.id } : {}) });
      // 1. Context files, resolved on every run.
      let context: ContextLoadResult | undefined;
      try {
        context = this.options.contextFiles?.length ? await loadContext(this.options.contextFiles, { ...this.options.contextLimits, cwd: this.options.cwd ?? process.cwd() }) : undefined;
      } catch (error) {
        if (error instanceof ContextError) throw new AgentError('context', error.message, { cause: error });
        throw error;
      }
      this.lastContext = context;
      const system = context ? buildSystemPrompt(this.options.systemPrompt, context) : this.options.systemPrompt;
      this.systemPromptCache = system;

      // 2. Load the session (persisted history wins: another process may have added to it).
      if (this.session) {
        let loaded;
        try {
          loaded = await this.session.load();
        } catch (error) {
          throw new AgentError('session', `Could not load the session: ${(error as Error).message}`, { cause: error });
        }
        this.history = loaded.messages;
        if (loaded.messages.length > 0) emit({ type: 'session_resumed', sessionId: loaded.id, messageCount: loaded.storedCount, createdAt: loaded.createdAt, repaired: loaded.repaired });
      } else {
        closeDanglingToolCalls(this.history);
      }
      if (signal.aborted) throw new AgentAbortedError(signal.reason);

      // 3. The user's message, persisted before the model is called.
      const userContent: ContentBlock[] = [{ type: 'text', text: prompt }, ...(options.attachments ?? [])];
      await persist({ role: 'user', content: userContent });

      const tools: ToolDefinition[] = [...this.toolMap.values()].map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema }));
      const maxContextTokens = this.model.info?.contextWindow ?? DEFAULT_CONTEXT_WINDOW;
      const maxSteps = this.options.maxSteps ?? DEFAULT_MAX_STEPS;
      let fixed: number | undefined;

      // 4. The loop: model call, then tools, until a final answer.
      for (;;) {
        if (steps >= maxSteps) throw new MaxStepsError(maxSteps);
        if (signal.aborted) throw new AgentAbortedError(signal.reason);
        steps++;
        fixed ??= this.fixedTokens(system, maxContextTokens);
        const window = this.manager.select(this.history, { maxContextTokens, fixedTokens: fixed });
        emit({ type: 'model_call_started', step: steps, messageCount: window.length, toolCount: tools.length });
        const callStarted = performance.now();
        const response = await this.callModel(window, system, tools, signal, emit, persist);
        const message: Message = { role: 'assistant', content: response.content };
        const callCost = costOf(response.usage, this.model.info?.pricing);
        addUsage(usage, response.usage);
        if (callCost !== undefined) cost = (cost ?? 0) + callCost;
        emit({
          type: 'model_call_completed',
          step: steps,
          responseContent: messageText(message),
          message,
          usage: response.usage,
          ...(callCost !== undefined ? { costUsd: callCost } : {}),
          durationMs: performance.now() - callStarted,
          stopReason: response.stopReason,
        });
        if (message.content.length === 0) {
          throw new AgentError('empty_response', 'The model returned an empty response (no text and no tool call).');
        }
        await persist(message);
        await this.session?.recordUsage(response.usage, callCost);

        const calls = toolUses(message);
        if (response.stopReason === 'max_tokens') {
          if (calls.length) closeDanglingToolCalls(this.history, added);
          throw new AgentError('max_tokens', 'The response reached the maximum output tokens (maxTokens). Raise maxTokens, or ask the model to be more concise or to split the task. The partial answer is saved.');
        }
        if (response.stopReason === 'content_filtered') throw new AgentError('content_filtered', 'The response was blocked by the provider\'s content filter.');
        if (calls.length && (response.stopReason === 'tool_use' || response.stopReason === 'end_turn' || response.stopReason === 'unknown')) {
          const { blocks, records } = await runToolCalls(calls, {
            tools: this.toolMap,
            emit,
            signal,
            maxConcurrent: this.options.maxConcurrentTools ?? DEFAULT_MAX_CONCURRENT_TOOLS,
            ...(this.options.toolTimeoutMs !== undefined ? { defaultTimeoutMs: this.options.toolTimeoutMs } : {}),
            ...(this.session?.id !== undefined ? { sessionId: this.session.id } : {}),
            ...(this.authorizer ? { authorizer: this.authorizer } : {}),
            interactive: this.interactive,
            askPermission: (request, display) => this.askPermission(request, display, emit, signal),
          });
          toolCalls.push(...records);
          await persist({ role: 'user', content: blocks });
          if (signal.aborted) throw new AgentAbortedError(signal.reason);
          continue;
        }
        if (response.stopReason === 'pause_turn') continue;
        return this.finish({ text: messageText(message), usage, cost, added, toolCalls, steps, stopReason: response.stopReason, started, context }, emit, persistedAny);
      }
    } catch (caught) {
      let error = caught;
      if (signal.aborted && !(error instanceof AgentAbortedError) && !(error instanceof AgentError && error.kind === 'session')) error = new AgentAbortedError(signal.reason);
      if (!(error instanceof AgentError)) {
        error = error instanceof SessionError
          ? new AgentError('session', `Session error: ${error.message}`, { cause: error })
          : new AgentError('provider', error instanceof Error ? error.message : String(error), { cause: error });
      }
      // Keep the history valid: a tool call with no result gets a synthetic one.
      const repairs = closeDanglingToolCalls(this.history, added);
      for (const m of repairs) {
        try {
          await this.session?.append(m);
          persistedAny = true;
        } catch {
          // The next load repairs it.
        }
      }
      if (persistedAny && this.session?.id) emit({ type: 'session_saved', sessionId: this.session.id, messageCount: this.session.count });
      const err = error as AgentError;
      const cause = err.cause instanceof ProviderError ? err.cause : undefined;
      emit({
        type: 'run_failed',
        error: err.message,
        errorName: err.name,
        kind: err.kind,
        ...(cause ? { provider: { kind: cause.kind, ...(cause.status !== undefined ? { status: cause.status } : {}), ...(cause.attempts !== undefined ? { attempts: cause.attempts } : {}) } } : {}),
        durationMs: performance.now() - started,
        aborted: err instanceof AgentAbortedError,
      });
      throw err;
    } finally {
      this.approvals.cancelAll('The run ended');
      this.running = false;
    }
  }

  private finish(
    r: { text: string; usage: Usage; cost: number | undefined; added: Message[]; toolCalls: ToolCallRecord[]; steps: number; stopReason: StopReason; started: number; context: ContextLoadResult | undefined },
    emit: Emit,
    persisted: boolean,
  ): AgentResult {
    const durationMs = performance.now() - r.started;
    if (persisted && this.session?.id) emit({ type: 'session_saved', sessionId: this.session.id, messageCount: this.session.count });
    emit({ type: 'run_completed', output: r.text, durationMs, usage: r.usage, ...(r.cost !== undefined ? { costUsd: r.cost } : {}), steps: r.steps });
    return {
      text: r.text,
      usage: r.usage,
      ...(r.cost !== undefined ? { cost: r.cost } : {}),
      messages: structuredClone(r.added),
      toolCalls: r.toolCalls,
      steps: r.steps,
      stopReason: r.stopReason,
      durationMs,
      ...(this.session?.id !== undefined ? { sessionId: this.session.id } : {}),
      ...(r.context ? { context: r.context } : {}),
    };
  }

  /** One streamed model call; on abort mid-stream the partial text is saved. */
  private async callModel(window: Message[], system: string | undefined, tools: ToolDefinition[], signal: AbortSignal, emit: Emit, persist: (m: Message) => Promise<void>): Promise<ModelResponse> {
    let text = '';
    let thinking = 0;
    let response: ModelResponse | undefined;
    try {
      for await (const event of this.model.stream({
        messages: alternateRoles(window),
        ...(system !== undefined ? { system } : {}),
        tools,
        ...(this.options.maxTokens !== undefined ? { maxTokens: this.options.maxTokens } : {}),
        ...(this.options.thinking ? { thinking: this.options.thinking } : {}),
        signal,
      })) {
        if (event.type === 'text_delta') {
          text += event.text;
          emit({ type: 'model_call_streaming', delta: event.text, accumulatedLength: text.length, kind: 'text' });
        } else if (event.type === 'thinking_delta') {
          thinking += event.thinking.length;
          emit({ type: 'model_call_streaming', delta: event.thinking, accumulatedLength: thinking, kind: 'thinking' });
        } else if (event.type === 'response') {
          response = event.response;
        }
        if (signal.aborted) break;
      }
    } catch (error) {
      if (signal.aborted) {
        if (text) await persist({ role: 'assistant', content: [{ type: 'text', text }] }).catch(() => {});
        throw new AgentAbortedError(signal.reason);
      }
      throw error;
    }
    if (signal.aborted) {
      if (text) await persist({ role: 'assistant', content: [{ type: 'text', text }] }).catch(() => {});
      throw new AgentAbortedError(signal.reason);
    }
    if (!response) throw new AgentError('provider', `The model stream of ${this.model.provider} ended without a response. The provider may have closed the connection; try again.`);
    return response;
  }

  private askPermission(request: ToolCallRequest, display: string | undefined, emit: Emit, signal: AbortSignal): Promise<PermissionResponse> {
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
    emit(event);
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
 * Gives every tool call at the end of `history` without a result a synthetic error result, in
 * place. Returns the messages it added (also pushed to `added` when given).
 */
export function closeDanglingToolCalls(history: Message[], added?: Message[]): Message[] {
  const last = history[history.length - 1];
  if (!last || last.role !== 'assistant') return [];
  const calls = toolUses(last);
  if (!calls.length) return [];
  const message: Message = {
    role: 'user',
    content: calls.map((c) => ({ type: 'tool_result', toolUseId: c.id, content: [{ type: 'text', text: INTERRUPTED_TOOL_RESULT }], isError: true })),
  };
  history.push(message);
  added?.push(message);
  return [message];
}
