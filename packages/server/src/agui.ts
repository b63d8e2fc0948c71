/**
 * The one place where Mixtape meets AG-UI: agent events and run outcomes become AG-UI events
 * ({@link AguiMapper}), and `resume` entries and client `tool` messages become the answers the
 * agent resumes with ({@link resumeAnswers}). Routes only move the bytes.
 * @module
 */
import type { Interrupt as AguiInterrupt, BaseEvent, Message as AguiMessage, ResumeEntry, TokenUsage } from '@ag-ui/core';
import { EventType, PROTOCOL_VERSION } from '@ag-ui/core';
import {
  type AgentEvent,
  type AgentResult,
  APPROVAL_RESPONSE_SCHEMA,
  CLIENT_TOOL_RESPONSE_SCHEMA,
  type Interrupt as CoreInterrupt,
  type InterruptAnswer,
  type SessionStore,
  type Usage,
} from '@mixtape/core';
import jsonPatch from 'fast-json-patch'; // CommonJS: named imports fail under plain Node
import { z } from 'zod';
import { messageIdOf, toolMessageIdOf } from './messages.js';
import type { ClientToolResult } from './run-input.js';

/** Name of the CUSTOM event sent when a tool call waits for a person's approval (`approvals: 'wait'`). */
export const PERMISSION_REQUIRED_EVENT = 'mixtape.permission_required';
/** Name of the CUSTOM event sent when a permission request was answered (or timed out) (`approvals: 'wait'`). */
export const PERMISSION_RESOLVED_EVENT = 'mixtape.permission_resolved';
/** AG-UI interrupt reason of a client-side tool call (a custom reason, namespaced as the spec asks). */
export const CLIENT_TOOL_INTERRUPT_REASON = 'mixtape:client_tool';

/** Value of the {@link PERMISSION_REQUIRED_EVENT} CUSTOM event. */
export interface PermissionRequiredValue {
  threadId: string;
  /** Id to answer: `POST /threads/:threadId/approvals/:proposalId`. */
  proposalId: string;
  toolCallId: string;
  toolName: string;
  params: unknown;
  paramsHash: string;
  display?: string;
  /** Path of the approval endpoint for this request. */
  approvalPath: string;
  /** Answers the endpoint accepts. */
  actions: Array<'once' | 'exact' | 'tool' | 'deny'>;
}

/** A resume the agent cannot apply; reported as RUN_ERROR with `code`. */
export class ResumeInputError extends Error {
  override name = 'ResumeInputError';
  /** Reported like the agent's InterruptError (RUN_ERROR code `interrupt_<code>`). */
  readonly kind = 'interrupt';
  constructor(
    message: string,
    readonly code: 'invalid_answer' | 'nothing_to_resume' | 'expired' | 'unknown' | 'unanswered' | 'pending',
  ) {
    super(message);
  }
}

/** AG-UI token usage of a run. */
export function tokenUsage(usage: Usage, provider: string, model: string): TokenUsage[] {
  return [
    {
      provider,
      model,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      totalTokens: usage.inputTokens + usage.outputTokens,
    },
  ];
}

/** A core interrupt as an AG-UI interrupt. */
export function toAguiInterrupt(i: CoreInterrupt): AguiInterrupt {
  const client = i.reason === 'client_tool';
  return {
    id: i.id,
    reason: client ? CLIENT_TOOL_INTERRUPT_REASON : 'tool_call',
    message: i.message,
    toolCallId: i.toolCallId,
    responseSchema: i.responseSchema ?? (client ? CLIENT_TOOL_RESPONSE_SCHEMA : APPROVAL_RESPONSE_SCHEMA),
    ...(i.expiresAt !== undefined ? { expiresAt: i.expiresAt } : {}),
    metadata: { mixtape: { toolName: i.toolName, input: i.input, createdAt: i.createdAt } },
  };
}

/** The AG-UI interrupts a thread waits for (open, not expired), read from the session store's run state. */
export async function openInterrupts(store: SessionStore, sessionId: string, now = Date.now()): Promise<AguiInterrupt[]> {
  const record = await store.loadRunState?.(sessionId);
  if (!record || record.status !== 'interrupted') return [];
  return record.interrupts
    .filter((i) => !i.answer && (!i.expiresAt || Date.parse(i.expiresAt) > now))
    .map(({ answer: _answer, ...i }) => toAguiInterrupt(i));
}

const approvalPayload = z.object({
  approved: z.boolean(),
  editedArgs: z.record(z.string(), z.unknown()).optional(),
  reason: z.string().max(10_000).optional(),
  remember: z.enum(['session', 'project', 'user']).optional(),
});
const resultPart = z.union([
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('json'), value: z.unknown() }),
]);
const clientToolPayload = z.object({ content: z.union([z.string(), z.array(resultPart)]), isError: z.boolean().optional() });

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
    .join('; ');
}

/**
 * The answers a continuing run applies: each `resume` entry (payload validated against the
 * interrupt's kind: `{ approved, editedArgs?, reason?, remember? }` for approvals, `{ content,
 * isError? }` for client tools; `cancelled` → cancel) and each trailing `tool` message that
 * answers a pending client tool call. Entries for ids that are not pending are passed on as they
 * are, so the agent can recognise a replay (and refuse an unknown id). Throws {@link ResumeInputError}.
 */
export function resumeAnswers(resume: ResumeEntry[], toolResults: ClientToolResult[], pending: CoreInterrupt[]): InterruptAnswer[] {
  const byId = new Map(pending.map((i) => [i.id, i]));
  const answers: InterruptAnswer[] = [];
  const answered = new Set<string>();
  for (const entry of resume) {
    const interruptId = entry.interruptId;
    if (answered.has(interruptId)) throw new ResumeInputError(`resume answers interrupt ${interruptId} twice.`, 'invalid_answer');
    answered.add(interruptId);
    if (entry.status === 'cancelled') {
      answers.push({ interruptId, type: 'cancel' });
      continue;
    }
    const interrupt = byId.get(interruptId);
    const payload: unknown = entry.payload;
    const looksLikeResult = !interrupt && payload !== null && typeof payload === 'object' && 'content' in payload;
    if (interrupt?.reason === 'client_tool' || looksLikeResult) {
      const parsed = clientToolPayload.safeParse(payload);
      if (!parsed.success)
        throw new ResumeInputError(
          `The answer to client tool interrupt ${interruptId} must be { content: string, isError?: boolean }: ${issues(parsed.error)}.`,
          'invalid_answer',
        );
      answers.push({
        interruptId,
        type: 'result',
        content: parsed.data.content as string,
        ...(parsed.data.isError !== undefined ? { isError: parsed.data.isError } : {}),
      });
      continue;
    }
    const parsed = approvalPayload.safeParse(payload);
    if (!parsed.success)
      throw new ResumeInputError(
        `The answer to interrupt ${interruptId} must match its responseSchema { approved: boolean, editedArgs?: object, reason?: string, remember?: "session"|"project"|"user" }: ${issues(parsed.error)}.`,
        'invalid_answer',
      );
    const p = parsed.data;
    if (p.approved)
      answers.push({
        interruptId,
        type: 'approve',
        ...(p.editedArgs !== undefined ? { editedInput: p.editedArgs } : {}),
        ...(p.remember !== undefined ? { remember: p.remember } : {}),
      });
    else answers.push({ interruptId, type: 'deny', ...(p.reason !== undefined ? { reason: p.reason } : {}) });
  }
  for (const r of toolResults) {
    const interrupt = pending.find((i) => i.reason === 'client_tool' && i.toolCallId === r.toolCallId);
    if (!interrupt || answered.has(interrupt.id)) continue; // an earlier tool message of the transcript
    answered.add(interrupt.id);
    answers.push({ interruptId: interrupt.id, type: 'result', content: r.content, isError: r.isError });
  }
  if (answers.length === 0)
    throw new ResumeInputError(
      toolResults.length > 0
        ? `No pending client tool call of this thread matches the tool message(s) for ${toolResults.map((r) => r.toolCallId).join(', ')}; send a new user message instead.`
        : 'resume is empty.',
      'nothing_to_resume',
    );
  return answers;
}

/** What {@link AguiMapper} needs to know about the run. */
export interface AguiMapperOptions {
  /** The thread id the client sent (ids of streamed messages derive from it). */
  threadId: string;
  runId: string;
  /** Stream thinking as REASONING_* events. */
  reasoning: boolean;
  /** Number of stored messages when the run starts (the index the run's first stored message gets). */
  nextMessageIndex: number;
  /** Tool call ids of a stored assistant turn whose results this run produces first (a resumed turn). */
  openTurn?: string[];
  /** The thread state the client has (STATE_DELTA is computed against it). */
  state?: unknown;
}

/** Where the tool results of one assistant turn are stored. */
interface ResultSlot {
  index: number;
  order: string[];
}

/**
 * Turns the events and the outcome of one agent run into AG-UI events. Stateful: it opens and
 * closes text messages and tool calls, and gives every message the id it has in the stored
 * history (`<threadId>:<index>`), so streamed ids equal those of `GET /threads/:id/messages`.
 */
export class AguiMapper {
  readonly threadId: string;
  /** The AG-UI run id of the response now written (a parked run continues under the resume's run id). */
  runId: string;
  readonly #reasoning: boolean;
  #next: number;
  #textId: string | undefined;
  #endedText = new Set<string>();
  #reasoningId: string | undefined;
  #reasoningCount = 0;
  /** Tool calls whose TOOL_CALL_START was sent (streamed input), with whether ARGS were sent. */
  #announced = new Map<string, boolean>();
  #results: ResultSlot | undefined;
  #state: unknown;

  constructor(options: AguiMapperOptions) {
    this.threadId = options.threadId;
    this.runId = options.runId;
    this.#reasoning = options.reasoning;
    this.#next = options.nextMessageIndex;
    if (options.openTurn?.length) this.#results = { index: this.#next, order: options.openTurn };
    this.#state = options.state === undefined ? undefined : structuredClone(options.state);
  }

  /** RUN_STARTED. */
  runStarted(): BaseEvent {
    return {
      type: EventType.RUN_STARTED,
      threadId: this.threadId,
      runId: this.runId,
      protocolVersion: PROTOCOL_VERSION,
      timestamp: Date.now(),
    };
  }

  /** RUN_STARTED of the response that continues a parked run under the resume's run id. */
  continueAs(runId: string): BaseEvent {
    this.runId = runId;
    return this.runStarted();
  }

  /**
   * The events that end a response while the run goes on, parked on questions its tools ask:
   * STATE_SNAPSHOT, MESSAGES_SNAPSHOT (the stored history) and RUN_FINISHED with outcome
   * `interrupt` — the shape of an approval interrupt.
   */
  parked(interrupts: AguiInterrupt[], messages: AguiMessage[] | undefined): BaseEvent[] {
    const out = this.closeText();
    const now = Date.now();
    out.push(this.stateSnapshot(this.#state ?? {}));
    if (messages) out.push({ type: EventType.MESSAGES_SNAPSHOT, messages, timestamp: now });
    out.push({
      type: EventType.RUN_FINISHED,
      threadId: this.threadId,
      runId: this.runId,
      outcome: { type: 'interrupt', interrupts },
      metadata: { mixtape: { status: 'interrupted', parked: true } },
      timestamp: now,
    });
    return out;
  }

  /** STATE_SNAPSHOT of `state` (remembered as what the client now has). */
  stateSnapshot(state: unknown): BaseEvent {
    this.#state = structuredClone(state);
    return { type: EventType.STATE_SNAPSHOT, snapshot: state, timestamp: Date.now() };
  }

  /** Closes an open reasoning or text message, if any. */
  closeText(): BaseEvent[] {
    const out = this.#closeReasoning();
    if (!this.#textId) return out;
    out.push({ type: EventType.TEXT_MESSAGE_END, messageId: this.#textId, timestamp: Date.now() });
    this.#endedText.add(this.#textId);
    this.#textId = undefined;
    return out;
  }

  #closeReasoning(): BaseEvent[] {
    if (!this.#reasoningId) return [];
    const messageId = this.#reasoningId;
    this.#reasoningId = undefined;
    return [
      { type: EventType.REASONING_MESSAGE_END, messageId },
      { type: EventType.REASONING_END, messageId },
    ];
  }

  /** The run stores a new user message before its first model call (a prompt run). */
  userMessage(): void {
    this.#settleResults();
    this.#next++;
  }

  /** Id the assistant message now being produced will have once stored. */
  #assistantId(): string {
    this.#settleResults();
    return messageIdOf(this.threadId, this.#next);
  }

  /** Once the model is called again, the previous turn's tool results are stored: skip their index. */
  #settleResults(): void {
    if (this.#results && this.#results.index === this.#next) this.#next++;
    this.#results = undefined;
  }

  /** AG-UI events for one agent event (often none). */
  translate(e: AgentEvent): BaseEvent[] {
    const ev = (x: Record<string, unknown>): BaseEvent => ({ ...x, timestamp: e.timestamp }) as BaseEvent;
    const t = e;
    switch (t.type) {
      case 'model_call_started':
        this.#settleResults();
        return [];
      case 'model_call_streaming': {
        const s = e as Extract<AgentEvent, { type: 'model_call_streaming' }>;
        if (s.delta === '') return [];
        if (s.kind === 'thinking') {
          if (!this.#reasoning) return [];
          const out: BaseEvent[] = [];
          if (this.#textId) out.push(...this.closeText());
          if (!this.#reasoningId) {
            this.#reasoningId = `${this.#assistantId()}:reasoning:${this.#reasoningCount++}`;
            out.push(ev({ type: EventType.REASONING_START, messageId: this.#reasoningId }));
            out.push(ev({ type: EventType.REASONING_MESSAGE_START, messageId: this.#reasoningId, role: 'reasoning' }));
          }
          out.push(ev({ type: EventType.REASONING_MESSAGE_CONTENT, messageId: this.#reasoningId, delta: s.delta }));
          return out;
        }
        const out: BaseEvent[] = this.#closeReasoning();
        if (!this.#textId) {
          const id = this.#assistantId();
          // Text after a tool call in the same turn: a new message (an ended id cannot restart).
          this.#textId = this.#endedText.has(id) ? `${id}:${this.#endedText.size}` : id;
          out.push(ev({ type: EventType.TEXT_MESSAGE_START, messageId: this.#textId, role: 'assistant' }));
        }
        out.push(ev({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: this.#textId, delta: s.delta }));
        return out;
      }
      case 'tool_input_streaming': {
        const s = e as unknown as { toolUseId: string; name: string; delta: string };
        const out: BaseEvent[] = [];
        if (!this.#announced.has(s.toolUseId)) {
          const parentMessageId = this.#assistantId();
          out.push(...this.closeText());
          out.push(ev({ type: EventType.TOOL_CALL_START, toolCallId: s.toolUseId, toolCallName: s.name, parentMessageId }));
          this.#announced.set(s.toolUseId, false);
        }
        if (s.delta !== '') {
          out.push(ev({ type: EventType.TOOL_CALL_ARGS, toolCallId: s.toolUseId, delta: s.delta }));
          this.#announced.set(s.toolUseId, true);
        }
        return out;
      }
      case 'model_call_completed': {
        const c = e as Extract<AgentEvent, { type: 'model_call_completed' }>;
        const parentMessageId = this.#assistantId();
        const out = this.closeText();
        const toolUses = c.message.content.filter((b) => b.type === 'tool_use');
        for (const block of toolUses) {
          const streamedArgs = this.#announced.get(block.id);
          if (streamedArgs === undefined)
            out.push(ev({ type: EventType.TOOL_CALL_START, toolCallId: block.id, toolCallName: block.name, parentMessageId }));
          if (!streamedArgs)
            out.push(ev({ type: EventType.TOOL_CALL_ARGS, toolCallId: block.id, delta: JSON.stringify(block.input ?? {}) }));
          out.push(ev({ type: EventType.TOOL_CALL_END, toolCallId: block.id }));
          this.#announced.delete(block.id);
        }
        this.#next++;
        if (toolUses.length) this.#results = { index: this.#next, order: toolUses.map((b) => b.id) };
        return out;
      }
      case 'tool_completed':
      case 'tool_failed': {
        const r = e as Extract<AgentEvent, { type: 'tool_completed' | 'tool_failed' }>;
        const failed = r.type === 'tool_failed';
        const content = r.type === 'tool_completed' ? r.outputText : `Error: ${r.error}`;
        return [
          ev({
            type: EventType.TOOL_CALL_RESULT,
            messageId: this.#resultId(r.toolUseId),
            toolCallId: r.toolUseId,
            content,
            role: 'tool',
            ...(failed ? { metadata: { mixtape: { isError: true, error: r.error } } } : {}),
          }),
        ];
      }
      case 'state_changed': {
        const next = (e as unknown as { state: unknown }).state;
        return this.stateChange(next);
      }
      case 'permission_required': {
        const p = e as Extract<AgentEvent, { type: 'permission_required' }>;
        const value: PermissionRequiredValue = {
          threadId: this.threadId,
          proposalId: p.proposalId,
          toolCallId: p.toolUseId,
          toolName: p.toolName,
          params: p.params,
          paramsHash: p.paramsHash,
          ...(p.display !== undefined ? { display: p.display } : {}),
          approvalPath: `/threads/${encodeURIComponent(this.threadId)}/approvals/${encodeURIComponent(p.proposalId)}`,
          actions: ['once', 'exact', 'tool', 'deny'],
        };
        return [...this.closeText(), ev({ type: EventType.CUSTOM, name: PERMISSION_REQUIRED_EVENT, value })];
      }
      case 'permission_granted': {
        const p = e as Extract<AgentEvent, { type: 'permission_granted' }>;
        return [
          ev({
            type: EventType.CUSTOM,
            name: PERMISSION_RESOLVED_EVENT,
            value: { proposalId: p.toolUseId, toolCallId: p.toolUseId, toolName: p.toolName, decision: 'granted', scope: p.scope },
          }),
        ];
      }
      case 'permission_denied': {
        const p = e as Extract<AgentEvent, { type: 'permission_denied' }>;
        return [
          ev({
            type: EventType.CUSTOM,
            name: PERMISSION_RESOLVED_EVENT,
            value: { proposalId: p.toolUseId, toolCallId: p.toolUseId, toolName: p.toolName, decision: 'denied', reason: p.reason },
          }),
        ];
      }
      default:
        return [];
    }
  }

  /** STATE_DELTA (JSON Patch) from the state the client has to `next`; a snapshot when there is no object to patch. */
  stateChange(next: unknown): BaseEvent[] {
    const prev = this.#state;
    const patchable = (v: unknown) => v !== null && typeof v === 'object';
    if (!patchable(prev) || !patchable(next)) return [this.stateSnapshot(next)];
    const delta = jsonPatch.compare(prev, next);
    this.#state = structuredClone(next);
    return delta.length ? [{ type: EventType.STATE_DELTA, delta, timestamp: Date.now() }] : [];
  }

  #resultId(toolUseId: string): string {
    const slot = this.#results;
    const j = slot ? slot.order.indexOf(toolUseId) : -1;
    if (slot && j >= 0) return toolMessageIdOf(this.threadId, slot.index, j);
    return toolMessageIdOf(this.threadId, this.#next, 0);
  }

  /**
   * The events that end a run: for an interrupted run STATE_SNAPSHOT, MESSAGES_SNAPSHOT and
   * RUN_FINISHED with outcome `interrupt` (approvals pending) or `success` with
   * `pendingToolCallIds` (only client tools pending); for a completed run RUN_FINISHED with the
   * answer as `result`. Mixtape's own numbers go in RUN_FINISHED's `metadata.mixtape`, never in state.
   */
  finished(
    result: AgentResult,
    details: { messages?: AguiMessage[]; state?: unknown; usage: TokenUsage[]; messageCount?: number | null },
  ): BaseEvent[] {
    const out = this.closeText();
    const now = Date.now();
    const interrupts = result.status === 'interrupted' ? (result.interrupts ?? []) : [];
    // The thread state as the run leaves it (what a resume starts from), then the history.
    out.push(this.stateSnapshot(details.state ?? this.#state ?? {}));
    if (interrupts.length && details.messages) out.push({ type: EventType.MESSAGES_SNAPSHOT, messages: details.messages, timestamp: now });
    const approvals = interrupts.filter((i) => i.reason !== 'client_tool');
    const outcome = approvals.length
      ? { type: 'interrupt', interrupts: interrupts.map(toAguiInterrupt) }
      : interrupts.length
        ? { type: 'success', pendingToolCallIds: interrupts.map((i) => i.toolCallId) }
        : { type: 'success' };
    const metadata = {
      mixtape: {
        status: result.status ?? 'completed',
        messageCount: details.messageCount ?? null,
        steps: result.steps,
        costUsd: result.cost ?? null,
        stopReason: result.stopReason,
      },
    };
    out.push({
      type: EventType.RUN_FINISHED,
      threadId: this.threadId,
      runId: this.runId,
      ...(interrupts.length ? {} : { result: result.text }),
      outcome,
      usage: details.usage,
      metadata,
      timestamp: now,
    });
    return out;
  }

  /** RUN_FINISHED with outcome `cancelled` (graceful shutdown). */
  cancelled(message: string): BaseEvent[] {
    return [
      ...this.closeText(),
      {
        type: EventType.RUN_FINISHED,
        threadId: this.threadId,
        runId: this.runId,
        outcome: { type: 'cancelled' },
        metadata: { mixtape: { message } },
        timestamp: Date.now(),
      },
    ];
  }

  /** RUN_ERROR for a failed run: `code` is the interrupt error's code, the AgentError kind, or the error's name. */
  failed(error: unknown): BaseEvent[] {
    return [
      ...this.closeText(),
      { type: EventType.RUN_ERROR, message: errorMessage(error), code: errorCode(error), timestamp: Date.now() },
    ];
  }
}

/** The message of anything thrown (never throws itself). */
export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return error.message;
    return String(error);
  } catch {
    return 'The run failed with an error that cannot be described.'; // a hostile value (revoked Proxy, throwing getter)
  }
}

/** A short code for RUN_ERROR. */
export function errorCode(error: unknown): string {
  try {
    const e = error as { code?: unknown; kind?: unknown; name?: unknown };
    if (typeof e?.code === 'string') return e.kind === 'interrupt' ? `interrupt_${e.code}` : e.code;
    if (typeof e?.kind === 'string') return e.kind;
    if (typeof e?.name === 'string') return e.name;
  } catch {
    // a hostile value: fall through to the generic code
  }
  return 'error';
}
