/**
 * Where a run's AG-UI events go when the run can outlive its response: a run parked on a
 * question ends its response with the interrupt, keeps running, and its later events wait
 * here until the resume's response is attached (or are dropped once nobody can resume it).
 * @module
 */
import type { BaseEvent } from '@ag-ui/core';
import { DEFAULT_MAX_PARKED_EVENTS } from './questions.js';
import type { EventSink } from './run.js';

/** An {@link EventSink} whose response can be let go of and replaced. */
export class RunChannel implements EventSink {
  #sink: EventSink | undefined;
  #buffer: BaseEvent[] = [];
  #dropping = false;
  #released!: Promise<void>;
  #release!: () => void;
  readonly #maxBuffered: number;
  /** Called once when more events than the limit wait for a response. */
  onOverflow: (() => void) | undefined;

  constructor(sink: EventSink, maxBuffered = DEFAULT_MAX_PARKED_EVENTS) {
    this.#sink = sink;
    this.#maxBuffered = maxBuffered;
    this.#arm();
  }

  #arm(): void {
    this.#released = new Promise<void>((resolve) => (this.#release = resolve));
  }

  /** Whether `sink` is the response events go to now. */
  isAttachedTo(sink: EventSink): boolean {
    return this.#sink === sink;
  }

  async write(event: BaseEvent): Promise<void> {
    if (this.#sink) return this.#sink.write(event);
    if (this.#dropping) return;
    this.#buffer.push(event);
    if (this.#buffer.length > this.#maxBuffered) {
      this.drop();
      this.onOverflow?.();
    }
  }

  /** Writes the events that end the current response, then lets the response go; later events wait. */
  async park(events: BaseEvent[]): Promise<void> {
    const sink = this.#sink;
    for (const e of events) await sink?.write(e);
    this.#sink = undefined;
    this.#release();
  }

  /** Resolves when the current response was let go of (the run parked). */
  released(): Promise<void> {
    return this.#released;
  }

  /** Attaches a new response: `preamble`, the events that waited, then the run's events as they come. */
  async attach(sink: EventSink, preamble: BaseEvent[]): Promise<void> {
    this.#arm();
    for (const e of preamble) await sink.write(e);
    // Events written while this flushes join the buffer, so the order is kept.
    while (this.#buffer.length) await sink.write(this.#buffer.shift()!);
    this.#sink = sink;
  }

  /** Nobody will resume the run: what waits and what comes is dropped (the session store keeps the history). */
  drop(): void {
    this.#dropping = true;
    this.#buffer = [];
  }
}
