/**
 * The streaming loop every provider shares: open the stream inside the retry policy, read up to
 * the first event worth emitting (a failure until then is retried: the caller has seen nothing),
 * then pass events through, with an idle timeout and at-once cancellation.
 * @module
 */
import type { ModelResponse, ModelStreamEvent } from '../model.js';
import { type ProviderError, providerError } from './errors.js';
import { abortedError, withRetry, type RetryInfo, type RetryPolicy } from './retry.js';

/** Longest wait for the response headers or the next stream event before the call counts as stalled. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 120_000;

/** An open provider stream. */
export interface OpenedStream<Raw> {
  events: AsyncIterator<Raw>;
  /** Cancels the HTTP request (called on abort, timeout, error or when the caller stops early). */
  cancel(): void;
}

/** Folds raw provider events into Mixtape events and the final response. */
export interface StreamAssembler<Raw> {
  /** Applies one raw event; pushes the events worth emitting to `out`. */
  handle(raw: Raw, out: ModelStreamEvent[]): void;
  /** The complete response once the stream has ended; throws a ProviderError when it is incomplete. */
  finish(): ModelResponse;
}

/** Options of {@link streamModelCall}. */
export interface StreamModelCallOptions<Raw> {
  provider: string;
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
  onRetry?: (info: RetryInfo) => void;
  /** See {@link DEFAULT_STREAM_IDLE_TIMEOUT_MS}; 0 disables. */
  idleTimeoutMs?: number;
  /** Sends the request; `signal` aborts this attempt (the caller's signal or the idle timeout). */
  open(signal: AbortSignal): Promise<OpenedStream<Raw>>;
  /** A fresh assembler for each attempt. */
  assembler(): StreamAssembler<Raw>;
  /** Turns an SDK error into a ProviderError; `beforeOutput`: nothing was emitted yet. */
  toError(error: unknown, beforeOutput: boolean): ProviderError;
}

/**
 * Aborts `controller` when nothing happened for `ms`. One timer per attempt that re-arms itself
 * (cheaper than a timer per event); `touch()` records activity.
 */
class Watchdog {
  private last = performance.now();
  private timer: ReturnType<typeof setTimeout> | undefined;
  timedOut = false;

  constructor(
    private readonly ms: number,
    private readonly controller: AbortController,
  ) {
    if (ms > 0) this.arm(ms);
  }

  private arm(delay: number): void {
    this.timer = setTimeout(() => {
      const idle = performance.now() - this.last;
      if (idle >= this.ms) {
        this.timedOut = true;
        this.controller.abort(new Error(`no data for ${this.ms} ms`));
      } else this.arm(this.ms - idle);
    }, delay);
    this.timer.unref?.();
  }

  touch(): void {
    this.last = performance.now();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** Links `outer` into a new controller (AbortSignal.any needs Node 20.3; this works on every 20.x). */
function linkedController(outer: AbortSignal | undefined): { controller: AbortController; unlink: () => void } {
  const controller = new AbortController();
  if (!outer) return { controller, unlink: () => {} };
  const onAbort = () => controller.abort(outer.reason);
  if (outer.aborted) onAbort();
  else outer.addEventListener('abort', onAbort, { once: true });
  return { controller, unlink: () => outer.removeEventListener('abort', onAbort) };
}

/**
 * Streams one model call with the policy's retries (see the module doc). Yields the
 * provider's deltas as they arrive and ends with exactly one `response` event. Errors are
 * {@link ProviderError}s: 'aborted' when `signal` aborts, 'stream' when the stream breaks after
 * output began or stalls longer than the idle timeout.
 */
export async function* streamModelCall<Raw>(o: StreamModelCallOptions<Raw>): AsyncGenerator<ModelStreamEvent> {
  const idleMs = o.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
  const { signal, provider } = o;
  const stalled = (beforeOutput: boolean) =>
    providerError({
      provider,
      kind: 'stream',
      retryable: beforeOutput,
      detail: `no data from the server for ${idleMs} ms (the stream stalled${beforeOutput ? ' before any output' : ''})`,
    });
  const fail = (error: unknown, beforeOutput: boolean, watchdog: Watchdog): ProviderError => {
    if (signal?.aborted) return abortedError(signal, provider, error);
    if (watchdog.timedOut) return stalled(beforeOutput);
    return o.toError(error, beforeOutput);
  };

  const attempt = await withRetry(
    async () => {
      const { controller, unlink } = linkedController(signal);
      const watchdog = new Watchdog(idleMs, controller);
      const assembler = o.assembler();
      let opened: OpenedStream<Raw> | undefined;
      try {
        opened = await o.open(controller.signal);
        const pending: ModelStreamEvent[] = [];
        let done = false;
        while (pending.length === 0) {
          const r = await opened.events.next();
          watchdog.touch();
          if (r.done) {
            done = true;
            break;
          }
          assembler.handle(r.value, pending);
        }
        // Some SDKs end a stream quietly when it is aborted.
        if (done && watchdog.timedOut) throw stalled(true);
        return { controller, unlink, watchdog, assembler, opened, pending, done };
      } catch (error) {
        watchdog.stop();
        opened?.cancel();
        controller.abort();
        unlink();
        throw fail(error, true, watchdog);
      }
    },
    o.retry,
    { ...(signal && { signal }), provider, ...(o.onRetry && { onRetry: o.onRetry }) },
  );

  const { controller, unlink, watchdog, assembler, opened, pending } = attempt;
  const done = attempt.done;
  let finished = false;
  try {
    yield* pending;
    while (!done) {
      let r: IteratorResult<Raw>;
      try {
        r = await opened.events.next();
      } catch (error) {
        throw fail(error, false, watchdog);
      }
      watchdog.touch();
      if (r.done) break;
      const out: ModelStreamEvent[] = [];
      assembler.handle(r.value, out);
      yield* out;
    }
    // Some SDKs end the stream quietly when it is aborted.
    if (signal?.aborted) throw abortedError(signal, provider);
    if (watchdog.timedOut) throw stalled(false);
    const response = assembler.finish();
    finished = true;
    yield { type: 'response', response };
  } finally {
    watchdog.stop();
    if (!finished) {
      // The caller stopped early or something failed: cancel the HTTP request at once.
      opened.cancel();
      controller.abort();
    }
    unlink();
  }
}
