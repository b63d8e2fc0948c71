/**
 * Opening a SQLite database the way every Mixtape store wants it (WAL, foreign keys, busy
 * timeout), running ordered schema migrations, and turning driver errors into messages that
 * say what to do.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';

/** How long a write waits for another process's write lock before failing (milliseconds). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/** Options of {@link openSqliteDatabase}. */
export interface OpenSqliteOptions {
  /** See {@link DEFAULT_BUSY_TIMEOUT_MS}. */
  busyTimeoutMs?: number;
}

/** The better-sqlite3 database type. */
export type SqliteDatabase = Database.Database;

/** True for paths SQLite treats as an in-memory or temporary database. */
function isSpecialPath(path: string): boolean {
  return path === ':memory:' || path === '' || path.startsWith('file:');
}

/**
 * Opens (creating it and its parent folders when needed) a SQLite database with the settings
 * Mixtape relies on: `journal_mode=WAL` (readers never block the writer), `foreign_keys=ON`,
 * `busy_timeout` (a writer waits for another process instead of failing at once) and
 * `synchronous=NORMAL` (durable across process crashes; the safe, fast setting for WAL).
 * Relative paths are resolved against `process.cwd()`. Throws the driver's error.
 */
export function openSqliteDatabase(path: string, options: OpenSqliteOptions = {}): SqliteDatabase {
  const file = isSpecialPath(path) ? path : resolve(path);
  if (!isSpecialPath(path)) mkdirSync(dirname(file), { recursive: true });
  // better-sqlite3's `timeout` option is SQLite's busy_timeout.
  const db = new Database(file, { timeout: Math.max(0, Math.floor(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS)) });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** One schema change. Migrations of a component run in order, each once, in one transaction. */
export interface Migration {
  /** 1, 2, 3… without gaps. */
  version: number;
  /** What it does, recorded in `schema_migrations`. */
  name: string;
  /** Applies the change (runs inside the migration transaction). */
  up(db: SqliteDatabase): void;
}

/** Raised when a database was written by a newer Mixtape than this one. */
export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
  constructor(
    readonly component: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `The database's ${component} schema is version ${found}, newer than this @mixtape/sqlite supports (${supported}). Upgrade @mixtape/sqlite, or open another database file.`,
    );
  }
}

/**
 * Brings a component's tables (e.g. `sessions`) up to the newest migration. The applied
 * versions are recorded in the table `schema_migrations (component, version, name, applied_at)`,
 * so several components (sessions, grants) can share one database file. Runs in an IMMEDIATE
 * transaction: when two processes open a new database at once, one migrates and the other then
 * sees the result. Returns the versions applied now.
 */
export function runMigrations(db: SqliteDatabase, component: string, migrations: readonly Migration[]): number[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`Migrations of ${component} must be numbered 1, 2, 3… in order; found ${m.version} at position ${i + 1}.`);
  });
  const latest = migrations.length;
  const current = (): number => {
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations WHERE component = ?').get(component) as { v: number | null };
    return row.v ?? 0;
  };
  // Fast path without taking the write lock: already up to date.
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (hasTable) {
    const v = current();
    if (v > latest) throw new SchemaTooNewError(component, v, latest);
    if (v === latest) return [];
  }
  const applied: number[] = [];
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      component TEXT NOT NULL,
      version INTEGER NOT NULL,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL,
      PRIMARY KEY (component, version)
    )`);
    const v = current();
    if (v > latest) throw new SchemaTooNewError(component, v, latest);
    const record = db.prepare('INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)');
    for (const m of migrations.slice(v)) {
      m.up(db);
      record.run(component, m.version, m.name, Date.now());
      applied.push(m.version);
    }
  }).immediate();
  return applied;
}

/** Advice for a SQLite error code: what the user can do about it. */
export function sqliteAdvice(code: string | undefined, busyTimeoutMs: number): string {
  if (!code) return '';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return `The database is locked: another connection held its write lock longer than the busy timeout (${busyTimeoutMs} ms). Retry, or raise the busyTimeoutMs option.`;
  if (code.startsWith('SQLITE_READONLY')) return 'The database file or its folder is read-only; check the permissions.';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'SQLite cannot open the file; check that the path is right and its folder is writable.';
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
    return 'The file is not a SQLite database or is damaged; restore it from a backup, or move it away to start a new one.';
  if (code === 'SQLITE_FULL') return 'The disk is full; free some space and retry.';
  if (code.startsWith('SQLITE_IOERR')) return 'The operating system reported an I/O error on the database file; check the disk.';
  if (code.startsWith('SQLITE_CONSTRAINT')) return 'A database constraint was violated; this is a bug in the store, please report it.';
  return '';
}
