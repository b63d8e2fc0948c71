/**
 * The one error type of `@mixtape/runs`.
 * @module
 */

/** What went wrong: `busy` (the thread has an active run), `not_found`, `invalid_input`, `config`, `storage` (PostgreSQL), `closed`. */
export type RunsErrorKind = 'busy' | 'not_found' | 'invalid_input' | 'config' | 'storage' | 'closed';

/** Raised by the runs API and workers; `kind` says what to do about it. */
export class RunsError extends Error {
  override name = 'RunsError';
  constructor(
    readonly kind: RunsErrorKind,
    message: string,
    options?: { cause?: unknown; runId?: string; threadId?: string },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    if (options?.runId !== undefined) this.runId = options.runId;
    if (options?.threadId !== undefined) this.threadId = options.threadId;
  }
  /** The run concerned, when there is one (for `busy`: the thread's active run). */
  runId?: string;
  threadId?: string;
}
