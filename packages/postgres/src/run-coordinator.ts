/**
 * `PostgresRunCoordinator`: the per-thread run lock and approval delivery of `@mixtape/server`
 * across processes and hosts that share one PostgreSQL.
 * @module
 */
import pg from 'pg';
import type { PermissionResponse } from '@mixtape/core';
import {
  ADVISORY_KEY_SQL,
  DEFAULT_SCHEMA,
  type PoolHandle,
  type PostgresMigration,
  type PostgresStoreOptions,
  describePgError,
  openPool,
  runMigrations,
  tableName,
} from './database.js';

/** The `component` name of the coordination tables in `mixtape_schema_migrations`. */
export const COORDINATION_SCHEMA_COMPONENT = 'coordination';

/** Migrations of the coordination tables, oldest first. */
export const COORDINATION_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'pending-approvals',
    sql: (schema) => `
      CREATE TABLE ${tableName(schema, 'pending_approvals')} (
        thread_id TEXT NOT NULL,
        proposal_id TEXT NOT NULL,
        backend_pid INTEGER NOT NULL,   -- the LISTEN connection of the instance whose run waits
        info JSON NOT NULL,             -- {proposalId, toolName, toolCallId, params, display?}
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (thread_id, proposal_id)
      );
    `,
  },
];

/** What the server records about a waiting permission request (same shape as `@mixtape/server`'s). */
export interface PostgresPendingApproval {
  proposalId: string;
  toolName: string;
  toolCallId: string;
  params: unknown;
  display?: string;
}

/** Options of {@link PostgresRunCoordinator}. */
export type PostgresRunCoordinatorOptions = PostgresStoreOptions;

/** Raised when the coordinator cannot reach PostgreSQL or was closed. */
export class CoordinatorError extends Error {
  override name = 'CoordinatorError';
}

type Answer = (response: PermissionResponse) => void;

/**
 * Coordinates `@mixtape/server` instances through PostgreSQL (pass it as `coordinator` to
 * `createServer`). It implements the server's `RunCoordinator` interface:
 *
 * - **Run lock**: a session-level advisory lock per thread, held on one dedicated connection
 *   of this instance. A second run of the thread on any instance gets 409. If the instance
 *   dies, its connection closes and PostgreSQL frees its locks: no lease to expire.
 * - **Approvals on any instance**: a paused run stays in the process holding its SSE stream.
 *   It records what it waits for in `mixtape_pending_approvals` (with the process id of its
 *   dedicated connection) and LISTENs on a channel. An approval POST landing on any instance
 *   deletes the row and sends the answer with NOTIFY in one transaction; the waiting instance
 *   hands it to its agent. Rows of dead instances are ignored (their backend is gone).
 *
 * If the dedicated connection breaks while the process lives, its locks and listens are lost;
 * the next call reconnects (runs already going keep running, their approvals can no longer
 * be answered and time out).
 */
export class PostgresRunCoordinator {
  readonly schema: string;
  readonly #handle: PoolHandle;
  readonly #pending: string;
  readonly #channel: string;
  readonly #locked = new Set<string>();
  readonly #waiting = new Map<string, Answer>();
  #conn: Promise<{ client: pg.Client | pg.PoolClient; pid: number }> | undefined;
  #ready: Promise<void> | undefined;
  #closed = false;
  /** Queries on the dedicated connection run one after another (pg 9 drops its implicit queue). */
  #serial: Promise<unknown> = Promise.resolve();

  constructor(options: PostgresRunCoordinatorOptions) {
    this.#handle = openPool(options, 'PostgresRunCoordinator');
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    this.#pending = tableName(this.schema, 'pending_approvals');
    // One channel per schema, so separate deployments in one database do not cross.
    this.#channel = pg.escapeIdentifier(`mixtape_approvals_${this.schema}`.slice(0, 63));
  }

  async tryLock(threadId: string): Promise<{ release(): Promise<void> } | null> {
    if (this.#locked.has(threadId)) return null; // advisory locks are re-entrant within one connection
    this.#locked.add(threadId);
    try {
      const r = await this.#onConnection((client) =>
        client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${ADVISORY_KEY_SQL}) AS ok`, [this.#lockKey(threadId)]),
      );
      if (!r.rows[0]?.ok) {
        this.#locked.delete(threadId);
        return null;
      }
    } catch (e) {
      this.#locked.delete(threadId);
      throw this.#error('taking the run lock', e);
    }
    let held = true;
    return {
      release: async () => {
        if (!held) return;
        held = false;
        try {
          if (this.#conn)
            await this.#onConnection((client) => client.query(`SELECT pg_advisory_unlock(${ADVISORY_KEY_SQL})`, [this.#lockKey(threadId)]));
        } catch {
          // The connection is gone, and with it the lock.
        } finally {
          this.#locked.delete(threadId);
        }
      },
    };
  }

  async expectApproval(threadId: string, info: PostgresPendingApproval, onAnswer: Answer): Promise<() => Promise<void>> {
    const key = JSON.stringify([threadId, info.proposalId]);
    try {
      const { pid } = await this.#connection();
      await this.#migrated();
      this.#waiting.set(key, onAnswer);
      await this.#handle.pool.query(
        `INSERT INTO ${this.#pending} (thread_id, proposal_id, backend_pid, info) VALUES ($1, $2, $3, $4)
         ON CONFLICT (thread_id, proposal_id) DO UPDATE SET backend_pid = EXCLUDED.backend_pid, info = EXCLUDED.info, created_at = now()`,
        [threadId, info.proposalId, pid, JSON.stringify(info)],
      );
      return async () => {
        if (this.#waiting.get(key) !== onAnswer) return;
        this.#waiting.delete(key);
        // Best effort: a row left behind belongs to this backend pid and is swept when the pid is gone.
        await this.#handle.pool
          .query(`DELETE FROM ${this.#pending} WHERE thread_id = $1 AND proposal_id = $2 AND backend_pid = $3`, [
            threadId,
            info.proposalId,
            pid,
          ])
          .catch(() => {});
      };
    } catch (e) {
      this.#waiting.delete(key);
      throw this.#error('recording a pending approval', e);
    }
  }

  async answer(threadId: string, proposalId: string, response: PermissionResponse): Promise<boolean> {
    await this.#migrated();
    const client = await this.#handle.pool.connect();
    try {
      await client.query('BEGIN');
      const r = await client.query<{ live: boolean }>(
        `DELETE FROM ${this.#pending} p WHERE thread_id = $1 AND proposal_id = $2
         RETURNING EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = p.backend_pid) AS live`,
        [threadId, proposalId],
      );
      const live = r.rows[0]?.live === true;
      // Delivered on commit, to every listening instance; the one whose run waits takes it.
      if (live)
        await client.query('SELECT pg_notify($1, $2)', [this.#channel.slice(1, -1), JSON.stringify({ threadId, proposalId, response })]);
      await client.query('COMMIT');
      return live;
    } catch (e) {
      // The transaction's own error is what is thrown; a failed ROLLBACK means the connection is gone anyway.
      await client.query('ROLLBACK').catch(() => {});
      throw this.#error('delivering an approval', e);
    } finally {
      client.release();
    }
  }

  async pendingApprovals(threadId: string): Promise<PostgresPendingApproval[]> {
    await this.#migrated();
    const { rows } = await this.#handle.pool.query<{ info: PostgresPendingApproval }>(
      `SELECT info FROM ${this.#pending} p WHERE thread_id = $1 AND EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = p.backend_pid) ORDER BY created_at`,
      [threadId],
    );
    return rows.map((r) => r.info);
  }

  /** Frees every lock of this instance and closes its connections (the pool too, when the coordinator made it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    // A connection that never opened has nothing to close (its error was thrown to whoever waited for it).
    const conn = await this.#conn?.catch(() => undefined);
    // Free the locks before closing: the server notices a closed connection a moment later.
    if (conn) await this.#onConnection((client) => client.query('SELECT pg_advisory_unlock_all()')).catch(() => {});
    this.#closed = true;
    if (conn) {
      if ('release' in conn.client) conn.client.release(true);
      // Closing: the server drops the session (and its locks) whether or not end() reports an error.
      else await conn.client.end().catch(() => {});
    }
    this.#waiting.clear();
    this.#locked.clear();
    if (this.#handle.owned) await this.#handle.pool.end();
  }

  #onConnection<T>(fn: (client: pg.Client | pg.PoolClient) => Promise<T>): Promise<T> {
    const run = this.#serial.then(async () => fn((await this.#connection()).client));
    // The queue only orders calls: each caller gets its own call's error from `run`.
    this.#serial = run.catch(() => {});
    return run;
  }

  #lockKey(threadId: string): string {
    return `mixtape:run:${this.schema}:${threadId}`;
  }

  #error(action: string, e: unknown): CoordinatorError {
    if (e instanceof CoordinatorError) return e;
    return new CoordinatorError(`PostgresRunCoordinator: ${action} failed: ${describePgError(e)}`, { cause: e });
  }

  #migrated(): Promise<void> {
    this.#ready ??= runMigrations(this.#handle.pool, this.schema, COORDINATION_SCHEMA_COMPONENT, COORDINATION_MIGRATIONS).then(
      () => undefined,
      (e) => {
        this.#ready = undefined;
        throw this.#error('creating its tables', e);
      },
    );
    return this.#ready;
  }

  /** The dedicated connection (advisory locks + LISTEN), connected on first use and after a break. */
  #connection(): Promise<{ client: pg.Client | pg.PoolClient; pid: number }> {
    if (this.#closed) return Promise.reject(new CoordinatorError('PostgresRunCoordinator is closed; create a new one.'));
    this.#conn ??= (async () => {
      await this.#migrated();
      const client = await this.#handle.pool.connect();
      const broken = () => {
        this.#conn = undefined;
        this.#locked.clear();
      };
      client.on('error', broken);
      client.on('end', broken);
      client.on('notification', (msg) => this.#onNotification(msg.payload));
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await client.query(`LISTEN ${this.#channel}`);
      return { client, pid: rows[0]!.pid };
    })().catch((e) => {
      this.#conn = undefined;
      throw this.#error('connecting', e);
    });
    return this.#conn;
  }

  #onNotification(payload: string | undefined): void {
    try {
      const { threadId, proposalId, response } = JSON.parse(payload ?? '') as {
        threadId: string;
        proposalId: string;
        response: PermissionResponse & { expiresAt?: string | Date };
      };
      const key = JSON.stringify([threadId, proposalId]);
      const answer = this.#waiting.get(key);
      if (!answer) return; // another instance's run
      this.#waiting.delete(key);
      if (typeof response.expiresAt === 'string') response.expiresAt = new Date(response.expiresAt);
      answer(response);
    } catch {
      // Not ours, or damaged: nothing waits for it.
    }
  }
}
