/**
 * Typed errors shared by every model provider.
 * @module
 */

/** What went wrong talking to a provider. */
export type ProviderErrorKind =
  | 'authentication'
  | 'rate_limited'
  | 'overloaded'
  | 'server'
  | 'invalid_request'
  | 'network'
  | 'stream'
  | 'aborted'
  | 'content_filtered'
  | 'other';

/** Options of {@link ProviderError}. */
export interface ProviderErrorOptions {
  /** Provider name, e.g. 'anthropic', 'bedrock', 'openai'. */
  provider: string;
  kind: ProviderErrorKind;
  /** HTTP status, when the provider answered with one. */
  status?: number;
  /** Whether trying again may succeed; defaults from `kind`/`status`. */
  retryable?: boolean;
  /** Delay the provider asked for before retrying (from retry-after / retry-after-ms), in ms. */
  retryAfterMs?: number;
  /** Number of attempts made before giving up (set by {@link withRetry}). */
  attempts?: number;
  /** The provider's request id, when it sent one. */
  requestId?: string;
  cause?: unknown;
}

/** Kinds that are worth retrying when no status says otherwise. */
const RETRYABLE_KINDS: ReadonlySet<ProviderErrorKind> = new Set(['rate_limited', 'overloaded', 'server', 'network']);

/** HTTP statuses that are retried: timeout, conflict, rate limit, server errors, Anthropic's 529 overloaded. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** The error kind for an HTTP status. */
export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return 'authentication';
  if (status === 429) return 'rate_limited';
  if (status === 529 || status === 503) return 'overloaded';
  if (status >= 500 || status === 408 || status === 409) return 'server';
  if (status >= 400) return 'invalid_request';
  return 'other';
}

/**
 * An error from a model provider. The message names the provider, the status and what to do.
 * `retryable` tells whether {@link withRetry} tries again.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly provider: string;
  readonly kind: ProviderErrorKind;
  readonly status?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly requestId?: string;
  /** Attempts made before this error was thrown (1 when not retried). */
  attempts: number;

  constructor(message: string, options: ProviderErrorOptions) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.provider = options.provider;
    this.kind = options.kind;
    if (options.status !== undefined) this.status = options.status;
    this.retryable =
      options.retryable ?? (options.status !== undefined ? isRetryableStatus(options.status) : RETRYABLE_KINDS.has(options.kind));
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.requestId !== undefined) this.requestId = options.requestId;
    this.attempts = options.attempts ?? 1;
  }
}

/** Advice for a kind of error; `credentialHint` says what to set for authentication errors. */
export function adviceFor(kind: ProviderErrorKind, credentialHint?: string): string {
  switch (kind) {
    case 'authentication':
      return credentialHint ? `check your credentials: ${credentialHint}` : 'check your API key or credentials';
    case 'rate_limited':
      return 'you hit the rate limit; wait and try again, lower concurrency, or raise retry.maxAttempts';
    case 'overloaded':
      return 'the provider is overloaded; try again later or raise retry.maxAttempts';
    case 'server':
      return 'the provider had a server error; try again later';
    case 'invalid_request':
      return 'the request was rejected; check the model id, max tokens, message history and tool schemas';
    case 'network':
      return 'could not reach the provider; check baseURL, network and proxy settings';
    case 'stream':
      return 'the response stream broke off or was malformed; run the step again';
    case 'aborted':
      return 'the call was cancelled by its AbortSignal';
    case 'content_filtered':
      return 'the provider refused or filtered the content; rephrase the request';
    case 'other':
      return 'see the cause for details';
  }
}

/** Builds a {@link ProviderError} whose message is "provider: what happened (status N) — what to do". */
export function providerError(options: ProviderErrorOptions & { detail: string; credentialHint?: string }): ProviderError {
  const { detail, credentialHint, ...rest } = options;
  const status = rest.status !== undefined ? ` (HTTP ${rest.status})` : '';
  return new ProviderError(`${rest.provider}: ${detail}${status} — ${adviceFor(rest.kind, credentialHint)}`, rest);
}

/** True when `error` is an abort (DOMException AbortError, an SDK's abort error, or our 'aborted' kind). */
export function isAbortError(error: unknown): boolean {
  if (error instanceof ProviderError) return error.kind === 'aborted';
  if (!(error instanceof Error)) return false;
  return error.name === 'AbortError' || error.name === 'APIUserAbortError' || /aborted/i.test(error.constructor.name);
}

/**
 * Parses retry-after headers into milliseconds: `retry-after-ms` (milliseconds), else
 * `retry-after` as seconds or an HTTP date. Undefined when absent or unparsable.
 */
export function retryAfterMs(headers: Headers | Record<string, string | undefined> | undefined | null): number | undefined {
  if (!headers) return undefined;
  const get = (name: string): string | null | undefined =>
    typeof (headers as Headers).get === 'function' ? (headers as Headers).get(name) : (headers as Record<string, string | undefined>)[name];
  const ms = get('retry-after-ms');
  if (ms != null && ms.trim() !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const ra = get('retry-after');
  if (ra != null && ra.trim() !== '') {
    const seconds = Number(ra);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(ra);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  return undefined;
}

/**
 * Whether the server allows a retry: Anthropic and OpenAI send `x-should-retry: false` when
 * retrying is pointless. Returns false only then; the status decides otherwise.
 */
export function serverAllowsRetry(headers: Headers | undefined | null): boolean {
  return headers?.get?.('x-should-retry') !== 'false';
}
