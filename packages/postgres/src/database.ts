/**
 * Connecting to PostgreSQL the way every Mixtape store wants it: a `pg` pool (given or made
 * from a connection string), a schema, transactions, ordered schema migrations, and driver
 * errors turned into messages that say what to do.
 * @module
 */
import pg from 'pg';

/** Largest number of connections a store opens when it makes its own pool. */
export const DEFAULT_POOL_SIZE = 10;
/** How long a store waits for a new connection before failing (milliseconds). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Schema the tables live in when none is given. */
export const DEFAULT_SCHEMA = 'public';
/** Prefix of every table a Mixtape store creates (`mixtape_sessions`, `mixtape_messages`…). */
export const TABLE_PREFIX = 'mixtape_';

/** Where a store connects: its own pool from a connection string, or a pool you own. */
export type PostgresConnection = { connectionString: string; pool?: undefined } | { pool: pg.Pool; connectionString?: undefined };

/** Options every PostgreSQL store takes. */
export type PostgresStoreOptions = PostgresConnection & {
  /** Schema of the tables (default {@link DEFAULT_SCHEMA}); created when missing. */
  schema?: string;
  /** Size of the pool the store makes from `connectionString` (default {@link DEFAULT_POOL_SIZE}). */
  poolSize?: number;
};

/** A pool plus whether the store owns it (and so ends it on close). */
export interface PoolHandle {
  pool: pg.Pool;
  owned: boolean;
}

/** Makes (or adopts) the pool of a store. Throws a plain Error when the options are wrong. */
export function openPool(options: PostgresStoreOptions, who: string): PoolHandle {
  if (options?.pool) return { pool: options.pool, owned: false };
  if (typeof options?.connectionString !== 'string' || options.connectionString === '')
    throw new Error(`${who} needs { connectionString } (e.g. "postgres://user:pass@127.0.0.1:5432/db") or { pool } (a pg.Pool).`);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: DEFAULT_CONNECT_TIMEOUT_MS,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener
  // Node would crash the process. The next query simply gets a new connection.
  pool.on('error', () => {});
  return { pool, owned: true };
}

/** `"schema"."mixtape_<name>"`, quoted. */
export function tableName(schema: string, name: string): string {
  return `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(TABLE_PREFIX + name)}`;
}

/** Runs `fn` in a transaction on one pooled connection; rolls back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    // The transaction's own error is what is thrown; a failed ROLLBACK means the connection is gone anyway.
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

/** A 64-bit advisory lock key for a text (PostgreSQL's `hashtextextended`, computed by the server). */
export const ADVISORY_KEY_SQL = 'hashtextextended($1, 0)';

/** One schema change. Migrations of a component run in order, each once, in one transaction. */
export interface PostgresMigration {
  /** 1, 2, 3… without gaps. */
  version: number;
  /** What it does, recorded in `mixtape_schema_migrations`. */
  name: string;
  /** SQL that applies the change, given the schema (runs inside the migration transaction). */
  sql(schema: string): string;
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
      `The database's ${component} schema is version ${found}, newer than this @mixtape/postgres supports (${supported}). Upgrade @mixtape/postgres, or use another schema.`,
    );
  }
}

/**
 * Brings a component's tables up to the newest migration. Applied versions are recorded in
 * `mixtape_schema_migrations (component, version, name, applied_at)`. The whole upgrade runs in
 * one transaction holding an advisory lock, so processes starting at once migrate once: the
 * others wait, then see the result. DDL is transactional in PostgreSQL, so a failed migration
 * leaves nothing behind. Returns the versions applied now.
 */
export async function runMigrations(
  pool: pg.Pool,
  schema: string,
  component: string,
  migrations: readonly PostgresMigration[],
): Promise<number[]> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`Migrations of ${component} must be numbered 1, 2, 3… in order; found ${m.version} at position ${i + 1}.`);
  });
  const latest = migrations.length;
  const table = tableName(schema, 'schema_migrations');
  return inTransaction(pool, async (c) => {
    await c.query(`SELECT pg_advisory_xact_lock(${ADVISORY_KEY_SQL})`, [`mixtape:migrations:${schema}`]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${table} (
      component TEXT NOT NULL,
      version INTEGER NOT NULL,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (component, version)
    )`);
    const { rows } = await c.query<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${table} WHERE component = $1`, [component]);
    const current = rows[0]?.v ?? 0;
    if (current > latest) throw new SchemaTooNewError(component, current, latest);
    const applied: number[] = [];
    for (const m of migrations.slice(current)) {
      await c.query(m.sql(schema));
      await c.query(`INSERT INTO ${table} (component, version, name) VALUES ($1, $2, $3)`, [component, m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** Advice for a `pg` error: what the user can do about it ('' when there is none). */
export function postgresAdvice(e: unknown): string {
  const code = (e as { code?: string })?.code;
  if (!code) return '';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT')
    return 'PostgreSQL cannot be reached: check that the server is running and that the connection string names the right host and port.';
  if (code === '28P01' || code === '28000')
    return 'PostgreSQL refused the credentials: check the user and password in the connection string.';
  if (code === '3D000') return 'The database does not exist: create it (createdb) or fix the connection string.';
  if (code === '42501')
    return 'The database user lacks a privilege the store needs (CREATE on the schema, or access to its tables); grant it or use another schema.';
  if (code === '53300') return 'PostgreSQL has no free connections: lower poolSize, or raise max_connections.';
  if (code === '40001' || code === '40P01') return 'A concurrent transaction conflicted with this one; retry.';
  if (code === '22021' || code === '22P05' || code === '54000')
    return 'PostgreSQL cannot store this text (it contains a NUL character, \\u0000, or is too large); remove the character or send binary data as an image or document block.';
  if (code.startsWith('08') || code === '57P01') return 'The connection to PostgreSQL was lost; retry.';
  return '';
}

/** `message (code). advice` for a driver error. */
export function describePgError(e: unknown): string {
  const code = (e as { code?: string })?.code;
  const advice = postgresAdvice(e);
  const message = e instanceof AggregateError && e.errors.length ? (e.errors[0] as Error).message : ((e as Error)?.message ?? String(e));
  return `${message}${code ? ` (${code})` : ''}.${advice ? ` ${advice}` : ''}`;
}
