/**
 * `PostgresGrantStore`: permission grants and their audit log in PostgreSQL.
 * @module
 */
import type pg from 'pg';
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
  NATIVE_BINDING,
  auditRowValues,
  grantRowValues,
  normalizeGrant,
  type AuditRow,
  type GrantRow,
  auditEntryFromRow,
  grantFromRow,
} from '@mixtape/core';
import {
  DEFAULT_SCHEMA,
  type PoolHandle,
  type PostgresMigration,
  type PostgresStoreOptions,
  SchemaTooNewError,
  describePgError,
  openPool,
  runMigrations,
  tableName,
} from './database.js';

/** Component name of the grant tables in `mixtape_schema_migrations`. */
export const GRANT_SCHEMA_COMPONENT = 'grants';

/** Schema of the grant store, in order. Append new migrations; never change old ones. */
export const GRANT_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'grants and grant_audit tables',
    sql: (schema) => {
      const grants = tableName(schema, 'grants');
      const audit = tableName(schema, 'grant_audit');
      return `
        CREATE TABLE ${grants} (
          id              TEXT PRIMARY KEY,
          tool            TEXT NOT NULL,
          tool_is_pattern BOOLEAN NOT NULL,
          params_hash     TEXT,
          match_json      JSON,
          effect          TEXT NOT NULL CHECK (effect IN ('allow', 'deny')),
          scope           TEXT NOT NULL CHECK (scope IN ('session', 'project', 'user')),
          session_id      TEXT,
          project         TEXT,
          expires_at      TIMESTAMPTZ,
          created_at      TIMESTAMPTZ NOT NULL,
          seq             BIGSERIAL NOT NULL,  -- save order; a replaced grant moves to the end
          reason          TEXT,
          created_by      TEXT
        );
        CREATE INDEX ON ${grants} (tool);
        CREATE INDEX ON ${grants} (tool_is_pattern) WHERE tool_is_pattern;
        CREATE INDEX ON ${grants} (session_id) WHERE session_id IS NOT NULL;
        CREATE INDEX ON ${grants} (seq);
        CREATE TABLE ${audit} (
          seq         BIGSERIAL PRIMARY KEY,
          at          TIMESTAMPTZ NOT NULL,
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
        CREATE INDEX ON ${audit} (at);
        CREATE INDEX ON ${audit} (tool, at);
        CREATE INDEX ON ${audit} (tool_use_id);
        CREATE INDEX ON ${audit} (session_id, at) WHERE session_id IS NOT NULL;
      `;
    },
  },
];

/** Options of {@link PostgresGrantStore}. */
export type PostgresGrantStoreOptions = PostgresStoreOptions;

/**
 * A {@link GrantStore} in PostgreSQL: tables `mixtape_grants` and `mixtape_grant_audit`
 * (indexed by tool, session and time) in the chosen schema, created by versioned migrations on
 * first use. Every server instance sharing the database sees the same grants: a person who
 * allows a tool for a session on one instance is not asked again on another.
 *
 * ```ts
 * const grantStore = new PostgresGrantStore({ connectionString: process.env.DATABASE_URL! });
 * new Agent({ model, tools, grantStore, interactive: true });
 * ```
 */
export class PostgresGrantStore implements GrantStore {
  readonly schema: string;
  readonly #handle: PoolHandle;
  readonly #grants: string;
  readonly #audit: string;
  #ready: Promise<void> | undefined;
  #closed = false;

  /** Nothing is sent to the server before the first call. @throws GrantStoreError without connection options. */
  constructor(options: PostgresGrantStoreOptions) {
    try {
      this.#handle = openPool(options, 'PostgresGrantStore');
    } catch (e) {
      throw new GrantStoreError('invalid', (e as Error).message, { cause: e });
    }
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    this.#grants = tableName(this.schema, 'grants');
    this.#audit = tableName(this.schema, 'grant_audit');
  }

  /** The pool the store uses. */
  get pool(): pg.Pool {
    return this.#handle.pool;
  }

  /** Creates or upgrades the tables now (otherwise done by the first call). */
  migrate(): Promise<void> {
    this.#ready ??= runMigrations(this.pool, this.schema, GRANT_SCHEMA_COMPONENT, GRANT_MIGRATIONS).then(
      () => undefined,
      (e) => {
        this.#ready = undefined;
        throw e;
      },
    );
    return this.#ready;
  }

  async #run<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      if (this.#closed)
        throw new GrantStoreError('io', `PostgresGrantStore: ${action} failed: the store is closed. Create a new PostgresGrantStore.`);
      await this.migrate();
      return await work();
    } catch (e) {
      if (e instanceof GrantStoreError) throw e;
      const what = e instanceof SchemaTooNewError ? e.message : `${action} failed: ${describePgError(e)}`;
      throw new GrantStoreError('io', `PostgresGrantStore: ${what}`, { cause: e });
    }
  }

  async save(input: GrantInput): Promise<Grant> {
    const grant = normalizeGrant(input);
    return this.#run('saving a grant', async () => {
      await this.pool.query(
        `INSERT INTO ${this.#grants} (${GRANT_COLUMNS.join(', ')})
         VALUES (${GRANT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
         ON CONFLICT (id) DO UPDATE SET tool = EXCLUDED.tool, tool_is_pattern = EXCLUDED.tool_is_pattern, params_hash = EXCLUDED.params_hash,
           match_json = EXCLUDED.match_json, effect = EXCLUDED.effect, scope = EXCLUDED.scope, session_id = EXCLUDED.session_id,
           project = EXCLUDED.project, expires_at = EXCLUDED.expires_at, created_at = EXCLUDED.created_at, reason = EXCLUDED.reason,
           created_by = EXCLUDED.created_by, seq = nextval(pg_get_serial_sequence('${this.#grants.replace(/'/g, "''")}', 'seq'))`,
        grantRowValues(grant, NATIVE_BINDING),
      );
      return grant;
    });
  }

  async list(filter: GrantFilter = {}): Promise<Grant[]> {
    return this.#run('listing grants', async () => {
      // SQL narrows the rows (indexes); grantMatchesFilter then applies the exact semantics
      // (tool globs, project paths) shared by every store.
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (clause: (p: string) => string, value: unknown) => {
        params.push(value);
        where.push(clause(`$${params.length}`));
      };
      if (filter.tool !== undefined) add((p) => `(tool = ${p} OR tool_is_pattern)`, filter.tool);
      if (filter.effect !== undefined) add((p) => `effect = ${p}`, filter.effect);
      if (filter.scope !== undefined) add((p) => `scope = ${p}`, filter.scope);
      if (filter.sessionId !== undefined) add((p) => `session_id = ${p}`, filter.sessionId);
      if (filter.activeAt !== undefined) add((p) => `(expires_at IS NULL OR expires_at > ${p})`, filter.activeAt);
      const { rows } = await this.pool.query<GrantRow>(
        `SELECT * FROM ${this.#grants}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`,
        params,
      );
      return rows.map(grantFromRow).filter((g) => grantMatchesFilter(g, filter));
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.#run(
      'deleting a grant',
      async () => ((await this.pool.query(`DELETE FROM ${this.#grants} WHERE id = $1`, [id])).rowCount ?? 0) > 0,
    );
  }

  async clear(): Promise<void> {
    await this.#run('clearing grants', () => this.pool.query(`DELETE FROM ${this.#grants}`));
  }

  async audit(entry: AuditEntry): Promise<void> {
    await this.#run('writing the audit log', () =>
      this.pool.query(
        `INSERT INTO ${this.#audit} (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
        auditRowValues(entry, NATIVE_BINDING),
      ),
    );
  }

  async auditLog(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    return this.#run('reading the audit log', async () => {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (column: string, op: string, value: unknown) => {
        params.push(value);
        where.push(`${column} ${op} $${params.length}`);
      };
      if (filter.tool !== undefined) add('tool', '=', filter.tool);
      if (filter.toolUseId !== undefined) add('tool_use_id', '=', filter.toolUseId);
      if (filter.decision !== undefined) add('decision', '=', filter.decision);
      if (filter.sessionId !== undefined) add('session_id', '=', filter.sessionId);
      if (filter.since !== undefined) add('at', '>=', filter.since);
      const whereSql = where.length ? ` WHERE ${where.join(' AND ')}` : '';
      let sql = `SELECT * FROM ${this.#audit}${whereSql} ORDER BY seq`;
      if (filter.limit !== undefined) {
        params.push(Math.max(0, Math.floor(filter.limit)));
        sql = `SELECT * FROM (SELECT * FROM ${this.#audit}${whereSql} ORDER BY seq DESC LIMIT $${params.length}) recent ORDER BY seq`;
      }
      return (await this.pool.query<AuditRow>(sql, params)).rows.map(auditEntryFromRow);
    });
  }

  async pruneAudit(before: Date): Promise<number> {
    return this.#run(
      'pruning the audit log',
      async () => (await this.pool.query(`DELETE FROM ${this.#audit} WHERE at < $1`, [before])).rowCount ?? 0,
    );
  }

  /** Closes the pool when the store made it (a pool you passed stays open). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#handle.owned) await this.#handle.pool.end();
  }
}
