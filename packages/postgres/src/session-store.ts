/**
 * `PostgresSessionStore`: sessions in PostgreSQL, for many processes on many hosts.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  type AppendOptions,
  type ConversationSummary,
  type CreateSessionOptions,
  type EncodedMessageRow,
  type LoadTailOptions,
  type Session,
  type SessionMessage,
  type SessionStore,
  type SessionSummary,
  type SessionTail,
  type SessionUsage,
  DEFAULT_MAX_MESSAGE_BYTES,
  SaveTracker,
  SessionError,
  countConflict,
  decodeMessageRow,
  encodeMessageRow,
  partialSaveError,
  sameEncodedRow,
  saveConflict,
  sessionMessageTokens,
  usageFromColumns,
  usageValues,
} from '@mixtape/core/session';
import type { RunStateRecord, SaveRunStateOptions } from '@mixtape/core/session';
import { loadPostgresRunState, savePostgresRunState } from './run-state.js';
import {
  ADVISORY_KEY_SQL,
  DEFAULT_SCHEMA,
  type PoolHandle,
  type PostgresStoreOptions,
  SchemaTooNewError,
  describePgError,
  inTransaction,
  openPool,
  runMigrations,
  tableName,
} from './database.js';
import { POSTGRES_ROW_STYLE, SESSION_MIGRATIONS, SESSION_SCHEMA_COMPONENT } from './session-schema.js';

/** Most messages written by one INSERT statement (PostgreSQL allows 65,535 parameters). */
export const MAX_MESSAGES_PER_INSERT = 1_000;

/** Options of {@link PostgresSessionStore}. */
export type PostgresSessionStoreOptions = PostgresStoreOptions & {
  /** Directory whose newest session `getOrCreateSession` returns (default: `process.cwd()`). */
  directory?: string;
  /** Largest message accepted, in bytes (default {@link DEFAULT_MAX_MESSAGE_BYTES}); a larger one is a `serialization` error and nothing is written. */
  maxMessageBytes?: number;
};

interface SessionRow {
  id: string;
  directory: string;
  created_at: Date;
  updated_at: Date;
  update_seq: string;
  message_count: number;
  title: string | null;
  forked_from: string | null;
  input_tokens: string;
  output_tokens: string;
  cache_read_tokens: string;
  cache_write_tokens: string;
  cost_usd: number;
}

/** A message as the load queries aggregate it: [idx, role, content, tool_calls, tool_results, blocks, epoch ms]. */
/** idx, role, content, tool_calls, tool_results, blocks, ms (and the token estimate, when asked). */
type AggregatedMessage = [number, string, string, string, string, string | null, number, (number | null)?];

/** Encoded columns in the order of the INSERT statements. */
function columnsOf(e: EncodedMessageRow): [string, string, string, string, string | null, Date] {
  return [e.role, e.content, e.toolCalls, e.toolResults, e.blocks, new Date(e.timestampMs)];
}

function sessionOf(row: SessionRow, messages: SessionMessage[]): Session {
  const s: Session = {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    directory: row.directory,
    messages,
    usage: usageFromColumns(row),
  };
  if (row.title !== null) s.title = row.title;
  if (row.forked_from !== null) s.forkedFrom = row.forked_from;
  return s;
}

/**
 * Sessions in PostgreSQL (`pg`), shared safely by many processes on many hosts.
 *
 * - Tables `mixtape_sessions` and `mixtape_messages` in the chosen schema (default `public`),
 *   created and upgraded by versioned migrations (`mixtape_schema_migrations`) on first use;
 *   processes starting at once migrate once (advisory lock).
 * - One row per message, keyed (session_id, idx); the session row keeps the message count, so
 *   `appendMessages` writes only the new rows and never reads the history: turn 10,000 costs
 *   what turn 10 costs.
 * - Every write to a session locks its row (an append: one UPDATE … INSERT statement; a save:
 *   `SELECT … FOR UPDATE` in a transaction): two processes appending to one session at once both
 *   succeed, one after the other, and `expectedCount` turns a lost update into a `conflict` error.
 * - Content is kept exactly: JSON columns keep the text as written (bytes as base64),
 *   timestamps keep milliseconds.
 *
 * Driver errors become SessionError `storage` with the cause and what to do.
 *
 * ```ts
 * const store = new PostgresSessionStore({ connectionString: process.env.DATABASE_URL! });
 * const shared = new PostgresSessionStore({ pool, directory: '/projects/app', schema: 'agents' });
 * ```
 */
export class PostgresSessionStore implements SessionStore {
  /** Directory whose newest session `getOrCreateSession` returns. */
  readonly directory: string;
  /** Schema of the tables. */
  readonly schema: string;
  /** Largest message accepted, in bytes. */
  readonly maxMessageBytes: number;
  readonly #handle: PoolHandle;
  readonly #t: { sessions: string; messages: string; summaries: string };
  readonly #tracker = new SaveTracker({ wrap: true });
  #ready: Promise<void> | undefined;
  #closed = false;

  /**
   * Prepares the store; nothing is sent to the server until the first call, which creates or
   * upgrades the tables. Throws SessionError `storage` when neither `connectionString` nor
   * `pool` is given.
   */
  constructor(options: PostgresSessionStoreOptions) {
    try {
      this.#handle = openPool(options, 'PostgresSessionStore');
    } catch (e) {
      throw new SessionError('storage', (e as Error).message, { cause: e });
    }
    this.directory = options.directory ?? process.cwd();
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#t = {
      sessions: tableName(this.schema, 'sessions'),
      messages: tableName(this.schema, 'messages'),
      summaries: tableName(this.schema, 'conversation_summaries'),
    };
  }

  /** The pool the store uses (yours when you passed `pool`). */
  get pool(): pg.Pool {
    return this.#handle.pool;
  }

  /** Creates or upgrades the tables now (otherwise done by the first call). */
  async migrate(): Promise<void> {
    this.#ready ??= runMigrations(this.pool, this.schema, SESSION_SCHEMA_COMPONENT, SESSION_MIGRATIONS).then(
      () => undefined,
      (e) => {
        this.#ready = undefined; // a later call retries (e.g. the server was still starting)
        throw e;
      },
    );
    return this.#ready;
  }

  async getOrCreateSession(): Promise<Session> {
    return this.#run('getOrCreateSession', undefined, async () => {
      const newest = await this.#newest();
      if (newest) {
        const s = await this.#load(newest);
        if (s) return s;
      }
      return (await this.#load(await this.#newestOrNew()))!;
    });
  }

  /** The id getOrCreateSession would return, without loading the messages. */
  async getOrCreateSessionId(): Promise<string> {
    return this.#run('getOrCreateSessionId', undefined, async () => (await this.#newest()) ?? (await this.#newestOrNew()));
  }

  async #newest(): Promise<string | undefined> {
    const r = await this.pool.query<{ id: string }>(
      `SELECT id FROM ${this.#t.sessions} WHERE directory = $1 ORDER BY update_seq DESC LIMIT 1`,
      [this.directory],
    );
    return r.rows[0]?.id;
  }

  /**
   * The newest session of the directory, created when there is none. Processes starting at once
   * in one directory share one new session: the check and the insert run under an advisory lock.
   */
  #newestOrNew(): Promise<string> {
    return inTransaction(this.pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(${ADVISORY_KEY_SQL})`, [`mixtape:sessions:${this.schema}:${this.directory}`]);
      const again = await c.query<{ id: string }>(
        `SELECT id FROM ${this.#t.sessions} WHERE directory = $1 ORDER BY update_seq DESC LIMIT 1`,
        [this.directory],
      );
      return again.rows[0]?.id ?? (await this.#insertSession(c, {}));
    });
  }

  async createSession(opts: CreateSessionOptions = {}): Promise<Session> {
    return this.#run('createSession', opts.id, async () => {
      const id = await inTransaction(this.pool, (c) => this.#insertSession(c, opts));
      return (await this.#load(id))!;
    });
  }

  async getSession(id: string): Promise<Session | null> {
    return this.#run('getSession', id, () => this.#load(id));
  }

  /**
   * Persists the session's messages (and its title, when set); `updatedAt` becomes now.
   *
   * For a session this store returned (or saved), only the messages from the first changed one
   * on are encoded and written — the cost of what changed, whatever the session's length — and
   * a session that another writer changed since is a `conflict` unless nothing stored would be
   * replaced or removed. For any other object, the stored rows are compared to find the first
   * difference. Unknown id → `not_found`.
   */
  async saveSession(session: Session): Promise<void> {
    return this.#run('saveSession', session.id, async () => {
      const id = session.id;
      const plan = this.#tracker.plan(session);
      if (plan.tracked === 'partial') throw partialSaveError(id, plan.start);
      // The store's own reads go to the array behind a tracking view (they are not the caller's).
      const messages = this.#tracker.messagesOf(session);
      const encodeFrom = (from: number) => messages.slice(from).map((m, i) => this.#encode(m, id, from + i));
      let written = 0;
      const seq = await inTransaction(this.pool, async (c) => {
        const head = await this.#lock(c, id);
        let from: number;
        let encoded: EncodedMessageRow[];
        if (plan.tracked && head.seq === plan.version) {
          from = plan.firstChange;
          encoded = encodeFrom(from);
        } else {
          const all = encodeFrom(0);
          const same = await this.#commonPrefix(c, id, all);
          // A copy loaded before another writer's change may only add after what is stored.
          if (plan.tracked && same < head.count) throw saveConflict(id);
          from = same;
          encoded = all.slice(from);
        }
        if (from < head.count) await c.query(`DELETE FROM ${this.#t.messages} WHERE session_id = $1 AND idx >= $2`, [id, from]);
        await this.#insertMessages(c, id, from, encoded);
        written = from;
        return this.#touch(c, id, messages.length, session.title);
      });
      if (plan.tracked) this.#tracker.saved(session, seq, Math.min(written, plan.firstChange));
      else this.#tracker.rememberSaved(session, seq);
    });
  }

  /**
   * Appends messages after the last stored one, in ONE statement (one round trip): an UPDATE
   * of the session row bumps its message count (taking the row lock, so concurrent appends to a
   * session queue up) and the INSERT numbers the new rows from the old count; the history is
   * never read. With `expectedCount`, the UPDATE only matches when the stored count is that
   * number: otherwise nothing is written and the append is a `conflict`.
   */
  async appendMessages(id: string, messages: SessionMessage[], opts: AppendOptions = {}): Promise<void> {
    return this.#run('appendMessages', id, async () => {
      const encoded = messages.map((m, i) => this.#encode(m, id, i));
      if (encoded.length === 0 || encoded.length > MAX_MESSAGES_PER_INSERT) {
        // Nothing to insert, or a batch too large for one statement: the general path.
        await inTransaction(this.pool, async (c) => {
          const count = (await this.#lock(c, id)).count;
          this.#checkExpected(id, count, opts.expectedCount);
          await this.#insertMessages(c, id, count, encoded);
          await this.#touch(c, id, count + encoded.length);
        });
        return;
      }
      const columns = encoded.map(columnsOf);
      const column = (k: number) => columns.map((m) => m[k]);
      const r = await this.pool.query<{ idx: number }>(
        `WITH u AS (
           UPDATE ${this.#t.sessions} SET message_count = message_count + $2, updated_at = $3, update_seq = nextval('${this.#seq()}')
           WHERE id = $1 AND ($4::int IS NULL OR message_count = $4::int)
           RETURNING message_count - $2 AS start
         )
         INSERT INTO ${this.#t.messages} (session_id, idx, role, content, tool_calls, tool_results, blocks, timestamp)
         SELECT $1, u.start + v.ord::int - 1, v.role, v.content, v.tool_calls, v.tool_results, v.blocks, v.ts
         FROM u, unnest($5::text[], $6::text[], $7::json[], $8::json[], $9::json[], $10::timestamptz[]) WITH ORDINALITY AS v(role, content, tool_calls, tool_results, blocks, ts, ord)
         RETURNING idx`,
        [id, encoded.length, new Date(), opts.expectedCount ?? null, column(0), column(1), column(2), column(3), column(4), column(5)],
      );
      if (r.rowCount === 0) {
        // Nothing matched: the session is missing, or holds another number of messages.
        const found = await this.pool.query<{ message_count: number }>(`SELECT message_count FROM ${this.#t.sessions} WHERE id = $1`, [id]);
        if (!found.rows[0]) throw SessionError.notFound(id);
        this.#checkExpected(id, found.rows[0].message_count, opts.expectedCount);
        throw new SessionError('storage', `PostgresSessionStore: appendMessages to ${id} wrote nothing; retry.`, { sessionId: id });
      }
    });
  }

  async listSessions(): Promise<SessionSummary[]> {
    return this.#run('listSessions', undefined, async () => {
      const { rows } = await this.pool.query<SessionRow>(`SELECT * FROM ${this.#t.sessions} ORDER BY update_seq DESC`);
      return rows.map((r) => {
        const s: SessionSummary = {
          id: r.id,
          directory: r.directory,
          messageCount: r.message_count,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
          usage: usageFromColumns(r),
        };
        if (r.title !== null) s.title = r.title;
        return s;
      });
    });
  }

  async deleteSession(id: string): Promise<void> {
    return this.#run('deleteSession', id, async () => {
      const r = await this.pool.query(`DELETE FROM ${this.#t.sessions} WHERE id = $1`, [id]);
      if (r.rowCount === 0) throw SessionError.notFound(id);
    });
  }

  async renameSession(id: string, title: string): Promise<void> {
    return this.#run('renameSession', id, async () => {
      const r = await this.pool.query(
        `UPDATE ${this.#t.sessions} SET title = $1, updated_at = $2, update_seq = nextval('${this.#seq()}') WHERE id = $3`,
        [String(title), new Date(), id],
      );
      if (r.rowCount === 0) throw SessionError.notFound(id);
    });
  }

  async recordUsage(id: string, usage: Partial<SessionUsage>): Promise<void> {
    return this.#run('recordUsage', id, async () => {
      const r = await this.pool.query(
        `UPDATE ${this.#t.sessions} SET input_tokens = input_tokens + $1, output_tokens = output_tokens + $2,
         cache_read_tokens = cache_read_tokens + $3, cache_write_tokens = cache_write_tokens + $4, cost_usd = cost_usd + $5 WHERE id = $6`,
        [...usageValues(usage), id],
      );
      if (r.rowCount === 0) throw SessionError.notFound(id);
    });
  }

  /**
   * The newest `limit` messages, the message count, usage totals and the stored summary, in one
   * statement (one snapshot); its cost does not grow with the session's length. Unknown id → null.
   */
  async loadTail(id: string, opts: LoadTailOptions): Promise<SessionTail | null> {
    return this.#run('loadTail', id, async () => {
      const limit = Math.max(1, Math.floor(opts.limit));
      const byTokens = opts.maxTokens !== undefined && opts.maxTokens > 0;
      // With maxTokens: the newest rows whose estimates (stored, or a low guess from the text's size
      // for rows no resume has read yet: rather a few rows too many) reach it, found by a running sum from the newest row that stops there.
      const start = byTokens
        ? `LEAST(GREATEST(s.message_count - $2, 0), COALESCE((
             SELECT t.idx FROM (
               SELECT m.idx, SUM(COALESCE(m.tokens, octet_length(m.content) / 8 + 4))
                        OVER (ORDER BY m.idx DESC ROWS UNBOUNDED PRECEDING) AS run
               FROM ${this.#t.messages} m WHERE m.session_id = s.id ORDER BY m.idx DESC) t
             WHERE t.run >= $3 LIMIT 1), 0))`
        : 'GREATEST(s.message_count - $2, 0)';
      const { rows } = await this.pool.query<
        SessionRow & {
          start: number;
          messages: AggregatedMessage[];
          through_idx: number | null;
          summary_text: string | null;
          summary_at: Date | null;
          summary_model: string | null;
        }
      >(
        `SELECT s.*, st.start, ${this.#messagesJson('m.idx >= st.start', byTokens)} AS messages,
                sm.through_idx, sm.text AS summary_text, sm.created_at AS summary_at, sm.model AS summary_model
         FROM ${this.#t.sessions} s CROSS JOIN LATERAL (SELECT ${start} AS start) st
         LEFT JOIN ${this.#t.summaries} sm ON sm.session_id = s.id WHERE s.id = $1`,
        byTokens ? [id, limit, Math.ceil(opts.maxTokens!)] : [id, limit],
      );
      const row = rows[0];
      if (!row) return null;
      const messages = this.#decodeAll(row.messages, id);
      const session = sessionOf(row, messages);
      this.#tracker.remember(session, row.update_seq, row.start);
      const tail: SessionTail = { session, start: row.start, messageCount: row.message_count };
      if (byTokens) {
        const missing: { idx: number; tokens: number }[] = [];
        tail.tokens = messages.map((m, i) => {
          const [idx, , , , , , , stored] = row.messages[i]!;
          if (typeof stored === 'number') return stored;
          const tokens = sessionMessageTokens(m);
          missing.push({ idx, tokens });
          return tokens;
        });
        if (missing.length > 0) await this.#storeEstimates(id, row.update_seq, missing);
      }
      if (row.through_idx !== null && row.summary_text !== null && row.through_idx <= row.message_count) {
        tail.summary = { text: row.summary_text, throughIndex: row.through_idx, createdAt: row.summary_at! };
        if (row.summary_model !== null) tail.summary.model = row.summary_model;
      }
      return tail;
    });
  }

  /** Keeps the token estimates a resume counted, unless the session changed since it read them. */
  async #storeEstimates(id: string, seq: string, estimated: readonly { idx: number; tokens: number }[]): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.#t.messages} m SET tokens = v.tokens FROM unnest($2::int[], $3::int[]) AS v(idx, tokens)
       WHERE m.session_id = $1 AND m.idx = v.idx AND m.tokens IS NULL AND (SELECT update_seq FROM ${this.#t.sessions} WHERE id = $1) = $4`,
      [id, estimated.map((e) => e.idx), estimated.map((e) => e.tokens), seq],
    );
  }

  /** Stores (replaces) the summary of the session's oldest messages. Unknown id → `not_found`. */
  async saveConversationSummary(id: string, summary: ConversationSummary): Promise<void> {
    return this.#run('saveConversationSummary', id, async () => {
      if (!Number.isInteger(summary.throughIndex) || summary.throughIndex < 0)
        throw new SessionError(
          'serialization',
          `Session ${id}: a summary's throughIndex must be a whole number ≥ 0, got ${summary.throughIndex}.`,
          { sessionId: id },
        );
      const r = await this.pool.query(
        `INSERT INTO ${this.#t.summaries} (session_id, through_idx, text, created_at, model)
         SELECT id, $2, $3, $4, $5 FROM ${this.#t.sessions} WHERE id = $1
         ON CONFLICT (session_id) DO UPDATE SET through_idx = excluded.through_idx, text = excluded.text, created_at = excluded.created_at, model = excluded.model`,
        [id, summary.throughIndex, String(summary.text), summary.createdAt, summary.model ?? null],
      );
      if (r.rowCount === 0) throw SessionError.notFound(id);
    });
  }

  /** The session's run state (see `RunStateRecord` in @mixtape/core), kept in `mixtape_run_state`. */
  async loadRunState(sessionId: string): Promise<RunStateRecord | null> {
    return this.#run('loadRunState', sessionId, () => loadPostgresRunState(this.pool, this.schema, sessionId));
  }

  /** Stores the session's run state; a stale `expectedVersion` → `conflict`. */
  async saveRunState(sessionId: string, record: RunStateRecord, opts?: SaveRunStateOptions): Promise<void> {
    return this.#run('saveRunState', sessionId, () => savePostgresRunState(this.pool, this.schema, sessionId, record, opts));
  }

  /**
   * Closes the pool when the store made it (a pool you passed stays open). Later calls fail
   * with a `storage` error; closing twice is fine.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#handle.owned) await this.#handle.pool.end();
  }

  // ---- internals ------------------------------------------------------------------------

  async #run<T>(action: string, sessionId: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      if (this.#closed)
        throw new SessionError(
          'storage',
          `PostgresSessionStore: ${action} failed: the store is closed. Create a new PostgresSessionStore.`,
        );
      await this.migrate();
      return await fn();
    } catch (e) {
      if (e instanceof SessionError) throw e;
      const what = e instanceof SchemaTooNewError ? e.message : `${action} failed: ${describePgError(e)}`;
      throw new SessionError('storage', `PostgresSessionStore: ${what}`, { cause: e, ...(sessionId !== undefined ? { sessionId } : {}) });
    }
  }

  #seq(): string {
    return tableName(this.schema, 'session_update_seq').replace(/'/g, "''");
  }

  #checkExpected(id: string, count: number, expected: number | undefined): void {
    if (expected !== undefined && expected !== count) throw countConflict(id, count, expected);
  }

  #encode(m: SessionMessage, sessionId: string, position: number): EncodedMessageRow {
    return encodeMessageRow(m, { sessionId, position, ...POSTGRES_ROW_STYLE, maxBytes: this.maxMessageBytes });
  }

  /** Locks the session row for this transaction; its message count and version. not_found when absent. */
  async #lock(c: pg.PoolClient, id: string): Promise<{ count: number; seq: string }> {
    const r = await c.query<{ message_count: number; update_seq: string }>(
      `SELECT message_count, update_seq FROM ${this.#t.sessions} WHERE id = $1 FOR UPDATE`,
      [id],
    );
    if (!r.rows[0]) throw SessionError.notFound(id);
    return { count: r.rows[0].message_count, seq: r.rows[0].update_seq };
  }

  /** Number of leading stored rows equal to the given ones. */
  async #commonPrefix(c: pg.PoolClient, id: string, encoded: EncodedMessageRow[]): Promise<number> {
    const stored = await c.query<{
      idx: number;
      role: string;
      content: string;
      tool_calls: string;
      tool_results: string;
      blocks: string | null;
      ms: string;
    }>(
      `SELECT idx, role, content, tool_calls::text AS tool_calls, tool_results::text AS tool_results, blocks::text AS blocks,
              round(extract(epoch FROM timestamp) * 1000) AS ms
       FROM ${this.#t.messages} WHERE session_id = $1 ORDER BY idx`,
      [id],
    );
    let same = 0;
    const limit = Math.min(stored.rows.length, encoded.length);
    while (same < limit) {
      const r = stored.rows[same]!;
      const row: EncodedMessageRow = {
        role: r.role,
        content: r.content,
        toolCalls: r.tool_calls,
        toolResults: r.tool_results,
        blocks: r.blocks,
        timestampMs: Number(r.ms),
      };
      if (!sameEncodedRow(row, encoded[same]!)) break;
      same++;
    }
    return same;
  }

  /** Sets the count, title (when given) and a new version; returns the version. */
  async #touch(c: pg.PoolClient, id: string, count: number, title?: string): Promise<string> {
    const r = await c.query<{ update_seq: string }>(
      `UPDATE ${this.#t.sessions} SET updated_at = $1, update_seq = nextval('${this.#seq()}'), message_count = $2, title = COALESCE($3, title) WHERE id = $4
       RETURNING update_seq`,
      [new Date(), count, title ?? null, id],
    );
    return r.rows[0]!.update_seq;
  }

  /** SQL of a JSON array of the session's messages matching a condition on `m`, in order. */
  #messagesJson(where: string, tokens = false): string {
    return `COALESCE((
         SELECT json_agg(json_build_array(m.idx, m.role, m.content, m.tool_calls::text, m.tool_results::text, m.blocks::text,
                                          round(extract(epoch FROM m.timestamp) * 1000)${tokens ? ', m.tokens' : ''}) ORDER BY m.idx)
         FROM ${this.#t.messages} m WHERE m.session_id = s.id AND ${where}), '[]')`;
  }

  #decodeAll(messages: AggregatedMessage[], id: string): SessionMessage[] {
    return messages.map(([idx, role, content, toolCalls, toolResults, blocks, ms]) =>
      decodeMessageRow({ idx, role, content, toolCalls, toolResults, blocks, timestampMs: Number(ms) }, id, this.#t.messages),
    );
  }

  async #insertMessages(c: pg.PoolClient, id: string, from: number, encoded: EncodedMessageRow[]): Promise<void> {
    for (let start = 0; start < encoded.length; start += MAX_MESSAGES_PER_INSERT) {
      const chunk = encoded.slice(start, start + MAX_MESSAGES_PER_INSERT);
      const values: unknown[] = [id];
      const tuples = chunk.map((m, i) => {
        const p = values.length;
        values.push(from + start + i, ...columnsOf(m));
        return `($1, $${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7})`;
      });
      await c.query(
        `INSERT INTO ${this.#t.messages} (session_id, idx, role, content, tool_calls, tool_results, blocks, timestamp) VALUES ${tuples.join(', ')}`,
        values,
      );
    }
  }

  async #insertSession(c: pg.PoolClient, opts: CreateSessionOptions): Promise<string> {
    const id = opts.id ?? randomUUID();
    const encoded = (opts.messages ?? []).map((m, i) => this.#encode(m, id, i));
    const now = new Date();
    const createdAt = opts.createdAt && !Number.isNaN(opts.createdAt.getTime()) ? opts.createdAt : now;
    const r = await c.query(
      `INSERT INTO ${this.#t.sessions} (id, directory, created_at, updated_at, message_count, title, forked_from)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
      [id, opts.directory ?? this.directory, createdAt, now, encoded.length, opts.title ?? null, opts.forkedFrom ?? null],
    );
    if (r.rowCount === 0)
      throw new SessionError('conflict', `A session with id ${id} already exists; import it with a new id instead.`, { sessionId: id });
    await this.#insertMessages(c, id, 0, encoded);
    return id;
  }

  async #load(id: string): Promise<Session | null> {
    // One statement (one round trip, one consistent snapshot): the session row and its
    // messages, aggregated in order. JSON columns come back as their exact text.
    const { rows } = await this.pool.query<SessionRow & { messages: AggregatedMessage[] }>(
      `SELECT s.*, ${this.#messagesJson('TRUE')} AS messages FROM ${this.#t.sessions} s WHERE s.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return null;
    const s = sessionOf(row, this.#decodeAll(row.messages, id));
    this.#tracker.remember(s, row.update_seq);
    return s;
  }
}
