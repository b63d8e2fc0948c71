/**
 * Rows of `mixtape_runs` as {@link RunInfo}, and the terminal transition every ending shares.
 * @module
 */
import type pg from 'pg';
import type { RunsTables } from './schema.js';
import type { RunFailure, RunInfo, RunInput, RunResult, RunStatus, StoredEvent } from './types.js';

/** A row of `mixtape_runs`. */
export interface RunRow {
  id: string;
  thread_id: string;
  status: RunStatus;
  input: RunInput;
  metadata: Record<string, unknown> | null;
  job_id: string | null;
  attempts: number;
  base_count: number | null;
  owner: string | null;
  cancel_requested: boolean;
  result: RunResult | null;
  error: RunFailure | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** The public form of a row. */
export function runInfo(row: RunRow): RunInfo {
  return {
    id: row.id,
    threadId: row.thread_id,
    status: row.status,
    input: row.input,
    attempts: row.attempts,
    createdAt: row.created_at,
    ...(row.started_at ? { startedAt: row.started_at } : {}),
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
    ...(row.result ? { result: row.result } : {}),
    ...(row.error ? { error: row.error } : {}),
    ...(row.metadata ? { metadata: row.metadata } : {}),
  };
}

/**
 * Ends a run (inside the caller's transaction): sets the terminal status with its result or
 * error, releases the lease, and appends the `run_ended` event after the run's last event.
 * `owner` fences it to the worker holding the lease (null: only when nobody holds it).
 * Returns false when the run was not in a state this caller may end.
 */
export async function endRun(
  client: pg.PoolClient | pg.Pool,
  t: RunsTables,
  runId: string,
  owner: string | null,
  end: { status: RunStatus; result?: RunResult; error?: RunFailure },
): Promise<boolean> {
  const event: StoredEvent = {
    type: 'run_ended',
    status: end.status,
    ...(end.result ? { result: end.result } : {}),
    ...(end.error ? { error: end.error } : {}),
  };
  const { rows } = await client.query<{ n: string }>(
    `WITH ended AS (
       UPDATE ${t.runs} SET status = $3, result = $4, error = $5, owner = NULL, lease_until = NULL, finished_at = now(), updated_at = now()
       WHERE id = $1 AND status IN ('queued', 'running', 'retrying') AND ${owner === null ? 'owner IS NULL AND $2::text IS NULL' : 'owner = $2'}
       RETURNING id),
     ins AS (
       INSERT INTO ${t.events} (run_id, seq, event)
       SELECT $1, COALESCE((SELECT max(seq) FROM ${t.events} WHERE run_id = $1), 0) + 1, $6 FROM ended RETURNING 1),
     notified AS (SELECT pg_notify($7, $1::text) FROM ins)
     SELECT (SELECT count(*) FROM ended) AS n, (SELECT count(*) FROM notified) AS notified`,
    [
      runId,
      owner,
      end.status,
      end.result ? JSON.stringify(end.result) : null,
      end.error ? JSON.stringify(end.error) : null,
      JSON.stringify(event),
      t.eventsChannel,
    ],
  );
  return Number(rows[0]?.n ?? 0) > 0;
}
