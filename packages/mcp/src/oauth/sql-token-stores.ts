/**
 * OAuth token stores in SQL databases, for servers: SQLite (a better-sqlite3 `Database`) and
 * PostgreSQL (a `pg` `Pool` or `Client`). They take the driver's handle through a minimal
 * structural type, so @mixtape/mcp depends on no database driver and the store packages
 * (@mixtape/sqlite, @mixtape/postgres) need not depend on @mixtape/mcp.
 * @module
 */
import type { OAuthRecord, OAuthTokenStore } from './token-store.js';
import { OAuthTokenStoreError } from './token-store.js';

/** Name of the table both SQL stores create (one row per server URL). */
export const OAUTH_TOKEN_TABLE = 'mixtape_mcp_oauth';

/** The part of a better-sqlite3 `Database` the SQLite store uses. */
export interface SqliteLike {
  exec(sql: string): unknown;
  prepare(sql: string): { run(...params: unknown[]): unknown; get(...params: unknown[]): unknown };
}

/** The part of a `pg` `Pool` / `Client` the PostgreSQL store uses. */
export interface PostgresLike {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

function parseRecord(json: unknown, where: string): OAuthRecord {
  try {
    return JSON.parse(String(json)) as OAuthRecord;
  } catch (error) {
    throw new OAuthTokenStoreError(`A corrupt OAuth record in ${where}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * OAuth credentials in a SQLite database (table {@link OAUTH_TOKEN_TABLE}, created when missing).
 *
 * @example
 * import Database from 'better-sqlite3';
 * const store = new SqliteOAuthTokenStore(new Database('.mixtape/sessions.db'));
 */
export class SqliteOAuthTokenStore implements OAuthTokenStore {
  readonly #db: SqliteLike;
  constructor(db: SqliteLike) {
    this.#db = db;
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${OAUTH_TOKEN_TABLE} (server_key TEXT PRIMARY KEY, record TEXT NOT NULL, updated_at TEXT NOT NULL)`,
    );
  }
  load(key: string): Promise<OAuthRecord | undefined> {
    const row = this.#db.prepare(`SELECT record FROM ${OAUTH_TOKEN_TABLE} WHERE server_key = ?`).get(key) as { record: string } | undefined;
    return Promise.resolve(row ? parseRecord(row.record, `SQLite table ${OAUTH_TOKEN_TABLE}`) : undefined);
  }
  save(key: string, record: OAuthRecord): Promise<void> {
    const updatedAt = new Date().toISOString();
    this.#db
      .prepare(
        `INSERT INTO ${OAUTH_TOKEN_TABLE} (server_key, record, updated_at) VALUES (?, ?, ?) ON CONFLICT(server_key) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at`,
      )
      .run(key, JSON.stringify({ ...record, updatedAt }), updatedAt);
    return Promise.resolve();
  }
  delete(key: string): Promise<void> {
    this.#db.prepare(`DELETE FROM ${OAUTH_TOKEN_TABLE} WHERE server_key = ?`).run(key);
    return Promise.resolve();
  }
}

/**
 * OAuth credentials in PostgreSQL (table {@link OAUTH_TOKEN_TABLE}, created on first use), shared by
 * every process and host of a deployment.
 *
 * @example
 * import pg from 'pg';
 * const store = new PostgresOAuthTokenStore(new pg.Pool({ connectionString }));
 */
export class PostgresOAuthTokenStore implements OAuthTokenStore {
  readonly #db: PostgresLike;
  #ready: Promise<void> | undefined;
  constructor(db: PostgresLike) {
    this.#db = db;
  }
  #init(): Promise<void> {
    this.#ready ??= this.#db
      .query(
        `CREATE TABLE IF NOT EXISTS ${OAUTH_TOKEN_TABLE} (server_key TEXT PRIMARY KEY, record JSONB NOT NULL, updated_at TIMESTAMPTZ NOT NULL)`,
      )
      .then(() => undefined);
    return this.#ready;
  }
  async load(key: string): Promise<OAuthRecord | undefined> {
    await this.#init();
    const { rows } = await this.#db.query(`SELECT record::text AS record FROM ${OAUTH_TOKEN_TABLE} WHERE server_key = $1`, [key]);
    const row = rows[0] as { record: string } | undefined;
    return row ? parseRecord(row.record, `PostgreSQL table ${OAUTH_TOKEN_TABLE}`) : undefined;
  }
  async save(key: string, record: OAuthRecord): Promise<void> {
    await this.#init();
    const updatedAt = new Date().toISOString();
    await this.#db.query(
      `INSERT INTO ${OAUTH_TOKEN_TABLE} (server_key, record, updated_at) VALUES ($1, $2::jsonb, $3) ON CONFLICT (server_key) DO UPDATE SET record = EXCLUDED.record, updated_at = EXCLUDED.updated_at`,
      [key, JSON.stringify({ ...record, updatedAt }), updatedAt],
    );
  }
  async delete(key: string): Promise<void> {
    await this.#init();
    await this.#db.query(`DELETE FROM ${OAUTH_TOKEN_TABLE} WHERE server_key = $1`, [key]);
  }
}
