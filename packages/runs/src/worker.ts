/**
 * `startWorker`: executes durable runs from the pg-boss queue, with a concurrency limit, a lease
 * renewed by heartbeats (a killed worker's runs are reaped and retried elsewhere), cancellation,
 * retries with backoff for failures that are not the user's fault, a dead-letter state, event
 * persistence and graceful shutdown.
 * @module
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Agent, AgentResult, SessionStore } from '@mixtape/core';
import type PgBoss from 'pg-boss';
import { Backend, inTx, type RunsOptions, txDb } from './backend.js';
import { failureOf, isRetryableFailure } from './classify.js';
import { driveAgent, type Entry } from './core-compat.js';
import { RunsError } from './errors.js';
import { EventWriter } from './event-writer.js';
import {
  DEFAULT_EVENT_FLUSH_MS,
  DEFAULT_EVENT_RETENTION_MS,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_EVENTS_PER_RUN,
  DEFAULT_MAX_RUN_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_WORKER_CONCURRENCY,
} from './limits.js';
import { endRun, type RunRow } from './rows.js';
import type { RunFailure, RunResult } from './types.js';

/** How often a worker deletes events past their retention (ms); it also does at start. */
export const RETENTION_SWEEP_INTERVAL_MS = 60_000;

/** What the agent factory is told about the run it makes an agent for. */
export interface RunContext {
  threadId: string;
  runId: string;
  /** 1 for the first attempt. */
  attempt: number;
  metadata?: Record<string, unknown>;
}

/**
 * Makes the agent of one attempt. It must use `threadId` as its session id and a session store
 * every worker shares (e.g. `PostgresSessionStore`), so that another worker can continue it.
 */
export type DurableAgentFactory = (run: RunContext) => Agent | Promise<Agent>;

/** Options of {@link startWorker}. */
export type WorkerOptions = RunsOptions & {
  agentFactory: DurableAgentFactory;
  /** The store the agents use (read to decide whether an attempt starts or continues a run). */
  sessionStore: SessionStore;
  /** Runs executed at once (default {@link DEFAULT_WORKER_CONCURRENCY}). */
  concurrency?: number;
  /** Lease of a run without heartbeat (default {@link DEFAULT_LEASE_MS}). */
  leaseMs?: number;
  /** Default grace of {@link Worker.stop} (default {@link DEFAULT_SHUTDOWN_GRACE_MS}). */
  shutdownGraceMs?: number;
  /** Event batching interval (default {@link DEFAULT_EVENT_FLUSH_MS}). */
  eventFlushMs?: number;
  /** Events kept per run (default {@link DEFAULT_MAX_EVENTS_PER_RUN}). */
  maxEventsPerRun?: number;
  /** Events of runs ended longer ago are deleted (default {@link DEFAULT_EVENT_RETENTION_MS}). */
  eventRetentionMs?: number;
  /** This worker's name in leases and events (default: host:pid:random). */
  workerId?: string;
  /** Decides whether a failure is retried (default {@link isRetryableFailure}). */
  isRetryable?: (error: unknown) => boolean;
};

/** A running worker. */
export interface Worker {
  readonly id: string;
  /** Runs executing now. */
  activeRuns(): string[];
  /**
   * Graceful shutdown: takes no new runs, lets the runs in flight finish for `graceMs`, then
   * stops them and hands them back to the queue (another worker continues them from their last
   * persisted step). Resolves when nothing runs.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

type StopReason = 'cancel' | 'handback' | 'lease' | 'timeout';

interface InFlight {
  abort: AbortController;
  reason?: StopReason;
  /** Shutdown asked for a hand-back: the run stops at its next model call (before anything streams). */
  handBackAsked?: boolean;
  done: Promise<void>;
}

/**
 * After the shutdown grace, a run is stopped where stopping loses nothing: as its next model call
 * starts (its last step is persisted, nothing streamed yet). A run still in one step this long
 * after that is stopped wherever it is.
 */
export const HAND_BACK_STEP_WAIT_MS = 30_000;

/** Messages stored in a thread (without loading them when the store reads tails). */
async function messageCount(store: SessionStore, threadId: string): Promise<number> {
  if (store.loadTail) return (await store.loadTail(threadId, { limit: 1 }))?.messageCount ?? 0;
  return (await store.getSession(threadId))?.messages.length ?? 0;
}

/** Starts a worker: resolves once it is taking runs. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  if (typeof options?.agentFactory !== 'function')
    throw new RunsError('config', 'startWorker needs { agentFactory: ({ threadId, runId }) => Agent }.');
  if (!options.sessionStore || typeof options.sessionStore.getSession !== 'function')
    throw new RunsError('config', 'startWorker needs { sessionStore }: the store the agents use.');
  const concurrency = options.concurrency ?? DEFAULT_WORKER_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RunsError('config', 'concurrency must be a positive integer.');
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  if (!(leaseMs >= 300)) throw new RunsError('config', 'leaseMs must be at least 300.');
  const maxRunMs = options.maxRunMs ?? DEFAULT_MAX_RUN_MS;
  const id = options.workerId ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const isRetryable = options.isRetryable ?? isRetryableFailure;
  const backend = new Backend(options, 'startWorker', 'worker');
  const t = backend.tables;
  const store = options.sessionStore;
  await backend.ready();

  const inflight = new Map<string, InFlight>();
  const bossWorkers: string[] = [];
  let stopping = false;

  const stopRun = (runId: string, reason: StopReason) => {
    const f = inflight.get(runId);
    if (!f || f.reason) return;
    f.reason = reason;
    f.abort.abort(
      new Error(
        reason === 'cancel'
          ? 'the run was cancelled'
          : reason === 'handback'
            ? 'the worker is shutting down'
            : reason === 'lease'
              ? 'the worker lost its lease'
              : 'the run took longer than maxRunMs',
      ),
    );
  };

  const offCancel = backend.listener.on(t.cancelChannel, (payload) => {
    if (payload === null) {
      // Reconnected: a cancel may have been missed; the heartbeat reads the flag.
      return;
    }
    if (inflight.has(payload)) stopRun(payload, 'cancel');
  });
  const wakeAll = () => {
    if (!stopping) for (const w of bossWorkers) backend.boss.notifyWorker(w);
  };
  const offQueued = backend.listener.on(t.queuedChannel, wakeAll);

  /** Puts a run back in the queue with a new job (not a failure: no retry is used). */
  async function handBack(runId: string, oldJobId: string, owner: string | null): Promise<void> {
    await inTx(backend.pool, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `UPDATE ${t.runs} SET status = 'queued', owner = NULL, lease_until = NULL, updated_at = now()
         WHERE id = $1 AND job_id = $2 AND ${owner === null ? "status IN ('queued', 'retrying')" : "status = 'running' AND owner = $3"} RETURNING id`,
        owner === null ? [runId, oldJobId] : [runId, oldJobId, owner],
      );
      if (!rows.length) return;
      const jobId = await backend.boss.send(backend.queue, { runId }, { db: txDb(client) });
      await client.query(`UPDATE ${t.runs} SET job_id = $2 WHERE id = $1`, [runId, jobId]);
      await client.query('SELECT pg_notify($1, $2)', [t.queuedChannel, runId]);
    });
  }

  async function claim(runId: string, jobId: string): Promise<(RunRow & { last_seq: number | null }) | null> {
    const { rows } = await backend.pool.query<RunRow & { last_seq: number | null }>(
      `UPDATE ${t.runs} SET status = 'running', attempts = attempts + 1, owner = $2, lease_until = now() + $3 * interval '1 millisecond',
              started_at = COALESCE(started_at, now()), job_id = $4, updated_at = now()
       WHERE id = $1 AND NOT cancel_requested AND (status IN ('queued', 'retrying') OR (status = 'running' AND lease_until < now()))
       RETURNING *, (SELECT max(seq) FROM ${t.events} WHERE run_id = $1) AS last_seq`,
      [runId, id, leaseMs, jobId],
    );
    return rows[0] ?? null;
  }

  /** Decides how this attempt enters the agent: start, resume with answers, or continue. */
  async function entryOf(row: RunRow): Promise<Entry> {
    const input = row.input;
    // core replays or continues an answer set it already applied, so a retried resume sends it again.
    if (input.kind === 'resume') return { kind: 'resume', answers: input.answers };
    const count = await messageCount(store, row.thread_id);
    if (row.base_count === null) {
      await backend.pool.query(`UPDATE ${t.runs} SET base_count = $3 WHERE id = $1 AND owner = $2`, [row.id, id, count]);
      return { kind: 'prompt', prompt: input.prompt };
    }
    // An earlier attempt stored the prompt (and maybe more): continue from the last persisted step.
    return count > row.base_count ? { kind: 'continue' } : { kind: 'prompt', prompt: input.prompt };
  }

  async function execute(row: RunRow & { last_seq: number | null }, job: PgBoss.JobWithMetadata<{ runId: string }>): Promise<void> {
    const runId = row.id;
    const abort = new AbortController();
    let resolveDone!: () => void;
    const f: InFlight = { abort, done: new Promise((r) => (resolveDone = r)) };
    inflight.set(runId, f);
    const writer = new EventWriter(backend.pool, t, runId, id, row.last_seq ?? 0, {
      flushMs: options.eventFlushMs ?? DEFAULT_EVENT_FLUSH_MS,
      maxEvents: options.maxEventsPerRun ?? DEFAULT_MAX_EVENTS_PER_RUN,
    });
    writer.onFenced = () => stopRun(runId, 'lease');
    const heartbeat = setInterval(
      () => {
        backend.pool
          .query<{ cancel_requested: boolean }>(
            `UPDATE ${t.runs} SET lease_until = now() + $3 * interval '1 millisecond' WHERE id = $1 AND owner = $2 RETURNING cancel_requested`,
            [runId, id, leaseMs],
          )
          .then(
            ({ rows }) => {
              if (!rows[0]) stopRun(runId, 'lease');
              else if (rows[0].cancel_requested) stopRun(runId, 'cancel');
            },
            (e) => backend.onError(e), // a missed heartbeat; the next one may get through
          );
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    const deadline = setTimeout(() => stopRun(runId, 'timeout'), Math.max(1000, maxRunMs - 1000));
    const lastAttempt = job.retryCount >= job.retryLimit;
    const end = async (status: RunRow['status'], extra: { result?: RunResult; error?: RunFailure }) => {
      await writer.flush().catch((e) => backend.onError(e)); // the run's end matters more than its last deltas
      await endRun(backend.pool, t, runId, id, { status, ...extra });
    };
    try {
      const entry = await entryOf(row);
      writer.push({ type: 'run_attempt', attempt: row.attempts, workerId: id, continued: entry.kind === 'continue' });
      let result: AgentResult;
      try {
        const agent = await options.agentFactory({
          threadId: row.thread_id,
          runId,
          attempt: row.attempts,
          ...(row.metadata ? { metadata: row.metadata } : {}),
        });
        const off = agent.addHook((e) => {
          writer.push(e);
          // Stopped here, the model call has not streamed anything: the continuation calls it again.
          if (e.type === 'model_call_started' && f.handBackAsked) stopRun(runId, 'handback');
        });
        try {
          // Nobody waits at a worker: approvals become interrupts (the run ends interrupted; its resume is a new run).
          result = await driveAgent(agent, entry, { signal: abort.signal, approvals: 'interrupt', ...(row.input.options ?? {}) });
        } finally {
          off();
        }
      } catch (error) {
        if (f.reason === 'lease') return; // another worker owns the run now
        if (f.reason === 'cancel') return await end('cancelled', { error: { reason: 'Cancelled while running.', kind: 'cancelled' } });
        if (f.reason === 'timeout')
          return await end('failed', { error: { reason: `The attempt ran longer than maxRunMs (${maxRunMs} ms).`, kind: 'timeout' } });
        if (f.reason === 'handback') {
          await writer.flush().catch((e) => backend.onError(e));
          await handBack(runId, job.id, id);
          return;
        }
        const failure = failureOf(error);
        if (!isRetryable(error)) return await end('failed', { error: { ...failure, retryable: false } });
        if (lastAttempt) {
          await end('dead', {
            error: { ...failure, reason: `Gave up after ${row.attempts} attempts: ${failure.reason}`, retryable: true },
          });
          throw error; // the job fails too (its dead-letter copy finds the run ended)
        }
        writer.push({ type: 'run_retry', attempt: row.attempts, reason: failure.reason });
        await writer.flush().catch((e) => backend.onError(e));
        await backend.pool.query(
          `UPDATE ${t.runs} SET status = 'retrying', owner = NULL, lease_until = NULL, error = $3, updated_at = now() WHERE id = $1 AND owner = $2`,
          [runId, id, JSON.stringify({ ...failure, retryable: true })],
        );
        throw error; // pg-boss retries the job after its backoff
      }
      if (f.reason === 'lease') return;
      const interrupted = result.status === 'interrupted';
      await end(interrupted ? 'interrupted' : 'completed', {
        result: {
          status: interrupted ? 'interrupted' : 'completed',
          text: result.text,
          interrupts: result.interrupts,
          usage: result.usage,
          ...(result.cost !== undefined ? { cost: result.cost } : {}),
          steps: result.steps,
          stopReason: result.stopReason,
        },
      });
    } finally {
      clearInterval(heartbeat);
      clearTimeout(deadline);
      writer.dispose();
      inflight.delete(runId);
      resolveDone();
    }
  }

  async function onJob(job: PgBoss.JobWithMetadata<{ runId: string }>): Promise<void> {
    const runId = job.data?.runId;
    if (typeof runId !== 'string') return; // not a run job: nothing to do
    if (stopping) {
      await handBack(runId, job.id, null);
      return;
    }
    const row = await claim(runId, job.id);
    if (!row) return; // ended, cancelled, or held by a live worker
    await execute(row, job);
  }

  /** A dead-letter copy: the run's retries are used up (e.g. its worker died on the last attempt). */
  async function onDead(job: PgBoss.JobWithMetadata<{ runId: string }>): Promise<void> {
    const runId = job.data?.runId;
    if (typeof runId !== 'string') return;
    const output = job.output as { message?: unknown; value?: { message?: unknown } } | null;
    const why =
      typeof output?.message === 'string'
        ? output.message
        : typeof output?.value?.message === 'string'
          ? output.value.message
          : 'its retries were used up';
    await inTx(backend.pool, async (client) => {
      const { rows } = await client.query<RunRow>(`SELECT * FROM ${t.runs} WHERE id = $1 FOR UPDATE`, [runId]);
      const row = rows[0];
      if (!row || row.status === 'running' || !['queued', 'retrying'].includes(row.status)) return;
      await endRun(client, t, runId, null, {
        status: 'dead',
        error: { reason: `Gave up after ${row.attempts} attempts: ${why}`, kind: 'dead_letter', retryable: true },
      });
    });
  }

  /**
   * Runs whose worker stopped renewing its lease go back to the queue (or end, when cancelled);
   * so do jobs a worker fetched but died before it took their run.
   */
  async function reap(): Promise<void> {
    // Jobs active longer than a lease that no live worker holds: fetched by a worker that died
    // before it took the run (retry them), or whose run is over or moved to another job (done).
    const { rows: orphans } = await backend.pool.query<{ id: string; retry: boolean }>(
      `SELECT j.id, (r.status IN ('queued', 'retrying') AND r.job_id = j.id) AS retry
       FROM ${backend.jobTable} j LEFT JOIN ${t.runs} r ON r.id = j.data->>'runId'
       WHERE j.name = $1 AND j.state = 'active' AND j.started_on < now() - $2 * interval '1 millisecond'
         AND (r.id IS NULL OR r.status NOT IN ('running') OR r.job_id IS DISTINCT FROM j.id)
       LIMIT 100`,
      [backend.queue, leaseMs],
    );
    for (const o of orphans) {
      if (o.retry) await backend.boss.fail(backend.queue, o.id, { message: 'its worker stopped before it took the run' });
      else await backend.boss.complete(backend.queue, o.id);
    }
    await inTx(backend.pool, async (client) => {
      const { rows } = await client.query<RunRow>(
        `SELECT * FROM ${t.runs} WHERE status = 'running' AND lease_until < now() FOR UPDATE SKIP LOCKED LIMIT 100`,
      );
      for (const row of rows) {
        if (row.cancel_requested) {
          await endRun(client, t, row.id, row.owner, {
            status: 'cancelled',
            error: { reason: 'Cancelled; its worker stopped.', kind: 'cancelled' },
          });
          if (row.job_id) await backend.boss.cancel(backend.queue, row.job_id, { db: txDb(client) });
          continue;
        }
        await client.query(
          `UPDATE ${t.runs} SET status = 'retrying', owner = NULL, lease_until = NULL, error = $2, updated_at = now() WHERE id = $1`,
          [row.id, JSON.stringify({ reason: `Worker ${row.owner} stopped renewing its lease.`, kind: 'worker_lost', retryable: true })],
        );
        if (row.job_id) await backend.boss.fail(backend.queue, row.job_id, { message: `worker ${row.owner} lost` }, { db: txDb(client) });
      }
    });
  }

  async function sweep(): Promise<void> {
    await backend.pool.query(
      `DELETE FROM ${t.events} e USING ${t.runs} r WHERE e.run_id = r.id AND r.finished_at < now() - $1 * interval '1 millisecond'`,
      [options.eventRetentionMs ?? DEFAULT_EVENT_RETENTION_MS],
    );
  }

  const reaper = setInterval(() => void reap().then(wakeAll, (e) => backend.onError(e)), Math.max(100, Math.floor(leaseMs / 2)));
  const sweeper = setInterval(() => void sweep().catch((e) => backend.onError(e)), RETENTION_SWEEP_INTERVAL_MS);
  sweeper.unref();
  await sweep().catch((e) => backend.onError(e)); // also once at start: a fleet restarted often still sweeps

  for (let i = 0; i < concurrency; i++) {
    let wid = '';
    wid = await backend.boss.work<{ runId: string }>(backend.queue, { batchSize: 1, includeMetadata: true }, async ([job]) => {
      try {
        if (job) await onJob(job);
      } finally {
        // Fetch the next job at once instead of after the polling interval.
        if (!stopping) backend.boss.notifyWorker(wid);
      }
    });
    bossWorkers.push(wid);
  }
  await backend.boss.work<{ runId: string }>(backend.deadLetterQueue, { batchSize: 1, includeMetadata: true }, async ([job]) => {
    if (job) await onDead(job);
  });

  let stopped: Promise<void> | undefined;
  return {
    id,
    activeRuns: () => [...inflight.keys()],
    stop(opts = {}) {
      stopped ??= (async () => {
        stopping = true;
        offQueued();
        await backend.boss.offWork(backend.queue);
        await backend.boss.offWork(backend.deadLetterQueue);
        const grace = opts.graceMs ?? options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
        const all = () => Promise.all([...inflight.values()].map((f) => f.done));
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([all(), new Promise<void>((r) => (timer = setTimeout(r, grace)))]);
        clearTimeout(timer);
        // Hand back at a step boundary (see HAND_BACK_STEP_WAIT_MS); runs that finish meanwhile just finish.
        for (const f of inflight.values()) f.handBackAsked = true;
        const late = setTimeout(() => {
          for (const runId of inflight.keys()) stopRun(runId, 'handback');
        }, HAND_BACK_STEP_WAIT_MS);
        await all();
        clearTimeout(late);
        clearInterval(reaper);
        clearInterval(sweeper);
        offCancel();
        await backend.close();
      })();
      return stopped;
    },
  };
}
