/**
 * `createRuns`: start durable runs on threads, read their status and result, stream their
 * events from any instance, cancel them, list a thread's runs.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { Backend, inTx, type RunsOptions, storageError, txDb } from './backend.js';
import type { InterruptAnswer } from './core-compat.js';
import { RunsError } from './errors.js';
import { DEFAULT_EVENT_POLL_MS, DEFAULT_LIST_LIMIT, EVENT_PAGE_SIZE, MAX_RUN_INPUT_BYTES, MAX_THREAD_ID_LENGTH } from './limits.js';
import { endRun, type RunRow, runInfo } from './rows.js';
import { type DurableRunOptions, isTerminal, type RunEvent, type RunInfo, type RunInput, type StoredEvent } from './types.js';

/** Options of {@link Runs.start}. */
export interface StartOptions {
  /** Run options that travel with the job (context, client tools, state). */
  options?: DurableRunOptions;
  /** Free-form JSON kept with the run (e.g. the AG-UI run id). */
  metadata?: Record<string, unknown>;
  /** The run's id (default: a new UUID). An id that exists is refused (`invalid_input`). */
  runId?: string;
}

/** Options of {@link Runs.events}. */
export interface EventsOptions {
  /** Start after this event id (0 or absent: from the first event). */
  after?: number;
  /** Stops the iteration (it ends quietly). */
  signal?: AbortSignal;
}

/** The durable runs API. Every method works from any process that shares the database. */
export interface Runs {
  /** Queues a run of `prompt` on a thread and returns its id at once. A thread with an active run → RunsError `busy`. */
  start(threadId: string, prompt: string, options?: StartOptions): Promise<string>;
  /** Queues a run that resumes the thread's interrupted run with answers (a new run; the interrupted one stays ended). */
  resume(threadId: string, answers: InterruptAnswer[], options?: StartOptions): Promise<string>;
  /** The run, or null when there is none with that id. */
  status(runId: string): Promise<RunInfo | null>;
  /** Waits until the run has ended and resolves with it (status, result or error). Unknown id → `not_found`. */
  result(runId: string, options?: { signal?: AbortSignal }): Promise<RunInfo>;
  /**
   * The run's events in order, from the start or after an event id, live until the run ends
   * (the last event is `run_ended`). Any instance can serve it; each event comes once.
   */
  events(runId: string, options?: EventsOptions): AsyncIterable<RunEvent>;
  /**
   * Cancels a run: a queued or retrying run ends `cancelled` now; a running one is stopped by
   * its worker (the conversation stays valid) and then ends `cancelled`. Returns the run.
   */
  cancel(runId: string): Promise<RunInfo>;
  /** The thread's runs, newest first (at most `limit`, default {@link DEFAULT_LIST_LIMIT}). */
  list(threadId: string, options?: { limit?: number }): Promise<RunInfo[]>;
  /** Closes the connections (and the pool when it was made here). */
  close(): Promise<void>;
}

function checkThreadId(threadId: unknown): string {
  if (typeof threadId !== 'string' || threadId.length === 0 || threadId.length > MAX_THREAD_ID_LENGTH)
    throw new RunsError('invalid_input', `A thread id must be a string of 1 to ${MAX_THREAD_ID_LENGTH} characters (MAX_THREAD_ID_LENGTH).`);
  return threadId;
}

function checkRunId(runId: unknown): string {
  if (typeof runId !== 'string' || runId.length === 0 || runId.length > MAX_THREAD_ID_LENGTH)
    throw new RunsError('invalid_input', `A run id must be a string of 1 to ${MAX_THREAD_ID_LENGTH} characters.`);
  return runId;
}

/** Creates the runs API on PostgreSQL (tables and pg-boss queues are created on first use). */
export function createRuns(options: RunsOptions): Runs {
  const backend = new Backend(options, 'createRuns', 'client');
  const t = backend.tables;

  async function get(runId: string): Promise<RunRow | null> {
    await backend.ready();
    try {
      const { rows } = await backend.pool.query<RunRow>(`SELECT * FROM ${t.runs} WHERE id = $1`, [runId]);
      return rows[0] ?? null;
    } catch (e) {
      throw storageError('reading a run', e);
    }
  }

  /** Resolves when something may have changed for the run (a NOTIFY, a reconnect or `pollMs`). */
  function waiter(runId: string) {
    let wake: (() => void) | undefined;
    let pending = false;
    const off = backend.listener.on(t.eventsChannel, (payload) => {
      if (payload !== null && payload !== runId) return;
      pending = true;
      wake?.();
    });
    return {
      wait(ms: number, signal?: AbortSignal): Promise<void> {
        if (pending) {
          pending = false;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            wake = undefined;
            pending = false;
            resolve();
          };
          const timer = setTimeout(done, ms);
          signal?.addEventListener('abort', done, { once: true });
          wake = done;
        });
      },
      close: off,
    };
  }

  async function enqueue(threadId: string, input: RunInput, opts: StartOptions = {}): Promise<string> {
    checkThreadId(threadId);
    const runId = opts.runId === undefined ? randomUUID() : checkRunId(opts.runId);
    const inputJson = JSON.stringify(input);
    const metadataJson = opts.metadata === undefined ? null : JSON.stringify(opts.metadata);
    if (Buffer.byteLength(inputJson) + Buffer.byteLength(metadataJson ?? '') > MAX_RUN_INPUT_BYTES)
      throw new RunsError('invalid_input', `The run input is larger than ${MAX_RUN_INPUT_BYTES} bytes (MAX_RUN_INPUT_BYTES).`);
    await backend.ready();
    try {
      await inTx(backend.pool, async (client) => {
        await client.query(`INSERT INTO ${t.runs} (id, thread_id, status, input, metadata) VALUES ($1, $2, 'queued', $3, $4)`, [
          runId,
          threadId,
          inputJson,
          metadataJson,
        ]);
        const jobId = await backend.boss.send(backend.queue, { runId }, { db: txDb(client) });
        await client.query(`UPDATE ${t.runs} SET job_id = $2 WHERE id = $1`, [runId, jobId]);
        await client.query('SELECT pg_notify($1, $2)', [t.queuedChannel, runId]);
      });
    } catch (e) {
      const err = e as { code?: string; constraint?: string };
      if (err.code === '23505' && err.constraint === 'mixtape_runs_one_active') {
        const { rows } = await backend.pool
          .query<{ id: string }>(`SELECT id FROM ${t.runs} WHERE thread_id = $1 AND status IN ('queued', 'running', 'retrying')`, [
            threadId,
          ])
          .catch(() => ({ rows: [] }));
        throw new RunsError(
          'busy',
          `Thread ${threadId} already has an active run${rows[0] ? ` (${rows[0].id})` : ''}; wait for it to end or cancel it.`,
          { threadId, ...(rows[0] ? { runId: rows[0].id } : {}) },
        );
      }
      if (err.code === '23505') throw new RunsError('invalid_input', `A run with id ${runId} already exists.`, { runId });
      throw storageError('starting a run', e);
    }
    return runId;
  }

  async function* events(runId: string, opts: EventsOptions = {}): AsyncGenerator<RunEvent> {
    checkRunId(runId);
    let after = opts.after ?? 0;
    if (!Number.isInteger(after) || after < 0)
      throw new RunsError('invalid_input', 'events(runId, { after }) needs a non-negative integer event id.');
    await backend.ready();
    const w = waiter(runId); // listening before the first read: nothing written after it is missed
    try {
      let checked = false;
      for (;;) {
        if (opts.signal?.aborted) return;
        let rows: { seq: number; event: StoredEvent; created_at: Date }[];
        try {
          ({ rows } = await backend.pool.query(
            `SELECT seq, event, created_at FROM ${t.events} WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT ${EVENT_PAGE_SIZE}`,
            [runId, after],
          ));
        } catch (e) {
          throw storageError('reading events', e);
        }
        for (const r of rows) {
          after = r.seq;
          yield { id: r.seq, runId, at: r.created_at, event: r.event };
          if (r.event.type === 'run_ended') return;
        }
        if (rows.length === EVENT_PAGE_SIZE) continue;
        if (!checked || rows.length === 0) {
          const run = await get(runId);
          if (!run) throw new RunsError('not_found', `No run with id ${runId}.`, { runId });
          checked = true;
          // Ended, and its events were removed by retention (or it ended before any was written).
          if (isTerminal(run.status) && rows.length === 0) {
            const { rows: more } = await backend.pool.query(`SELECT 1 FROM ${t.events} WHERE run_id = $1 AND seq > $2 LIMIT 1`, [
              runId,
              after,
            ]);
            if (more.length === 0) return;
            continue;
          }
        }
        await w.wait(DEFAULT_EVENT_POLL_MS, opts.signal);
      }
    } finally {
      w.close();
    }
  }

  return {
    start: (threadId, prompt, opts) => {
      if (typeof prompt !== 'string')
        return Promise.reject(new RunsError('invalid_input', 'start(threadId, prompt) needs a string prompt.'));
      return enqueue(threadId, { kind: 'prompt', prompt, ...(opts?.options ? { options: opts.options } : {}) }, opts);
    },
    resume: (threadId, answers, opts) => {
      if (!Array.isArray(answers))
        return Promise.reject(new RunsError('invalid_input', 'resume(threadId, answers) needs an array of answers.'));
      return enqueue(threadId, { kind: 'resume', answers, ...(opts?.options ? { options: opts.options } : {}) }, opts);
    },
    async status(runId) {
      const row = await get(checkRunId(runId));
      return row ? runInfo(row) : null;
    },
    async result(runId, opts = {}) {
      checkRunId(runId);
      await backend.ready();
      const w = waiter(runId);
      try {
        for (;;) {
          const row = await get(runId);
          if (!row) throw new RunsError('not_found', `No run with id ${runId}.`, { runId });
          if (isTerminal(row.status)) return runInfo(row);
          if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
          await w.wait(DEFAULT_EVENT_POLL_MS, opts.signal);
        }
      } finally {
        w.close();
      }
    },
    events,
    async cancel(runId) {
      checkRunId(runId);
      await backend.ready();
      try {
        await inTx(backend.pool, async (client) => {
          const { rows } = await client.query<RunRow>(`SELECT * FROM ${t.runs} WHERE id = $1 FOR UPDATE`, [runId]);
          const row = rows[0];
          if (!row) throw new RunsError('not_found', `No run with id ${runId}.`, { runId });
          if (isTerminal(row.status)) return;
          await client.query(`UPDATE ${t.runs} SET cancel_requested = true, updated_at = now() WHERE id = $1`, [runId]);
          if (row.status === 'running') {
            await client.query('SELECT pg_notify($1, $2)', [t.cancelChannel, runId]);
            return;
          }
          // Queued or waiting for a retry: nobody holds it; end it here.
          await endRun(client, t, runId, null, {
            status: 'cancelled',
            error: { reason: 'Cancelled before a worker ran it.', kind: 'cancelled' },
          });
          if (row.job_id) await backend.boss.cancel(backend.queue, row.job_id, { db: txDb(client) });
        });
      } catch (e) {
        throw storageError('cancelling a run', e);
      }
      return runInfo((await get(runId))!);
    },
    async list(threadId, opts = {}) {
      checkThreadId(threadId);
      const limit = Math.min(Math.max(1, Math.floor(opts.limit ?? DEFAULT_LIST_LIMIT)), DEFAULT_LIST_LIMIT);
      await backend.ready();
      try {
        const { rows } = await backend.pool.query<RunRow>(
          `SELECT * FROM ${t.runs} WHERE thread_id = $1 ORDER BY created_at DESC, id LIMIT ${limit}`,
          [threadId],
        );
        return rows.map(runInfo);
      } catch (e) {
        throw storageError('listing runs', e);
      }
    },
    close: () => backend.close(),
  };
}
