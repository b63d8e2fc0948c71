/**
 * A `fetch` for the SDK's HTTP transports that gives every request its own abort signal.
 *
 * Written by hand because no library does this one thing: the SDK's Streamable HTTP and
 * HTTP+SSE transports pass ONE connection-wide AbortSignal to every fetch, and Node's fetch
 * (undici) keeps an abort listener on that signal per request until the request object is
 * garbage-collected. Under steady tool-call traffic thousands pile up on one signal
 * (`MaxListenersExceededWarning: 1501 abort listeners added to [AbortSignal]`, and memory
 * that grows with the call rate). Here each request gets a private controller, kept in the
 * connection signal's set only while the request lives (until its headers arrive; for an
 * event stream until the stream ends or is cancelled). The connection's signal has one
 * listener, whatever the number of requests in flight; closing the transport still aborts
 * every request and stream in flight.
 * @module
 */
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/** The requests in flight per connection signal; the signal's one listener aborts them all. */
const inFlight = new WeakMap<AbortSignal, Set<AbortController>>();

function linkTo(parent: AbortSignal): { signal: AbortSignal; unlink: () => void } {
  let requests = inFlight.get(parent);
  if (!requests) {
    const set = new Set<AbortController>();
    requests = set;
    inFlight.set(parent, set);
    parent.addEventListener(
      'abort',
      () => {
        for (const request of set) request.abort(parent.reason);
        set.clear();
      },
      { once: true },
    );
  }
  const controller = new AbortController();
  const set = requests;
  set.add(controller);
  return { signal: controller.signal, unlink: () => set.delete(controller) };
}

/** How many requests made with `signal` are still linked to it (for diagnostics and tests). */
export function requestsLinkedTo(signal: AbortSignal): number {
  return inFlight.get(signal)?.size ?? 0;
}

/**
 * Wraps `base` (default: the global fetch) so the signal a transport passes is linked to a
 * per-request signal and unlinked when the request is done.
 */
export function isolatedAbortFetch(base: FetchLike = (url, init) => fetch(url, init)): FetchLike {
  return async (url, init) => {
    const parent = init?.signal;
    // Nothing to isolate, or already aborted (fetch rejects at once, adding no listener).
    if (!parent || parent.aborted) return base(url, init);
    const { signal, unlink } = linkTo(parent);
    let response: Response;
    try {
      response = await base(url, { ...init, signal });
    } catch (error) {
      unlink();
      throw error;
    }
    const body = response.body;
    // A JSON answer or an empty one is read at once; only a stream must stay abortable.
    if (!body || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
      unlink();
      return response;
    }
    const reader = body.getReader();
    const stream = new ReadableStream<Uint8Array>({
      async pull(sink) {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            unlink();
            sink.close();
          } else {
            sink.enqueue(chunk.value);
          }
        } catch (error) {
          unlink();
          sink.error(error);
        }
      },
      cancel(reason) {
        unlink();
        return reader.cancel(reason);
      },
    });
    return new Response(stream, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
