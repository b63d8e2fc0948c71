/**
 * What the runs API and the workers share: the pool, pg-boss (queues created on first use), the
 * runs tables and the LISTEN connection.
 * @module
 */
import pg from 'pg';
import PgBoss from 'pg-boss';
import { RunsError } from './errors.js';
import {
  DEFAULT_BOSS_SCHEMA,
  DEFAULT_DEAD_LETTER_QUEUE,
  DEFAULT_MAX_RUN_MS,
  DEFAULT_POLLING_INTERVAL_SECONDS,
  DEFAULT_QUEUE_NAME,
  DEFAULT_RETRY_DELAY_SECONDS,
  DEFAULT_RETRY_LIMIT,
  DEFAULT_RUNS_POOL_SIZE,
  DEFAULT_RUNS_SCHEMA,
} from './limits.js';
import { Listener } from './listener.js';
import { ensureRunsTables, type RunsTables, runsTables } from './schema.js';

/** Where runs live: a connection string (a pool is made) or a `pg.Pool` you own. */
export type RunsConnection = { connectionString: string; pool?: undefined } | { pool: pg.Pool; connectionString?: undefined };

/** Options shared by {@link createRuns} and {@link startWorker}; give both the same values. */
export type RunsOptions = RunsConnection & {
  /** Schema of the runs tables (default {@link DEFAULT_RUNS_SCHEMA}). */
  schema?: string;
  /** Schema of pg-boss's tables (default {@link DEFAULT_BOSS_SCHEMA}). */
  bossSchema?: string;
  /** Queue name (default {@link DEFAULT_QUEUE_NAME}); the dead-letter queue is `deadLetterQueue`. */
  queue?: string;
  /** Dead-letter queue (default {@link DEFAULT_DEAD_LETTER_QUEUE}). */
  deadLetterQueue?: string;
  /** Retries after failures that are not the user's fault (default {@link DEFAULT_RETRY_LIMIT}). Applies to queues created by this process. */
  retryLimit?: number;
  /** First retry delay in seconds, doubled each retry (default {@link DEFAULT_RETRY_DELAY_SECONDS}). */
  retryDelaySeconds?: number;
  /** Double the delay on each retry, with jitter (default true). */
  retryBackoff?: boolean;
  /** Longest one attempt may run (default {@link DEFAULT_MAX_RUN_MS}). */
  maxRunMs?: number;
  /** pg-boss polling interval when no NOTIFY woke it (default {@link DEFAULT_POLLING_INTERVAL_SECONDS}). */
  pollingIntervalSeconds?: number;
  /** Size of the pool made from `connectionString` (default {@link DEFAULT_RUNS_POOL_SIZE}). */
  poolSize?: number;
  /** Where background errors go (default: console.error). */
  onError?: (error: unknown) => void;
};

/** A pg-boss `db` adapter over one transaction's client. */
export function txDb(client: pg.PoolClient): { executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[] }> } {
  return { executeSql: (text, values) => client.query(text, values) };
}

/** Runs `fn` in a transaction. */
export async function inTx<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {}); // the original error says more
    throw e;
  } finally {
    client.release();
  }
}

/** The shared machinery of one process side. */
export class Backend {
  readonly pool: pg.Pool;
  readonly tables: RunsTables;
  readonly queue: string;
  readonly deadLetterQueue: string;
  /** pg-boss's job table, quoted. */
  readonly jobTable: string;
  readonly boss: PgBoss;
  readonly listener: Listener;
  readonly onError: (error: unknown) => void;
  readonly #owned: boolean;
  readonly #options: RunsOptions;
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(options: RunsOptions, who: string, role: 'client' | 'worker') {
    if (!options || (typeof options.connectionString !== 'string' && !(options.pool instanceof pg.Pool)))
      throw new RunsError(
        'config',
        `${who} needs { connectionString } (e.g. "postgres://user:pass@127.0.0.1:5432/db") or { pool } (a pg.Pool).`,
      );
    this.#options = options;
    // Without an onError, background errors go to standard error: a worker must not lose them.
    // eslint-disable-next-line no-console
    this.onError = options.onError ?? ((e) => console.error('[mixtape/runs]', e));
    if (options.pool) {
      this.pool = options.pool;
      this.#owned = false;
    } else {
      this.pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? DEFAULT_RUNS_POOL_SIZE });
      this.pool.on('error', () => {}); // an idle client lost its connection; the next query gets a new one
      this.#owned = true;
    }
    this.tables = runsTables(options.schema ?? DEFAULT_RUNS_SCHEMA);
    this.queue = options.queue ?? DEFAULT_QUEUE_NAME;
    this.deadLetterQueue = options.deadLetterQueue ?? DEFAULT_DEAD_LETTER_QUEUE;
    this.jobTable = `${pg.escapeIdentifier(options.bossSchema ?? DEFAULT_BOSS_SCHEMA)}.job`;
    this.boss = new PgBoss({
      db: { executeSql: (text: string, values: unknown[]) => this.pool.query(text, values) },
      schema: options.bossSchema ?? DEFAULT_BOSS_SCHEMA,
      // Workers run pg-boss's maintenance (expiry of jobs past maxRunMs, archiving); clients only send.
      supervise: role === 'worker',
      schedule: false,
      migrate: true,
      pollingIntervalSeconds: options.pollingIntervalSeconds ?? DEFAULT_POLLING_INTERVAL_SECONDS,
    });
    this.boss.on('error', (e) => this.onError(e));
    this.listener = new Listener(this.pool, [this.tables.eventsChannel, this.tables.cancelChannel, this.tables.queuedChannel], (e) =>
      this.onError(e),
    );
  }

  /** Creates tables and queues (once) and starts pg-boss and the listener. */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new RunsError('closed', 'This runs client or worker is closed; create a new one.'));
    this.#ready ??= (async () => {
      try {
        await ensureRunsTables(this.pool, this.tables);
        await this.boss.start();
        const o = this.#options;
        await this.boss.createQueue(this.deadLetterQueue, { name: this.deadLetterQueue });
        await this.boss.createQueue(this.queue, {
          name: this.queue,
          policy: 'standard',
          retryLimit: o.retryLimit ?? DEFAULT_RETRY_LIMIT,
          retryDelay: o.retryDelaySeconds ?? DEFAULT_RETRY_DELAY_SECONDS,
          retryBackoff: o.retryBackoff ?? true,
          expireInSeconds: Math.max(1, Math.ceil((o.maxRunMs ?? DEFAULT_MAX_RUN_MS) / 1000)),
          deadLetter: this.deadLetterQueue,
        });
        await this.listener.start();
      } catch (e) {
        this.#ready = undefined;
        throw storageError('starting', e);
      }
    })();
    return this.#ready;
  }

  /** Stops pg-boss and the listener; ends the pool when it was made here. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Closing: a start-up that failed was reported to its own caller; there is nothing more to stop.
    await this.#ready?.catch(() => undefined);
    await this.boss.stop({ graceful: false, close: false, wait: true }).catch((e) => this.onError(e));
    await this.listener.close();
    if (this.#owned) await this.pool.end();
  }
}

/** A PostgreSQL failure as a RunsError of kind `storage`. */
export function storageError(action: string, e: unknown): RunsError {
  if (e instanceof RunsError) return e;
  const code = (e as { code?: string })?.code;
  return new RunsError('storage', `@mixtape/runs: ${action} failed: ${(e as Error)?.message ?? String(e)}${code ? ` (${code})` : ''}`, {
    cause: e,
  });
}
