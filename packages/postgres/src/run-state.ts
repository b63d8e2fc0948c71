/**
 * Run state (paused runs, calls in flight, thread state) in PostgreSQL: its own table
 * `mixtape_run_state`, one JSON document per session, created on first use by its own migration
 * component. The session tables are not changed.
 * @module
 */
import type pg from 'pg';
import { type RunStateRecord, type SaveRunStateOptions, SessionError, runStateFromJson, runStateToJson } from '@mixtape/core/session';
import { type PostgresMigration, runMigrations, tableName } from './database.js';

/** Migration component name of the run-state table. */
export const RUN_STATE_COMPONENT = 'run_state';

/** Migrations of `mixtape_run_state`. */
export const RUN_STATE_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'mixtape_run_state: one run-state document per session',
    sql: (schema) => `CREATE TABLE IF NOT EXISTS ${tableName(schema, 'run_state')} (
      session_id TEXT PRIMARY KEY REFERENCES ${tableName(schema, 'sessions')}(id) ON DELETE CASCADE,
      version INTEGER NOT NULL,
      status TEXT NOT NULL,
      record JSONB NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`,
  },
];

const ready = new WeakMap<pg.Pool, Map<string, Promise<unknown>>>();

/** Creates the table once per pool and schema (a failed attempt is retried by the next call). */
function ensureTable(pool: pg.Pool, schema: string): Promise<unknown> {
  let bySchema = ready.get(pool);
  if (!bySchema) ready.set(pool, (bySchema = new Map()));
  let p = bySchema.get(schema);
  if (!p) {
    p = runMigrations(pool, schema, RUN_STATE_COMPONENT, RUN_STATE_MIGRATIONS);
    p.catch(() => bySchema.delete(schema)); // retried by the next call
    bySchema.set(schema, p);
  }
  return p;
}

/** The run state of a session, or null. */
export async function loadPostgresRunState(pool: pg.Pool, schema: string, sessionId: string): Promise<RunStateRecord | null> {
  await ensureTable(pool, schema);
  const r = await pool.query<{ record: unknown }>(`SELECT record FROM ${tableName(schema, 'run_state')} WHERE session_id = $1`, [
    sessionId,
  ]);
  return r.rows[0] ? runStateFromJson(r.rows[0].record, sessionId) : null;
}

/**
 * Writes the run state in one statement. With `expectedVersion`, the write applies only when the
 * stored version (0 without a row) equals it; otherwise SessionError 'conflict'. Unknown session → 'not_found'.
 */
export async function savePostgresRunState(
  pool: pg.Pool,
  schema: string,
  sessionId: string,
  record: RunStateRecord,
  opts: SaveRunStateOptions = {},
): Promise<void> {
  await ensureTable(pool, schema);
  const table = tableName(schema, 'run_state');
  const json = JSON.stringify(runStateToJson({ ...record, sessionId }));
  const expected = opts.expectedVersion;
  let written: number;
  try {
    const values = [sessionId, record.version, record.status, json];
    const insert = `INSERT INTO ${table} AS t (session_id, version, status, record, updated_at) VALUES ($1, $2, $3, $4::jsonb, now())`;
    const r =
      expected === undefined
        ? await pool.query(
            `${insert} ON CONFLICT (session_id) DO UPDATE SET version = EXCLUDED.version, status = EXCLUDED.status, record = EXCLUDED.record, updated_at = now()`,
            values,
          )
        : expected === 0
          ? await pool.query(`${insert} ON CONFLICT (session_id) DO NOTHING`, values)
          : await pool.query(
              `UPDATE ${table} SET version = $2, status = $3, record = $4::jsonb, updated_at = now() WHERE session_id = $1 AND version = $5`,
              [...values, expected],
            );
    written = r.rowCount ?? 0;
  } catch (e) {
    if ((e as { code?: string }).code === '23503') throw SessionError.notFound(sessionId);
    throw e;
  }
  if (written === 0) {
    throw new SessionError(
      'conflict',
      `Session ${sessionId}: the run state changed since version ${expected ?? 0} was read (another process wrote it).`,
      { sessionId },
    );
  }
}
