/**
 * Run state (paused runs, calls in flight, thread state) in SQLite: its own table
 * `mixtape_run_state`, one JSON document per session, created on first use by its own migration
 * component. The Rust-compatible session tables are not changed.
 * @module
 */
import { type RunStateRecord, type SaveRunStateOptions, SessionError, runStateFromJson, runStateToJson } from '@mixtape/core/session';
import { type Migration, type SqliteDatabase, runMigrations } from './database.js';

/** Migration component name of the run-state table. */
export const RUN_STATE_COMPONENT = 'run_state';

/** Migrations of `mixtape_run_state`. */
export const RUN_STATE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'mixtape_run_state: one run-state document per session',
    up(db) {
      db.exec(`CREATE TABLE IF NOT EXISTS mixtape_run_state (
        session_id TEXT PRIMARY KEY NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        record TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      )`);
    },
  },
];

/** Prepared statements per database (the table is created before they are prepared). */
const statements = new WeakMap<SqliteDatabase, ReturnType<typeof prepare>>();

function prepare(db: SqliteDatabase) {
  return {
    load: db.prepare('SELECT record FROM mixtape_run_state WHERE session_id = ?'),
    session: db.prepare('SELECT 1 FROM sessions WHERE id = ?'),
    version: db.prepare('SELECT version FROM mixtape_run_state WHERE session_id = ?'),
    upsert: db.prepare(
      `INSERT INTO mixtape_run_state (session_id, version, status, record, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (session_id) DO UPDATE SET version = excluded.version, status = excluded.status, record = excluded.record, updated_at = excluded.updated_at`,
    ),
  };
}

/** Creates the table once per database handle, then its statements. */
function sql(db: SqliteDatabase): ReturnType<typeof prepare> {
  let s = statements.get(db);
  if (!s) {
    runMigrations(db, RUN_STATE_COMPONENT, RUN_STATE_MIGRATIONS);
    s = prepare(db);
    statements.set(db, s);
  }
  return s;
}

/** The run state of a session, or null. */
export function loadSqliteRunState(db: SqliteDatabase, sessionId: string): RunStateRecord | null {
  const row = sql(db).load.get(sessionId) as { record: string } | undefined;
  if (!row) return null;
  let json: unknown;
  try {
    json = JSON.parse(row.record);
  } catch (e) {
    throw new SessionError('serialization', `Session ${sessionId}: the stored run state is not JSON (${(e as Error).message}).`, {
      cause: e,
      sessionId,
    });
  }
  return runStateFromJson(json, sessionId);
}

/**
 * Writes the run state in one IMMEDIATE transaction. With `expectedVersion`, the stored version
 * (0 without a row) must equal it, else SessionError 'conflict'. Unknown session → 'not_found'.
 */
export function saveSqliteRunState(db: SqliteDatabase, sessionId: string, record: RunStateRecord, opts: SaveRunStateOptions = {}): void {
  const q = sql(db);
  const json = JSON.stringify(runStateToJson({ ...record, sessionId }));
  db.transaction(() => {
    if (!q.session.get(sessionId)) throw SessionError.notFound(sessionId);
    const row = q.version.get(sessionId) as { version: number } | undefined;
    const current = row?.version ?? 0;
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== current) {
      throw new SessionError(
        'conflict',
        `Session ${sessionId}: the run state is at version ${current}, the caller expected ${opts.expectedVersion} (another process wrote it).`,
        { sessionId },
      );
    }
    q.upsert.run(sessionId, record.version, record.status, json, Date.now());
  }).immediate();
}
