/**
 * Persists a run's events compactly: events are written in batches (one INSERT + NOTIFY per
 * batch, at most every `flushMs`), consecutive text or thinking deltas are merged into one
 * event, and past `maxEvents` deltas are dropped (one `events_truncated` marker says so).
 * Writes are fenced by the run's lease: a worker that lost its lease writes nothing.
 * @module
 */
import type pg from 'pg';
import type { RunsTables } from './schema.js';
import type { StoredEvent } from './types.js';

type Delta = Extract<StoredEvent, { type: 'model_call_streaming' }>;

function isDelta(e: StoredEvent): e is Delta {
  return e.type === 'model_call_streaming';
}

/** Writes one attempt's events. */
export class EventWriter {
  readonly #pool: pg.Pool;
  readonly #tables: RunsTables;
  readonly #runId: string;
  readonly #owner: string;
  readonly #flushMs: number;
  readonly #maxEvents: number;
  #seq: number;
  #buffer: StoredEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #truncated = false;
  #fenced = false;
  #error: unknown;
  /** Called once when a write finds the lease taken by another worker. */
  onFenced: () => void = () => {};

  constructor(
    pool: pg.Pool,
    tables: RunsTables,
    runId: string,
    owner: string,
    lastSeq: number,
    options: { flushMs: number; maxEvents: number },
  ) {
    this.#pool = pool;
    this.#tables = tables;
    this.#runId = runId;
    this.#owner = owner;
    this.#seq = lastSeq;
    this.#flushMs = options.flushMs;
    this.#maxEvents = options.maxEvents;
  }

  /** The id of the last event handed to the database. */
  get lastSeq(): number {
    return this.#seq;
  }

  /** Queues an event (a hook: never throws, never waits). */
  push(event: StoredEvent): void {
    if (this.#fenced) return;
    const last = this.#buffer[this.#buffer.length - 1];
    if (isDelta(event)) {
      if (this.#truncated) return;
      if (last && isDelta(last) && last.kind === event.kind) {
        this.#buffer[this.#buffer.length - 1] = { ...last, delta: last.delta + event.delta, accumulatedLength: event.accumulatedLength };
        return;
      }
      if (this.#seq + this.#buffer.length >= this.#maxEvents) {
        this.#truncated = true;
        this.#buffer.push({ type: 'events_truncated', limit: this.#maxEvents });
        this.#schedule();
        return;
      }
    }
    this.#buffer.push(event);
    this.#schedule();
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch(() => {}); // kept in #error and thrown by the next flush()
    }, this.#flushMs);
  }

  /** Writes what is buffered; resolves when every earlier write is done. Rejects with a write error. */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#buffer;
    this.#buffer = [];
    if (batch.length) {
      const first = this.#seq + 1;
      this.#seq += batch.length;
      this.#writing = this.#writing.then(() => this.#write(first, batch));
    }
    return this.#writing.then(() => {
      if (this.#error) throw this.#error instanceof Error ? this.#error : new Error(String(this.#error));
    });
  }

  async #write(first: number, batch: StoredEvent[]): Promise<void> {
    if (this.#fenced || this.#error) return;
    const seqs = batch.map((_, i) => first + i);
    const data = batch.map((e) => JSON.stringify(e));
    try {
      // Fenced by the lease: FOR SHARE makes a concurrent claim by another worker wait for this write.
      const { rows } = await this.#pool.query<{ n: string }>(
        `WITH lease AS (SELECT 1 FROM ${this.#tables.runs} WHERE id = $1 AND owner = $2 FOR SHARE),
              ins AS (INSERT INTO ${this.#tables.events} (run_id, seq, event)
                      SELECT $1, s.seq, s.event FROM unnest($3::int[], $4::jsonb[]) AS s(seq, event)
                      WHERE EXISTS (SELECT 1 FROM lease) RETURNING 1),
              notified AS (SELECT pg_notify($5, $1::text) FROM (SELECT 1 FROM ins LIMIT 1) AS one)
         SELECT (SELECT count(*) FROM ins) AS n, (SELECT count(*) FROM notified) AS notified`,
        [this.#runId, this.#owner, seqs, data, this.#tables.eventsChannel],
      );
      if (Number(rows[0]?.n ?? 0) === 0) {
        this.#fenced = true;
        this.onFenced();
      }
    } catch (e) {
      this.#error = e;
    }
  }

  /** Stops the timer (buffered events are dropped unless flushed first). */
  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#buffer = [];
  }
}
