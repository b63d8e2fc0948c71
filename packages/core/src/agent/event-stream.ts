/**
 * A push-based async iterable of agent events with the run's result attached.
 * @module
 */
import type { AgentEvent } from '../events.js';

/**
 * The value of `agent.stream()`: iterate it for events; `result` resolves with the run's
 * result (or rejects with its error). Iteration throws the run's error after its last event.
 */
export class EventStream<R> implements AsyncIterable<AgentEvent> {
  private readonly buffer: AgentEvent[] = [];
  private wake?: () => void;
  private done = false;
  private error: unknown;
  private failed = false;
  /** Resolves with the run's result. */
  result!: Promise<R>;

  /** @param onAbandon called when the consumer stops iterating before the run ended. */
  constructor(private readonly onAbandon?: () => void) {}

  /** @internal */
  push(event: AgentEvent): void {
    this.buffer.push(event);
    this.wake?.();
  }

  /** @internal */
  attach(run: Promise<R>): void {
    this.result = run;
    run.then(
      () => {
        this.done = true;
        this.wake?.();
      },
      (error: unknown) => {
        this.failed = true;
        this.error = error;
        this.done = true;
        this.wake?.();
      },
    );
  }

  async *[Symbol.asyncIterator](): AsyncIterator<AgentEvent> {
    // Iterating handles the error; keep an unobserved `result` from being an unhandled rejection.
    this.result.catch(() => {});
    let finished = false;
    try {
      for (;;) {
        while (this.buffer.length) yield this.buffer.shift()!;
        if (this.done) break;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
      finished = true;
    } finally {
      if (!finished && !this.done) this.onAbandon?.();
    }
    if (this.failed) throw this.error;
  }
}
