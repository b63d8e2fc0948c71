/**
 * Interrupts: the typed error, the answer checks and the helpers that turn a pending tool call
 * into an {@link Interrupt} and an answer into a tool result.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { ToolResultBlock, ToolResultContent, ToolUseBlock } from '../messages.js';
import { hashParams } from '../permissions/canonical-json.js';
import type { PermissionResponse } from '../permissions/types.js';
import type { Interrupt, InterruptAnswer, JSONSchema, StoredInterrupt } from '../session/run-state.js';
import { AgentError } from './errors.js';

/** Why a resume or a run was refused. */
export type InterruptErrorCode = 'pending' | 'unknown' | 'unanswered' | 'expired' | 'invalid_answer';

/** Default time an interrupt stays answerable (7 days); set `interruptTtlMs` to change it, 0 for no expiry. */
export const DEFAULT_INTERRUPT_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Bound on the number of answers one resume may carry. */
export const MAX_RESUME_ANSWERS = 1_000;

/**
 * A run that cannot start or resume because of interrupts: `pending` (the session waits for
 * answers — resume it or cancel them), `unknown` id, `unanswered` open interrupt, `expired`, or
 * `invalid_answer`. `interrupts` lists the ones concerned.
 */
export class InterruptError extends AgentError {
  override name = 'InterruptError';
  constructor(
    readonly code: InterruptErrorCode,
    message: string,
    readonly interrupts: Interrupt[] = [],
  ) {
    super('interrupt', message);
  }
}

/** Schema of the answer to a tool approval (as AG-UI clients send it). */
export const APPROVAL_RESPONSE_SCHEMA: JSONSchema = {
  type: 'object',
  properties: {
    approved: { type: 'boolean' },
    editedArgs: { type: 'object' },
    reason: { type: 'string' },
    remember: { type: 'string', enum: ['session', 'project', 'user'] },
  },
  required: ['approved'],
  additionalProperties: false,
};

/** Schema of the answer to a client tool: its result. */
export const CLIENT_TOOL_RESPONSE_SCHEMA: JSONSchema = {
  type: 'object',
  properties: { content: {}, isError: { type: 'boolean' } },
  required: ['content'],
};

/** A new interrupt for a tool call. */
export function newInterrupt(
  call: ToolUseBlock,
  reason: Interrupt['reason'],
  display: string | undefined,
  ttlMs: number,
  now = new Date(),
): StoredInterrupt {
  const what = display ? `: ${display}` : '';
  return {
    id: `int_${randomUUID()}`,
    reason,
    toolCallId: call.id,
    toolName: call.name,
    input: call.input,
    message:
      reason === 'tool_call' ? `Allow ${call.name} to run${what}?` : `Run the client tool ${call.name}${what} and return its result.`,
    responseSchema: reason === 'tool_call' ? APPROVAL_RESPONSE_SCHEMA : CLIENT_TOOL_RESPONSE_SCHEMA,
    ...(ttlMs > 0 ? { expiresAt: new Date(now.getTime() + ttlMs).toISOString() } : {}),
    createdAt: now.toISOString(),
  };
}

/** The public form of a stored interrupt (without its answer). */
export function publicInterrupt(s: StoredInterrupt): Interrupt {
  const { answer: _answer, ...rest } = s;
  return rest;
}

/** A key that is the same for the same answers in any order. */
export function answersKey(answers: readonly InterruptAnswer[]): string {
  return hashParams([...answers].sort((a, b) => (a.interruptId < b.interruptId ? -1 : a.interruptId > b.interruptId ? 1 : 0)));
}

const TYPES = new Set(['approve', 'deny', 'result', 'cancel']);

/**
 * Checks answers against the open interrupts: known ids, every open one answered once, not
 * expired, the right kind for each (approve/deny for approvals, result for client tools; cancel
 * for either). Returns a map from interrupt id to its answer.
 */
export function checkAnswers(open: readonly StoredInterrupt[], answers: unknown, now = new Date()): Map<string, InterruptAnswer> {
  const pub = open.map(publicInterrupt);
  if (!Array.isArray(answers)) throw new InterruptError('invalid_answer', 'resume(answers) needs an array of answers.', pub);
  if (answers.length > MAX_RESUME_ANSWERS)
    throw new InterruptError(
      'invalid_answer',
      `A resume may carry at most ${MAX_RESUME_ANSWERS} answers (MAX_RESUME_ANSWERS); got ${answers.length}.`,
      pub,
    );
  const byId = new Map(open.map((i) => [i.id, i]));
  const out = new Map<string, InterruptAnswer>();
  for (const raw of answers as unknown[]) {
    if (typeof raw !== 'object' || raw === null || typeof (raw as { interruptId?: unknown }).interruptId !== 'string') {
      throw new InterruptError('invalid_answer', 'Each answer needs a string interruptId.', pub);
    }
    const a = raw as InterruptAnswer;
    const target = byId.get(a.interruptId);
    if (!target)
      throw new InterruptError(
        'unknown',
        `Unknown interrupt id ${JSON.stringify(a.interruptId)}; open: ${open.map((i) => i.id).join(', ') || '(none)'}.`,
        pub,
      );
    if (out.has(a.interruptId)) throw new InterruptError('invalid_answer', `Interrupt ${a.interruptId} is answered twice.`, pub);
    if (!TYPES.has(a.type))
      throw new InterruptError(
        'invalid_answer',
        `Answer type ${JSON.stringify((a as { type?: unknown }).type)} is not one of approve, deny, result, cancel.`,
        [publicInterrupt(target)],
      );
    if (a.type !== 'cancel' && target.expiresAt && Date.parse(target.expiresAt) <= now.getTime()) {
      throw new InterruptError(
        'expired',
        `Interrupt ${a.interruptId} (${target.toolName}) expired at ${target.expiresAt}; it can only be cancelled now.`,
        [publicInterrupt(target)],
      );
    }
    if (target.reason === 'tool_call' && a.type === 'result')
      throw new InterruptError('invalid_answer', `Interrupt ${a.interruptId} asks for an approval (approve or deny), not a result.`, [
        publicInterrupt(target),
      ]);
    if (target.reason === 'client_tool' && (a.type === 'approve' || a.type === 'deny')) {
      throw new InterruptError(
        'invalid_answer',
        `Interrupt ${a.interruptId} waits for the client tool's result (type 'result'), not an approval.`,
        [publicInterrupt(target)],
      );
    }
    if (a.type === 'result' && !isResultContent(a.content))
      throw new InterruptError('invalid_answer', `The result of ${a.interruptId} must be text or a list of content items.`, [
        publicInterrupt(target),
      ]);
    if (a.type === 'approve' && a.remember !== undefined && !['session', 'project', 'user'].includes(a.remember)) {
      throw new InterruptError('invalid_answer', `remember must be 'session', 'project' or 'user'.`, [publicInterrupt(target)]);
    }
    if (a.type === 'deny' && a.reason !== undefined && typeof a.reason !== 'string')
      throw new InterruptError('invalid_answer', 'A deny reason must be text.', [publicInterrupt(target)]);
    out.set(a.interruptId, a);
  }
  const missing = open.filter((i) => !out.has(i.id));
  if (missing.length) {
    throw new InterruptError(
      'unanswered',
      `Every open interrupt needs an answer; missing: ${missing.map((i) => `${i.id} (${i.toolName})`).join(', ')}.`,
      missing.map(publicInterrupt),
    );
  }
  return out;
}

/** Text, or a list of tool-result content items of a known shape (what a client tool may answer). */
function isResultContent(c: unknown): boolean {
  if (typeof c === 'string') return true;
  return Array.isArray(c) && c.every(isContentItem);
}

function isContentItem(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const item = x as { type?: unknown; text?: unknown; mediaType?: unknown; data?: unknown; value?: unknown };
  switch (item.type) {
    case 'text':
      return typeof item.text === 'string';
    case 'json':
      return 'value' in item;
    case 'image':
    case 'document':
      return typeof item.mediaType === 'string' && (typeof item.data === 'string' || item.data instanceof Uint8Array);
    default:
      return false;
  }
}

/** What the authorizer records for an approval answer. */
export function permissionResponseOf(answer: InterruptAnswer): PermissionResponse {
  if (answer.type === 'approve') return answer.remember ? { action: 'tool', scope: answer.remember } : { action: 'once' };
  if (answer.type === 'deny') return { action: 'deny', ...(answer.reason !== undefined ? { reason: answer.reason } : {}) };
  return { action: 'deny', reason: 'Cancelled', origin: 'cancelled' };
}

/** The error result of a call whose interrupt was cancelled. */
export function cancelledResult(call: { id: string; name: string }): ToolResultBlock {
  return {
    type: 'tool_result',
    toolUseId: call.id,
    isError: true,
    content: [{ type: 'text', text: `Tool call ${call.name} was cancelled by the user before it ran.` }],
  };
}

/** The result block of a client tool's answer. */
export function clientResult(toolUseId: string, answer: Extract<InterruptAnswer, { type: 'result' }>): ToolResultBlock {
  const content: ToolResultContent[] = typeof answer.content === 'string' ? [{ type: 'text', text: answer.content }] : answer.content;
  return { type: 'tool_result', toolUseId, content, isError: answer.isError === true };
}
