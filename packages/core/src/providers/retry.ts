/**
 * Retries with exponential backoff and jitter, shared by every provider. Providers turn SDK
 * errors into {@link ProviderError}s and open their streams inside {@link withRetry}; the SDKs'
 * own retries are disabled (`maxRetries: 0`) so this policy is the only one.
 * @module
 */
import { otelApi } from '../lazy-require.js';
import { ProviderError, providerError } from './errors.js';

/** How backoff delays are randomised. `full`: uniform in [0, d]; `equal`: d/2 + uniform in [0, d/2]; `none`: d. */
export type RetryJitter = 'full' | 'equal' | 'none';

/** When and how often to retry a failed model call. */
export interface RetryPolicy {
  /** Total attempts including the first (1 = never retry). */
  maxAttempts: number;
  /** Delay before the first retry, before jitter; doubles with each attempt. */
  baseDelayMs: number;
  /** Upper bound of one backoff delay. */
  maxDelayMs: number;
  jitter: RetryJitter;
  /** A retry-after the provider sends is honoured up to this many ms; longer ones fall back to backoff. */
  maxRetryAfterMs: number;
}

/** Default total attempts of a model call. */
export const DEFAULT_MAX_ATTEMPTS = 4;
/** Default delay before the first retry. */
export const DEFAULT_BASE_DELAY_MS = 500;
/** Default upper bound of one backoff delay. */
export const DEFAULT_MAX_DELAY_MS = 30_000;
/** Default longest retry-after that is honoured as sent. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
/** Default jitter. */
export const DEFAULT_JITTER: RetryJitter = 'full';

/** The default retry policy. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  baseDelayMs: DEFAULT_BASE_DELAY_MS,
  maxDelayMs: DEFAULT_MAX_DELAY_MS,
  jitter: DEFAULT_JITTER,
  maxRetryAfterMs: DEFAULT_MAX_RETRY_AFTER_MS,
});

/** Fills a partial policy with the defaults. */
export function resolveRetryPolicy(policy?: Partial<RetryPolicy>): RetryPolicy {
  const p = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(policy ?? {}) };
  p.maxAttempts = Math.max(1, Math.floor(p.maxAttempts));
  p.baseDelayMs = Math.max(0, p.baseDelayMs);
  p.maxDelayMs = Math.max(0, p.maxDelayMs);
  return p;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What {@link withRetry} tells `onRetry` before it waits. */
export interface RetryInfo {
  /** The attempt that failed (1-based). */
  attempt: number;
  /** How long it waits before the next attempt. */
  delayMs: number;
  error: ProviderError;
}

/** Options of {@link withRetry}. */
export interface WithRetryOptions {
  /** Aborting stops waiting at once and throws a ProviderError of kind 'aborted'. */
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
  /** Provider name for the 'aborted' error. */
  provider?: string;
  /** Random source in [0, 1) for jitter (tests may pin it). */
  random?: () => number;
}

/**
 * The delay before attempt `attempt + 1` after attempt `attempt` failed: the provider's
 * retry-after when it sent one (up to `maxRetryAfterMs`), else exponential backoff with jitter.
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0 && retryAfterMs <= policy.maxRetryAfterMs) return retryAfterMs;
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  switch (policy.jitter) {
    case 'none':
      return exp;
    case 'equal':
      return exp / 2 + random() * (exp / 2);
    case 'full':
      return random() * exp;
  }
}

/**
 * Runs `fn` until it succeeds, fails with an error that is not retryable, or the policy's
 * attempts are used up. Only {@link ProviderError}s with `retryable` are retried; any other
 * error is thrown at once. When attempts run out, the last error is thrown with its message
 * saying how many attempts were made.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy?: Partial<RetryPolicy>,
  options: WithRetryOptions = {},
): Promise<T> {
  const p = resolveRetryPolicy(policy);
  const { signal, onRetry, random = Math.random } = options;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(signal, options.provider);
    try {
      return await fn(attempt);
    } catch (error) {
      if (signal?.aborted) throw abortedError(signal, options.provider, error);
      if (!(error instanceof ProviderError) || !error.retryable) {
        if (error instanceof ProviderError) error.attempts = attempt;
        throw error;
      }
      if (attempt >= p.maxAttempts) throw exhausted(error, attempt);
      const delayMs = retryDelayMs(attempt, p, error.retryAfterMs, random);
      onRetry?.({ attempt, delayMs, error });
      // The model call's span (when tracing is on) records each retry as an event.
      otelApi()
        .trace.getActiveSpan()
        ?.addEvent('gen_ai.retry', {
          attempt,
          'retry.delay_ms': delayMs,
          'error.type': error.kind,
          ...(error.status !== undefined && { 'http.response.status_code': error.status }),
        });
      await abortableSleep(delayMs, signal, options.provider);
    }
  }
}

function exhausted(error: ProviderError, attempts: number): ProviderError {
  if (attempts <= 1) return error;
  const e = new ProviderError(`${error.message} (gave up after ${attempts} attempts)`, {
    provider: error.provider,
    kind: error.kind,
    ...(error.status !== undefined && { status: error.status }),
    retryable: error.retryable,
    ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
    ...(error.requestId !== undefined && { requestId: error.requestId }),
    attempts,
    cause: error.cause ?? error,
  });
  return e;
}

/** A ProviderError of kind 'aborted'. */
export function abortedError(signal: AbortSignal | undefined, provider = 'provider', cause?: unknown): ProviderError {
  return providerError({
    provider,
    kind: 'aborted',
    retryable: false,
    detail: 'the call was aborted',
    cause: signal?.reason ?? cause,
  });
}

function throwIfAborted(signal: AbortSignal | undefined, provider?: string): void {
  if (signal?.aborted) throw abortedError(signal, provider);
}

/** Waits `ms`, or rejects with an 'aborted' ProviderError as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal, provider?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal, provider));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal, provider));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
