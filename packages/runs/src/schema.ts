/**
 * The runs tables: `mixtape_runs` (one row per run; a unique partial index allows one active run
 * per thread) and `mixtape_run_events` (the persisted events of each run, in order).
 * Created idempotently under an advisory lock, so processes starting at once create them once.
 * @module
 */
import pg from 'pg';

/** Names of the runs tables and channels in one schema. */
export interface RunsTables {
  schema: string;
  runs: string;
  events: string;
  /** NOTIFY channel: a run has new events (payload: run id). */
  eventsChannel: string;
  /** NOTIFY channel: a run was asked to stop (payload: run id). */
  cancelChannel: string;
  /** NOTIFY channel: a job was queued (wakes idle workers). */
  queuedChannel: string;
}

/** Table and channel names for a schema. */
export function runsTables(schema: string): RunsTables {
  const q = (name: string) => `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)}`;
  const channel = (name: string) => `mixtape_${name}_${schema}`.slice(0, 63);
  return {
    schema,
    runs: q('mixtape_runs'),
    events: q('mixtape_run_events'),
    eventsChannel: channel('run_events'),
    cancelChannel: channel('run_cancel'),
    queuedChannel: channel('run_queued'),
  };
}

function ddl(t: RunsTables): string {
  return `
    CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(t.schema)};
    CREATE TABLE IF NOT EXISTS ${t.runs} (
      id TEXT PRIMARY KEY,
      thread_id TEXT NOT NULL,
      status TEXT NOT NULL,
      input JSONB NOT NULL,
      metadata JSONB,
      job_id UUID,
      attempts INTEGER NOT NULL DEFAULT 0,
      base_count INTEGER,                -- messages of the thread before the run's first attempt
      owner TEXT,                        -- worker holding the lease
      lease_until TIMESTAMPTZ,
      cancel_requested BOOLEAN NOT NULL DEFAULT false,
      result JSONB,
      error JSONB,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      started_at TIMESTAMPTZ,
      finished_at TIMESTAMPTZ,
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    -- One active run per thread, across every worker and API instance.
    CREATE UNIQUE INDEX IF NOT EXISTS mixtape_runs_one_active ON ${t.runs} (thread_id) WHERE status IN ('queued', 'running', 'retrying');
    CREATE INDEX IF NOT EXISTS mixtape_runs_thread ON ${t.runs} (thread_id, created_at DESC);
    CREATE INDEX IF NOT EXISTS mixtape_runs_lease ON ${t.runs} (lease_until) WHERE status = 'running';
    CREATE INDEX IF NOT EXISTS mixtape_runs_finished ON ${t.runs} (finished_at) WHERE finished_at IS NOT NULL;
    CREATE TABLE IF NOT EXISTS ${t.events} (
      run_id TEXT NOT NULL REFERENCES ${t.runs} (id) ON DELETE CASCADE,
      seq INTEGER NOT NULL,
      event JSONB NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (run_id, seq)
    );
  `;
}

/** Creates the runs tables when missing (idempotent; safe from many processes at once). */
export async function ensureRunsTables(pool: pg.Pool, t: RunsTables): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`mixtape:runs:schema:${t.schema}`]);
    await client.query(ddl(t));
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {}); // the original error says more
    throw e;
  } finally {
    client.release();
  }
}
