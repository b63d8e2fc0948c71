/**
 * Closed output: when the reader of stdout goes away (`mixtape run --json hi | head -1`), writes
 * fail with EPIPE. mixtape then stops the run quietly (no stack trace) and exits with 0: the
 * reader has what it wanted.
 * @module
 */

const CLOSED_CODES = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET']);
const controllers = new WeakMap<object, AbortController>();

function controllerOf(stream: object): AbortController {
  let c = controllers.get(stream);
  if (!c) {
    c = new AbortController();
    controllers.set(stream, c);
  }
  return c;
}

/** Aborted once `stream`'s reader has gone away. */
export function outputClosed(stream: object): AbortSignal {
  return controllerOf(stream).signal;
}

/**
 * Watches stdout and stderr: a closed pipe aborts {@link outputClosed} instead of crashing the
 * process with an unhandled 'error' event. Returns a function that stops watching.
 */
export function watchOutput(io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): () => void {
  const stops: (() => void)[] = [];
  for (const stream of new Set([io.stdout, io.stderr])) {
    const onError = (error: NodeJS.ErrnoException) => {
      if (CLOSED_CODES.has(error.code ?? '')) {
        controllerOf(stream).abort(new Error('The output was closed by its reader.'));
        return;
      }
      // Any other write error: nothing more can be shown on this stream; stop the run too.
      controllerOf(stream).abort(error);
    };
    stream.on('error', onError);
    stops.push(() => stream.off('error', onError));
  }
  return () => {
    for (const stop of stops) stop();
  };
}
