/**
 * Translation between Mixtape and the AG-UI protocol: the prompt of a `RunAgentInput`, and
 * Mixtape `AgentEvent`s → AG-UI events (camelCase types and fields, as the protocol specifies).
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { BaseEvent, Message as AguiMessage, RunAgentInput, TokenUsage } from '@ag-ui/core';
import { EventType } from '@ag-ui/core';
import type { AgentEvent, Usage } from '@mixtape/core';

/** Name of the CUSTOM event sent when a tool call waits for a person's approval. */
export const PERMISSION_REQUIRED_EVENT = 'mixtape.permission_required';
/** Name of the CUSTOM event sent when a permission request was answered (or timed out). */
export const PERMISSION_RESOLVED_EVENT = 'mixtape.permission_resolved';

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

/** Raised for a RunAgentInput the server cannot run; `status` is the HTTP status to answer. */
export class RunInputError extends Error {
  override name = 'RunInputError';
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .filter((p): p is { type: 'text'; text: string } => !!p && typeof p === 'object' && (p as { type?: unknown }).type === 'text' && typeof (p as { text?: unknown }).text === 'string')
      .map((p) => p.text)
      .join('\n');
  }
  return '';
}

/**
 * The prompt of a run: the text of the last message when it is a user message. The rest of the
 * `messages` array is ignored on purpose: the thread's history lives in the session store
 * (threadId = session id), so a client replaying its transcript duplicates nothing.
 */
export function promptOf(input: RunAgentInput): string {
  const last: AguiMessage | undefined = input.messages[input.messages.length - 1];
  if (!last) throw new RunInputError('RunAgentInput.messages is empty: send the new user message as its last element.');
  if (last.role !== 'user') {
    throw new RunInputError(
      `The last message of RunAgentInput.messages has role "${last.role}"; this server runs on a new user message. ` +
        '(Frontend tools are not supported: tool results come from the server-side agent.)',
    );
  }
  const prompt = textOf(last.content);
  if (prompt.trim() === '') throw new RunInputError('The last user message has no text content.');
  return prompt;
}

/** AG-UI token usage of a run. */
export function tokenUsage(usage: Usage, provider: string, model: string): TokenUsage[] {
  return [{ provider, model, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, totalTokens: usage.inputTokens + usage.outputTokens }];
}

/**
 * Turns the events of one agent run into AG-UI events. Stateful: it opens and closes text
 * messages around streamed text and gives every message an id.
 */
export class AguiTranslator {
  #textMessageId: string | undefined;
  #reasoningId: string | undefined;

  /** @param reasoning stream thinking as REASONING_* events (default true). */
  constructor(
    readonly threadId: string,
    readonly runId: string,
    readonly reasoning = true,
  ) {}

  /** Closes an open reasoning or text message, if any. */
  closeText(): BaseEvent[] {
    const out = this.#closeReasoning();
    if (!this.#textMessageId) return out;
    const messageId = this.#textMessageId;
    this.#textMessageId = undefined;
    out.push({ type: EventType.TEXT_MESSAGE_END, messageId } as BaseEvent);
    return out;
  }

  #closeReasoning(): BaseEvent[] {
    if (!this.#reasoningId) return [];
    const messageId = this.#reasoningId;
    this.#reasoningId = undefined;
    return [{ type: EventType.REASONING_MESSAGE_END, messageId } as BaseEvent, { type: EventType.REASONING_END, messageId } as BaseEvent];
  }

  /** AG-UI events for one agent event (often none). */
  translate(e: AgentEvent): BaseEvent[] {
    const now = e.timestamp;
    const ev = (x: Record<string, unknown>): BaseEvent => ({ ...x, timestamp: now }) as BaseEvent;
    switch (e.type) {
      case 'model_call_streaming': {
        if (e.delta === '') return [];
        if (e.kind === 'thinking') {
          if (!this.reasoning) return [];
          const out: BaseEvent[] = [];
          if (this.#textMessageId) out.push(...this.closeText());
          if (!this.#reasoningId) {
            this.#reasoningId = randomUUID();
            out.push(ev({ type: EventType.REASONING_START, messageId: this.#reasoningId }));
            out.push(ev({ type: EventType.REASONING_MESSAGE_START, messageId: this.#reasoningId, role: 'reasoning' }));
          }
          out.push(ev({ type: EventType.REASONING_MESSAGE_CONTENT, messageId: this.#reasoningId, delta: e.delta }));
          return out;
        }
        const out: BaseEvent[] = this.#closeReasoning();
        if (!this.#textMessageId) {
          this.#textMessageId = randomUUID();
          out.push(ev({ type: EventType.TEXT_MESSAGE_START, messageId: this.#textMessageId, role: 'assistant' }));
        }
        out.push(ev({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: this.#textMessageId, delta: e.delta }));
        return out;
      }
      case 'model_call_completed': {
        const parentMessageId = this.#textMessageId ?? randomUUID();
        const out = this.closeText();
        for (const block of e.message.content) {
          if (block.type !== 'tool_use') continue;
          out.push(ev({ type: EventType.TOOL_CALL_START, toolCallId: block.id, toolCallName: block.name, parentMessageId }));
          out.push(ev({ type: EventType.TOOL_CALL_ARGS, toolCallId: block.id, delta: JSON.stringify(block.input ?? {}) }));
          out.push(ev({ type: EventType.TOOL_CALL_END, toolCallId: block.id }));
        }
        return out;
      }
      case 'tool_completed':
        return [ev({ type: EventType.TOOL_CALL_RESULT, messageId: randomUUID(), toolCallId: e.toolUseId, content: e.outputText, role: 'tool' })];
      case 'tool_failed':
        return [ev({ type: EventType.TOOL_CALL_RESULT, messageId: randomUUID(), toolCallId: e.toolUseId, content: `Error: ${e.error}`, role: 'tool' })];
      case 'permission_required': {
        const value: PermissionRequiredValue = {
          threadId: this.threadId,
          proposalId: e.proposalId,
          toolCallId: e.toolUseId,
          toolName: e.toolName,
          params: e.params,
          paramsHash: e.paramsHash,
          ...(e.display !== undefined ? { display: e.display } : {}),
          approvalPath: `/threads/${encodeURIComponent(this.threadId)}/approvals/${encodeURIComponent(e.proposalId)}`,
          actions: ['once', 'exact', 'tool', 'deny'],
        };
        return [...this.closeText(), ev({ type: EventType.CUSTOM, name: PERMISSION_REQUIRED_EVENT, value })];
      }
      case 'permission_granted':
        return [ev({ type: EventType.CUSTOM, name: PERMISSION_RESOLVED_EVENT, value: { proposalId: e.toolUseId, toolCallId: e.toolUseId, toolName: e.toolName, decision: 'granted', scope: e.scope } })];
      case 'permission_denied':
        return [ev({ type: EventType.CUSTOM, name: PERMISSION_RESOLVED_EVENT, value: { proposalId: e.toolUseId, toolCallId: e.toolUseId, toolName: e.toolName, decision: 'denied', reason: e.reason } })];
      default:
        return [];
    }
  }
}
