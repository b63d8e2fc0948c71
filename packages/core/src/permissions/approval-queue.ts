/**
 * Waiting for a person's answer to a permission request, with a timeout and cancellation.
 * @module
 */
import { z } from 'zod';
import { DEFAULT_APPROVAL_TIMEOUT_MS } from '../agent/options.js';
import type { AgentEventOf } from '../events.js';
import type { PermissionResponse } from './types.js';

// The default (300_000 ms, 5 minutes) is defined once, with the agent's options, and re-exported
// here so that both modules export the same binding.
export { DEFAULT_APPROVAL_TIMEOUT_MS };

/** What a request carries: at least its proposal id; usually the whole `permission_required` event. */
export type ApprovalRequest = Pick<AgentEventOf<'permission_required'>, 'proposalId'> &
  Partial<Omit<AgentEventOf<'permission_required'>, 'proposalId'>>;

/** A request waiting for an answer, as listed by {@link ApprovalQueue.pending}. */
export interface PendingApproval<R extends ApprovalRequest = ApprovalRequest> {
  proposalId: string;
  request: R;
  requestedAt: Date;
  /** When it will be denied for lack of an answer (undefined: never). */
  expiresAt?: Date;
}

/** Error of the approval queue: a proposal id already waiting, a bad timeout, or an invalid answer. */
export class ApprovalError extends Error {
  override name = 'ApprovalError';
  constructor(
    readonly kind: 'duplicate' | 'invalid_timeout' | 'invalid_response',
    message: string,
  ) {
    super(message);
  }
}

const scope = z.enum(['session', 'project', 'user']);
const date = z.union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))]);

/** zod schema of a {@link PermissionResponse} (for answers arriving over HTTP or from a UI). */
export const permissionResponseSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('once') }),
  z.object({ action: z.literal('exact'), scope: scope.optional(), expiresAt: date.optional() }),
  z.object({ action: z.literal('tool'), scope: scope.optional(), expiresAt: date.optional() }),
  z.object({
    action: z.literal('deny'),
    reason: z.string().optional(),
    scope: scope.optional(),
    exact: z.boolean().optional(),
    expiresAt: date.optional(),
    origin: z.enum(['timeout', 'cancelled']).optional(),
  }),
]);

/**
 * Checks an answer that came from outside (JSON): returns it typed, or throws an
 * {@link ApprovalError} of kind 'invalid_response' that says what is wrong.
 */
export function parsePermissionResponse(value: unknown): PermissionResponse {
  const parsed = permissionResponseSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(response)'}: ${i.message}`).join('; ');
    throw new ApprovalError(
      'invalid_response',
      `Invalid permission response: ${issues}. Expected {action: 'once' | 'exact' | 'tool' | 'deny', scope?, reason?}.`,
    );
  }
  return parsed.data;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

interface Waiter {
  entry: PendingApproval;
  settle: (response: PermissionResponse) => void;
}

/** Options of {@link ApprovalQueue.request}. */
export interface ApprovalRequestOptions {
  /** Aborting denies the request with reason 'Run cancelled'. */
  signal?: AbortSignal;
  /** Overrides the queue's timeout for this request (ms; `Infinity` waits forever). */
  timeoutMs?: number;
}

/**
 * Permission requests waiting for a person. The agent calls `request` when a check says 'ask'
 * and awaits the answer; a UI (REPL, HTTP server) lists `pending()` and calls `respond`.
 *
 * A request that gets no answer within the timeout resolves to
 * `{ action: 'deny', reason: 'Approval timed out after 300 s', origin: 'timeout' }`; an aborted
 * signal resolves it to `{ action: 'deny', reason: 'Run cancelled', origin: 'cancelled' }`.
 * `request` never rejects except for a proposal id that is already waiting.
 */
export class ApprovalQueue<R extends ApprovalRequest = ApprovalRequest> {
  readonly timeoutMs: number;
  readonly #waiting = new Map<string, Waiter>();

  /** @param options.timeoutMs default timeout (ms) of each request (default {@link DEFAULT_APPROVAL_TIMEOUT_MS}; `Infinity` disables it). */
  constructor(options: { timeoutMs?: number } = {}) {
    this.timeoutMs = ApprovalQueue.#checkTimeout(options.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS);
  }

  static #checkTimeout(ms: number): number {
    if (typeof ms !== 'number' || Number.isNaN(ms) || ms <= 0) {
      throw new ApprovalError(
        'invalid_timeout',
        `Approval timeout must be a positive number of milliseconds (or Infinity), got ${String(ms)}.`,
      );
    }
    return ms;
  }

  /** Waits for the answer to a request (see the class description for timeout and abort). */
  request(request: R, options: ApprovalRequestOptions = {}): Promise<PermissionResponse> {
    const { proposalId } = request;
    if (this.#waiting.has(proposalId)) {
      return Promise.reject(
        new ApprovalError('duplicate', `A permission request with proposal id '${proposalId}' is already waiting for an answer.`),
      );
    }
    let timeoutMs: number;
    try {
      timeoutMs = ApprovalQueue.#checkTimeout(options.timeoutMs ?? this.timeoutMs);
    } catch (error) {
      // The timeout check throws a typed Error; passed through as it is.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.resolve({ action: 'deny', reason: 'Run cancelled', origin: 'cancelled' });

    return new Promise<PermissionResponse>((resolve) => {
      const requestedAt = new Date();
      const finite = Number.isFinite(timeoutMs);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => settle({ action: 'deny', reason: 'Run cancelled', origin: 'cancelled' });
      const settle = (response: PermissionResponse) => {
        if (this.#waiting.get(proposalId) !== waiter) return;
        this.#waiting.delete(proposalId);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(response);
      };
      const waiter: Waiter = {
        entry: { proposalId, request, requestedAt, expiresAt: finite ? new Date(requestedAt.getTime() + timeoutMs) : undefined },
        settle,
      };
      this.#waiting.set(proposalId, waiter);
      if (finite) {
        // setTimeout holds at most 2^31-1 ms (about 24.8 days); longer waits are capped there.
        timer = setTimeout(
          () => settle({ action: 'deny', reason: `Approval timed out after ${formatSeconds(timeoutMs)}`, origin: 'timeout' }),
          Math.min(timeoutMs, 2 ** 31 - 1),
        );
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Answers a waiting request. Returns false when no request with this id is waiting (unknown,
   * already answered, timed out or cancelled).
   * @throws ApprovalError kind 'invalid_response' when the answer is malformed.
   */
  respond(proposalId: string, response: PermissionResponse): boolean {
    const waiter = this.#waiting.get(proposalId);
    if (!waiter) return false;
    waiter.settle(parsePermissionResponse(response));
    return true;
  }

  /** Requests waiting for an answer, oldest first. */
  pending(): PendingApproval<R>[] {
    return [...this.#waiting.values()].map((w) => ({ ...w.entry }) as PendingApproval<R>);
  }

  /** Denies every waiting request (for example when the agent shuts down); returns how many. */
  cancelAll(reason = 'Run cancelled'): number {
    const waiters = [...this.#waiting.values()];
    for (const w of waiters) w.settle({ action: 'deny', reason, origin: 'cancelled' });
    return waiters.length;
  }
}
