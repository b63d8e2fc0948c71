/**
 * `SqliteGrantStore`: permission grants and their audit log in SQLite (better-sqlite3).
 * @module
 */
import { resolve } from 'node:path';
import {
  type AuditEntry,
  type AuditFilter,
  type Grant,
  type GrantFilter,
  type GrantInput,
  type GrantStore,
  GrantStoreError,
  grantMatchesFilter,
  AUDIT_COLUMNS,
  GRANT_COLUMNS,
  SQLITE_BINDING,
  auditRowValues,
  grantRowValues,
  normalizeGrant,
  type AuditRow,
  type GrantRow,
  auditEntryFromRow,
  grantFromRow,
} from '@mixtape/core';
import {
  DEFAULT_BUSY_TIMEOUT_MS,
  type Migration,
  SchemaTooNewError,
  type SqliteDatabase,
  openSqliteDatabase,
  runMigrations,
  sqliteAdvice,
} from './database.js';

/** Where the store keeps its database when no path is given, relative to `process.cwd()`. */
export const DEFAULT_GRANTS_DB_PATH = '.mixtape/grants.db';

/** Component name of the grant tables in `schema_migrations`. */
export const GRANT_SCHEMA_COMPONENT = 'grants';

/** Schema of the grant store, in order. */
export const GRANT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'grants and grant_audit tables',
    up(db) {
      db.exec(`
        CREATE TABLE grants (
          id          TEXT PRIMARY KEY,
          tool        TEXT NOT NULL,
          tool_is_pattern INTEGER NOT NULL,
          params_hash TEXT,
          match_json  TEXT,
          effect      TEXT NOT NULL CHECK (effect IN ('allow', 'deny')),
          scope       TEXT NOT NULL CHECK (scope IN ('session', 'project', 'user')),
          session_id  TEXT,
          project     TEXT,
          expires_at  INTEGER,
          created_at  INTEGER NOT NULL,
          seq         INTEGER NOT NULL,
          reason      TEXT,
          created_by  TEXT
        );
        CREATE INDEX grants_tool ON grants (tool);
        CREATE INDEX grants_patterns ON grants (tool_is_pattern) WHERE tool_is_pattern = 1;
        CREATE INDEX grants_session ON grants (session_id) WHERE session_id IS NOT NULL;
        CREATE INDEX grants_seq ON grants (seq);
        CREATE TABLE grant_audit (
          seq         INTEGER PRIMARY KEY AUTOINCREMENT,
          at          INTEGER NOT NULL,
          tool        TEXT NOT NULL,
          tool_use_id TEXT NOT NULL,
          params_hash TEXT NOT NULL,
          decision    TEXT NOT NULL CHECK (decision IN ('granted', 'denied', 'ask')),
          scope       TEXT,
          reason      TEXT,
          actor       TEXT NOT NULL,
          grant_id    TEXT,
          session_id  TEXT,
          project     TEXT
        );
        CREATE INDEX grant_audit_at ON grant_audit (at);
        CREATE INDEX grant_audit_tool ON grant_audit (tool, at);
        CREATE INDEX grant_audit_tool_use ON grant_audit (tool_use_id);
        CREATE INDEX grant_audit_session ON grant_audit (session_id, at) WHERE session_id IS NOT NULL;
      `);
    },
  },
];

/** Options of {@link SqliteGrantStore}. */
export interface SqliteGrantStoreOptions {
  /** How long a write waits for another process's lock (default {@link DEFAULT_BUSY_TIMEOUT_MS}). */
  busyTimeoutMs?: number;
}

/**
 * A {@link GrantStore} in a SQLite database: tables `grants` and `grant_audit` (indexed by tool,
 * session and time), WAL mode and a busy timeout, so several processes can share it. The tables
 * can live in the same database file as the sessions (`SqliteSessionStore`): pass the same path,
 * or an open better-sqlite3 database (then the caller closes it).
 */
export class SqliteGrantStore implements GrantStore {
  /** The database path (`:memory:` for an in-memory database, '(shared)' for a passed database). */
  readonly path: string;
  readonly #db: SqliteDatabase;
  readonly #owned: boolean;
  readonly #busyTimeoutMs: number;

  /**
   * @param pathOrDb database file (default {@link DEFAULT_GRANTS_DB_PATH}; parent folders are
   *   created) or an open better-sqlite3 database.
   * @throws GrantStoreError when the database cannot be opened or was written by a newer Mixtape.
   */
  constructor(pathOrDb: string | SqliteDatabase = DEFAULT_GRANTS_DB_PATH, options: SqliteGrantStoreOptions = {}) {
    this.#busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.#owned = typeof pathOrDb === 'string';
    this.path = typeof pathOrDb === 'string' ? (pathOrDb === ':memory:' ? pathOrDb : resolve(pathOrDb)) : pathOrDb.name;
    let db: SqliteDatabase | undefined;
    try {
      db = typeof pathOrDb === 'string' ? openSqliteDatabase(this.path, { busyTimeoutMs: this.#busyTimeoutMs }) : pathOrDb;
      runMigrations(db, GRANT_SCHEMA_COMPONENT, GRANT_MIGRATIONS);
    } catch (e) {
      if (this.#owned) db?.close();
      if (e instanceof SchemaTooNewError) throw new GrantStoreError('io', `SqliteGrantStore (${this.path}): ${e.message}`, { cause: e });
      throw this.#error('opening the database', e);
    }
    this.#db = db;
  }

  #error(action: string, e: unknown): GrantStoreError {
    const code = (e as { code?: string })?.code;
    const advice = sqliteAdvice(code, this.#busyTimeoutMs);
    return new GrantStoreError(
      'io',
      `SqliteGrantStore (${this.path}): ${action} failed: ${(e as Error)?.message ?? String(e)}${code ? ` (${code})` : ''}.${advice ? ` ${advice}` : ''}`,
      {
        cause: e,
      },
    );
  }

  #run<T>(action: string, work: () => T): T {
    try {
      return work();
    } catch (e) {
      if (e instanceof GrantStoreError) throw e;
      throw this.#error(action, e);
    }
  }

  async save(input: GrantInput): Promise<Grant> {
    const grant = normalizeGrant(input);
    return this.#run('saving a grant', () => {
      this.#db
        .prepare(
          `INSERT OR REPLACE INTO grants (${GRANT_COLUMNS.join(', ')}, seq)
           VALUES (${GRANT_COLUMNS.map(() => '?').join(', ')}, (SELECT COALESCE(MAX(seq), 0) + 1 FROM grants))`,
        )
        .run(grantRowValues(grant, SQLITE_BINDING));
      return grant;
    });
  }

  async list(filter: GrantFilter = {}): Promise<Grant[]> {
    return this.#run('listing grants', () => {
      // SQL narrows the rows (indexes); grantMatchesFilter then applies the exact semantics
      // (tool globs, project paths) shared by every store.
      const where: string[] = [];
      const params: Record<string, unknown> = {};
      if (filter.tool !== undefined) {
        where.push('(tool = @tool OR tool_is_pattern = 1)');
        params.tool = filter.tool;
      }
      if (filter.effect !== undefined) {
        where.push('effect = @effect');
        params.effect = filter.effect;
      }
      if (filter.scope !== undefined) {
        where.push('scope = @scope');
        params.scope = filter.scope;
      }
      if (filter.sessionId !== undefined) {
        where.push('session_id = @sessionId');
        params.sessionId = filter.sessionId;
      }
      if (filter.activeAt !== undefined) {
        where.push('(expires_at IS NULL OR expires_at > @activeAt)');
        params.activeAt = filter.activeAt.getTime();
      }
      const sql = `SELECT * FROM grants${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`;
      const rows = this.#db.prepare(sql).all(params) as GrantRow[];
      return rows.map(grantFromRow).filter((g) => grantMatchesFilter(g, filter));
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.#run('deleting a grant', () => this.#db.prepare('DELETE FROM grants WHERE id = ?').run(id).changes > 0);
  }

  async clear(): Promise<void> {
    this.#run('clearing grants', () => this.#db.prepare('DELETE FROM grants').run());
  }

  async audit(entry: AuditEntry): Promise<void> {
    this.#run('writing the audit log', () =>
      this.#db
        .prepare(`INSERT INTO grant_audit (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')})`)
        .run(auditRowValues(entry, SQLITE_BINDING)),
    );
  }

  async auditLog(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    return this.#run('reading the audit log', () => {
      const where: string[] = [];
      const params: Record<string, unknown> = {};
      const add = (clause: string, key: string, value: unknown) => {
        where.push(clause);
        params[key] = value;
      };
      if (filter.tool !== undefined) add('tool = @tool', 'tool', filter.tool);
      if (filter.toolUseId !== undefined) add('tool_use_id = @toolUseId', 'toolUseId', filter.toolUseId);
      if (filter.decision !== undefined) add('decision = @decision', 'decision', filter.decision);
      if (filter.sessionId !== undefined) add('session_id = @sessionId', 'sessionId', filter.sessionId);
      if (filter.since !== undefined) add('at >= @since', 'since', filter.since.getTime());
      const whereSql = where.length ? ` WHERE ${where.join(' AND ')}` : '';
      let sql = `SELECT * FROM grant_audit${whereSql} ORDER BY seq`;
      if (filter.limit !== undefined) {
        sql = `SELECT * FROM (SELECT * FROM grant_audit${whereSql} ORDER BY seq DESC LIMIT @limit) ORDER BY seq`;
        params.limit = Math.max(0, Math.floor(filter.limit));
      }
      return (this.#db.prepare(sql).all(params) as AuditRow[]).map(auditEntryFromRow);
    });
  }

  async pruneAudit(before: Date): Promise<number> {
    return this.#run('pruning the audit log', () => this.#db.prepare('DELETE FROM grant_audit WHERE at < ?').run(before.getTime()).changes);
  }

  /** Closes the database if this store opened it. */
  async close(): Promise<void> {
    if (this.#owned && this.#db.open) this.#db.close();
  }
}
