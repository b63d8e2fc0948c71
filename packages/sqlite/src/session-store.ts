/**
 * `SqliteSessionStore`: Mixtape's default session store, one SQLite file per project.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  type AppendOptions,
  type CreateSessionOptions,
  type Session,
  type SessionMessage,
  type SessionStore,
  type SessionSummary,
  type SessionUsage,
  type ToolCall,
  type ToolResult,
  SessionError,
  blocksFromJson,
  blocksToJson,
  parseRole,
  seedFieldsFromBlocks,
  toolCallsFromJson,
  toolResultsFromJson,
} from '@mixtape/core/session';
import { DEFAULT_BUSY_TIMEOUT_MS, SchemaTooNewError, type SqliteDatabase, openSqliteDatabase, runMigrations, sqliteAdvice } from './database.js';
import { SESSION_MIGRATIONS, SESSION_SCHEMA_COMPONENT } from './session-schema.js';

/** Where the store keeps its database when no path is given, relative to `process.cwd()`. */
export const DEFAULT_SESSIONS_DB_PATH = '.mixtape/sessions.db';

/** Options of {@link SqliteSessionStore}. */
export interface SqliteSessionStoreOptions {
  /** Directory whose newest session `getOrCreateSession` returns (default: `process.cwd()`). */
  directory?: string;
  /** How long a write waits for another process (default {@link DEFAULT_BUSY_TIMEOUT_MS}). */
  busyTimeoutMs?: number;
}

interface SessionRow {
  id: string;
  directory: string;
  created_at: number;
  updated_at: number;
  title: string | null;
  forked_from: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  message_count?: number;
}

interface MessageRow {
  idx: number;
  role: string;
  content: string | null;
  tool_calls: string | null;
  tool_results: string | null;
  blocks: string | null;
  timestamp: number;
}

/** The columns of one message, as written (NULL seed fields follow from the blocks). */
type EncodedMessage = [role: string, content: string | null, toolCalls: string | null, toolResults: string | null, blocks: string | null, timestamp: number];

/** A UTF-16 surrogate that is not part of a pair (`u` mode matches pairs as one code point). */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATE_ALL = /\p{Cs}/gu;

/** The text with each lone surrogate replaced by U+FFFD, so SQLite stores what it returns. */
function utf8Safe(text: string): string {
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATE_ALL, '\uFFFD') : text;
}

function encodeMessage(m: SessionMessage, sessionId: string, position: number): EncodedMessage {
  const where = `Session ${sessionId}: message ${position}`;
  if (!(m?.timestamp instanceof Date) || Number.isNaN(m.timestamp.getTime()))
    throw new SessionError('serialization', `${where} has no valid timestamp (a Date is required).`, { sessionId });
  if (m.role !== 'user' && m.role !== 'assistant' && m.role !== 'system')
    throw new SessionError('serialization', `${where} has role ${JSON.stringify(m.role)}; expected user, assistant or system.`, { sessionId });
  try {
    const calls = m.toolCalls ?? [];
    const results = m.toolResults ?? [];
    let content: string | null = String(m.content ?? '');
    let toolCalls: string | null = null;
    let toolResults: string | null = null;
    let blocks: string | null = null;
    if (m.blocks) {
      blocks = JSON.stringify(blocksToJson(m.blocks));
      // Seed fields equal to what the blocks give are not written twice (NULL = derive).
      const derived = seedFieldsFromBlocks(m.blocks);
      if (derived.content === content) content = null;
      if (!sameCalls(derived.toolCalls, calls)) toolCalls = JSON.stringify(calls);
      if (!sameResults(derived.toolResults, results)) toolResults = JSON.stringify(results);
    } else {
      toolCalls = JSON.stringify(calls);
      toolResults = JSON.stringify(results);
    }
    // SQLite text is UTF-8: a lone UTF-16 surrogate (e.g. an emoji cut in half) cannot be
    // stored as is and would come back as three replacement characters. Store one U+FFFD, as
    // PostgreSQL does. (JSON columns escape surrogates, so blocks keep them exactly.)
    if (content !== null) content = utf8Safe(content);
    return [m.role, content, toolCalls, toolResults, blocks, m.timestamp.getTime()];
  } catch (e) {
    throw new SessionError('serialization', `${where} cannot be written as JSON: ${(e as Error).message}.`, { cause: e, sessionId });
  }
}

/** Equal as written: same keys in the same order (JSON text equality), compared without encoding. */
function sameCalls(a: readonly ToolCall[], b: readonly ToolCall[]): boolean {
  return a.length === b.length && b.every((c, i) => isPlain(c, CALL_KEYS) && c.id === a[i]!.id && c.name === a[i]!.name && c.input === a[i]!.input);
}

function sameResults(a: readonly ToolResult[], b: readonly ToolResult[]): boolean {
  return (
    a.length === b.length &&
    b.every((r, i) => isPlain(r, RESULT_KEYS) && r.toolUseId === a[i]!.toolUseId && r.success === a[i]!.success && r.content === a[i]!.content)
  );
}

const CALL_KEYS = ['id', 'name', 'input'];
const RESULT_KEYS = ['toolUseId', 'success', 'content'];

/** True when the object has exactly these keys in this order (so its JSON is the derived one's). */
function isPlain(o: object, keys: readonly string[]): boolean {
  const own = Object.keys(o);
  return own.length === keys.length && own.every((k, i) => k === keys[i]);
}

function sameRow(row: MessageRow, enc: EncodedMessage): boolean {
  return (
    row.role === enc[0] && row.content === enc[1] && row.tool_calls === enc[2] && row.tool_results === enc[3] && row.blocks === enc[4] && row.timestamp === enc[5]
  );
}

function decodeMessage(row: MessageRow, sessionId: string): SessionMessage {
  let column = 'blocks';
  try {
    const blocks = row.blocks === null ? undefined : blocksFromJson(JSON.parse(row.blocks));
    const derived = blocks && (row.content === null || row.tool_calls === null || row.tool_results === null) ? seedFieldsFromBlocks(blocks) : undefined;
    column = 'tool_calls';
    const toolCalls = row.tool_calls === null ? derived!.toolCalls : toolCallsFromJson(JSON.parse(row.tool_calls));
    column = 'tool_results';
    const toolResults = row.tool_results === null ? derived!.toolResults : toolResultsFromJson(JSON.parse(row.tool_results));
    column = 'content';
    const content = row.content ?? derived!.content;
    const m: SessionMessage = { role: parseRole(row.role), content, toolCalls, toolResults, timestamp: new Date(row.timestamp) };
    if (blocks) m.blocks = blocks;
    return m;
  } catch (e) {
    throw new SessionError(
      'serialization',
      `Session ${sessionId} cannot be loaded: message ${row.idx} has a damaged ${column} column (${(e as Error).message}). ` +
        `Other sessions are not affected. Repair or delete that row (table messages, session_id '${sessionId}', idx ${row.idx}), or delete the session.`,
      { cause: e, sessionId },
    );
  }
}

function usageOf(row: SessionRow): SessionUsage {
  return {
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cacheReadTokens: row.cache_read_tokens,
    cacheWriteTokens: row.cache_write_tokens,
    costUsd: row.cost_usd,
  };
}

function finite(v: number | undefined): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * Sessions in a SQLite file (better-sqlite3), shared safely by several processes.
 *
 * - The database is opened with WAL, foreign keys on, a busy timeout and `synchronous=NORMAL`;
 *   its schema is versioned and migrated on open (databases of the Rust original included).
 * - Messages are rows (one per message, numbered per session), so `appendMessages` and
 *   `saveSession` write only what is new: appending costs the same at turn 10 and turn 10,000.
 * - Appends run in IMMEDIATE transactions: two processes appending to one session at once both
 *   succeed, in order, and `expectedCount` turns a lost update into a `conflict` error.
 * - Content is kept exactly: content blocks are JSON with bytes as base64, timestamps in ms.
 * - A damaged row is a `serialization` error naming its session; other sessions still load.
 *
 * The driver is synchronous; the methods are async to fit {@link SessionStore}. Driver errors
 * become SessionError `storage` with the cause and what to do.
 *
 * ```ts
 * const store = new SqliteSessionStore();                // .mixtape/sessions.db in process.cwd()
 * const other = new SqliteSessionStore('/data/s.db', { directory: '/projects/app' });
 * ```
 */
export class SqliteSessionStore implements SessionStore {
  /** Absolute path of the database file (`:memory:` for an in-memory one, the file name of a passed database). */
  readonly path: string;
  /** Directory whose newest session `getOrCreateSession` returns. */
  readonly directory: string;
  readonly #busyTimeoutMs: number;
  readonly #db: SqliteDatabase;
  readonly #owned: boolean;
  #closed = false;
  readonly #sql: ReturnType<typeof prepare>;

  /**
   * Opens (or creates, with its parent folders) the database and brings its schema up to
   * date. Throws SessionError `storage` when the file cannot be opened or was written by a
   * newer Mixtape.
   *
   * @param pathOrDb database file (default {@link DEFAULT_SESSIONS_DB_PATH}), or an open
   *   better-sqlite3 database to share with other stores (e.g. `SqliteGrantStore`); a passed
   *   database is not closed by {@link close}, and should be opened with `openSqliteDatabase`
   *   so it has the WAL, foreign-key and busy-timeout settings.
   */
  constructor(pathOrDb: string | SqliteDatabase = DEFAULT_SESSIONS_DB_PATH, options: SqliteSessionStoreOptions = {}) {
    this.#owned = typeof pathOrDb === 'string';
    this.path = typeof pathOrDb === 'string' ? (pathOrDb === ':memory:' ? pathOrDb : resolve(pathOrDb)) : pathOrDb.name;
    this.directory = options.directory ?? process.cwd();
    this.#busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    let db: SqliteDatabase | undefined;
    try {
      db = typeof pathOrDb === 'string' ? openSqliteDatabase(this.path, { busyTimeoutMs: this.#busyTimeoutMs }) : pathOrDb;
      runMigrations(db, SESSION_SCHEMA_COMPONENT, SESSION_MIGRATIONS);
      this.#sql = prepare(db);
    } catch (e) {
      if (this.#owned) db?.close();
      if (e instanceof SchemaTooNewError) throw new SessionError('storage', `SqliteSessionStore (${this.path}): ${e.message}`, { cause: e });
      throw this.#storageError('opening the database', e);
    }
    this.#db = db;
  }

  async getOrCreateSession(): Promise<Session> {
    return this.#run('getOrCreateSession', undefined, () => {
      const newest = this.#sql.newestInDirectory.get(this.directory) as { id: string } | undefined;
      if (newest) {
        const s = this.#load(newest.id);
        if (s) return s;
      }
      // Create inside a write transaction so two processes starting at once share one session.
      const id = this.#db
        .transaction(() => {
          const again = this.#sql.newestInDirectory.get(this.directory) as { id: string } | undefined;
          if (again) return again.id;
          return this.#insertSession({}).id;
        })
        .immediate();
      return this.#load(id)!;
    });
  }

  async createSession(opts: CreateSessionOptions = {}): Promise<Session> {
    return this.#run('createSession', opts.id, () => {
      const id = this.#db.transaction(() => this.#insertSession(opts).id).immediate();
      return this.#load(id)!;
    });
  }

  async getSession(id: string): Promise<Session | null> {
    return this.#run('getSession', id, () => this.#load(id));
  }

  /**
   * Persists the session's messages (and its title, when set); `updatedAt` becomes now.
   * When the stored messages are a prefix of the given ones, only the new ones are inserted;
   * otherwise the messages from the first difference on are rewritten, in one transaction.
   * Unknown id → `not_found`.
   */
  async saveSession(session: Session): Promise<void> {
    return this.#run('saveSession', session.id, () => {
      const id = session.id;
      const encoded = session.messages.map((m, i) => encodeMessage(m, id, i));
      const commonPrefix = (): number => {
        const stored = this.#sql.messageRows.all(id) as MessageRow[];
        let same = 0;
        const limit = Math.min(stored.length, encoded.length);
        while (same < limit && sameRow(stored[same]!, encoded[same]!)) same++;
        return same;
      };
      // Compare with what is stored in a read snapshot, outside the write lock, so other
      // processes are not kept waiting while a long session is compared.
      const snapshot = this.#db.transaction(() => ({ head: this.#head(id), same: commonPrefix() }))();
      this.#db
        .transaction(() => {
          const head = this.#head(id);
          // Changed in between (its update sequence moved): compare again under the lock.
          const same = head.seq === snapshot.head.seq ? snapshot.same : commonPrefix();
          if (same < head.count) this.#sql.deleteMessagesFrom.run(id, same);
          this.#insertMessages(id, same, encoded.slice(same));
          this.#touch(id);
          if (session.title !== undefined) this.#sql.setTitle.run(utf8Safe(session.title), id);
        })
        .immediate();
    });
  }

  /**
   * Appends messages after the last stored one, in one IMMEDIATE transaction: only the new
   * rows are written, whatever the session's length. With `expectedCount`, a session that
   * holds a different number of messages is a `conflict` and nothing is written.
   */
  async appendMessages(id: string, messages: SessionMessage[], opts: AppendOptions = {}): Promise<void> {
    return this.#run('appendMessages', id, () => {
      const encoded = messages.map((m, i) => encodeMessage(m, id, i));
      this.#db
        .transaction(() => {
          const count = this.#count(id);
          if (opts.expectedCount !== undefined && opts.expectedCount !== count) {
            throw new SessionError(
              'conflict',
              `Session ${id} holds ${count} messages, the caller expected ${opts.expectedCount}: another writer changed it. Reload the session and retry.`,
              { sessionId: id },
            );
          }
          this.#insertMessages(id, count, encoded);
          this.#touch(id);
        })
        .immediate();
    });
  }

  async listSessions(): Promise<SessionSummary[]> {
    return this.#run('listSessions', undefined, () =>
      (this.#sql.list.all() as SessionRow[]).map((r) => {
        const s: SessionSummary = {
          id: r.id,
          directory: r.directory,
          messageCount: r.message_count ?? 0,
          createdAt: new Date(r.created_at),
          updatedAt: new Date(r.updated_at),
          usage: usageOf(r),
        };
        if (r.title !== null) s.title = r.title;
        return s;
      }),
    );
  }

  async deleteSession(id: string): Promise<void> {
    return this.#run('deleteSession', id, () => {
      if (this.#sql.deleteSession.run(id).changes === 0) throw SessionError.notFound(id);
    });
  }

  async renameSession(id: string, title: string): Promise<void> {
    return this.#run('renameSession', id, () => {
      this.#db
        .transaction(() => {
          if (this.#sql.setTitle.run(utf8Safe(title), id).changes === 0) throw SessionError.notFound(id);
          this.#touch(id);
        })
        .immediate();
    });
  }

  async recordUsage(id: string, usage: Partial<SessionUsage>): Promise<void> {
    return this.#run('recordUsage', id, () => {
      const r = this.#sql.addUsage.run(
        Math.round(finite(usage.inputTokens)),
        Math.round(finite(usage.outputTokens)),
        Math.round(finite(usage.cacheReadTokens)),
        Math.round(finite(usage.cacheWriteTokens)),
        finite(usage.costUsd),
        id,
      );
      if (r.changes === 0) throw SessionError.notFound(id);
    });
  }

  /**
   * Closes the database (not one passed to the constructor: its owner closes it). Later calls
   * fail with a `storage` error; closing twice is fine.
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#owned && this.#db.open) this.#db.close();
  }

  // ---- internals ------------------------------------------------------------------------

  #run<T>(action: string, sessionId: string | undefined, fn: () => T): T {
    try {
      if (this.#closed || !this.#db.open) throw new SessionError('storage', `SqliteSessionStore (${this.path}): ${action} failed: the store is closed. Create a new SqliteSessionStore.`);
      return fn();
    } catch (e) {
      throw this.#storageError(action, e, sessionId);
    }
  }

  #storageError(action: string, e: unknown, sessionId?: string): SessionError {
    if (e instanceof SessionError) return e;
    const code = (e as { code?: string }).code;
    const advice = sqliteAdvice(code, this.#busyTimeoutMs);
    const message = `SqliteSessionStore (${this.path}): ${action} failed: ${(e as Error)?.message ?? String(e)}${code ? ` (${code})` : ''}.${advice ? ` ${advice}` : ''}`;
    return new SessionError('storage', message, { cause: e, ...(sessionId !== undefined ? { sessionId } : {}) });
  }

  /** Number of messages of a session (its last index + 1); not_found when it does not exist. */
  #count(id: string): number {
    return this.#head(id).count;
  }

  /** Message count and update sequence of a session; not_found when it does not exist. */
  #head(id: string): { count: number; seq: number } {
    const row = this.#sql.head.get(id) as { n: number; seq: number } | undefined;
    if (!row) throw SessionError.notFound(id);
    return { count: row.n, seq: row.seq };
  }

  #touch(id: string): void {
    this.#sql.touch.run(Date.now(), id);
  }

  #insertMessages(id: string, from: number, encoded: EncodedMessage[]): void {
    for (let i = 0; i < encoded.length; i++) this.#sql.insertMessage.run(id, from + i, ...encoded[i]!);
  }

  #insertSession(opts: CreateSessionOptions): { id: string } {
    const id = opts.id ?? randomUUID();
    if (this.#sql.exists.get(id)) throw new SessionError('conflict', `A session with id ${id} already exists; import it with a new id instead.`, { sessionId: id });
    const encoded = (opts.messages ?? []).map((m, i) => encodeMessage(m, id, i));
    const now = Date.now();
    const createdAt = opts.createdAt && !Number.isNaN(opts.createdAt.getTime()) ? opts.createdAt.getTime() : now;
    this.#sql.insertSession.run(id, opts.directory ?? this.directory, createdAt, now, opts.title === undefined ? null : utf8Safe(opts.title), opts.forkedFrom ?? null);
    this.#insertMessages(id, 0, encoded);
    return { id };
  }

  #load(id: string): Session | null {
    // One read transaction, so the session row and its messages are one consistent snapshot.
    return this.#db.transaction(() => {
      const row = this.#sql.session.get(id) as SessionRow | undefined;
      if (!row) return null;
      const messages = (this.#sql.messageRows.all(id) as MessageRow[]).map((m) => decodeMessage(m, id));
      const s: Session = {
        id: row.id,
        createdAt: new Date(row.created_at),
        updatedAt: new Date(row.updated_at),
        directory: row.directory,
        messages,
        usage: usageOf(row),
      };
      if (row.title !== null) s.title = row.title;
      if (row.forked_from !== null) s.forkedFrom = row.forked_from;
      return s;
    })();
  }
}

const NEXT_SEQ = '(SELECT COALESCE(MAX(update_seq), 0) + 1 FROM sessions)';

function prepare(db: SqliteDatabase) {
  return {
    newestInDirectory: db.prepare('SELECT id FROM sessions WHERE directory = ? ORDER BY updated_at DESC, update_seq DESC LIMIT 1'),
    exists: db.prepare('SELECT 1 FROM sessions WHERE id = ?'),
    session: db.prepare('SELECT * FROM sessions WHERE id = ?'),
    head: db.prepare('SELECT update_seq AS seq, COALESCE((SELECT MAX(idx) + 1 FROM messages WHERE session_id = s.id), 0) AS n FROM sessions s WHERE s.id = ?'),
    messageRows: db.prepare('SELECT idx, role, content, tool_calls, tool_results, blocks, timestamp FROM messages WHERE session_id = ? ORDER BY idx'),
    insertSession: db.prepare(
      `INSERT INTO sessions (id, directory, created_at, updated_at, update_seq, title, forked_from) VALUES (?, ?, ?, ?, ${NEXT_SEQ}, ?, ?)`,
    ),
    insertMessage: db.prepare(
      'INSERT INTO messages (session_id, idx, role, content, tool_calls, tool_results, blocks, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    deleteMessagesFrom: db.prepare('DELETE FROM messages WHERE session_id = ? AND idx >= ?'),
    touch: db.prepare(`UPDATE sessions SET updated_at = ?, update_seq = ${NEXT_SEQ} WHERE id = ?`),
    setTitle: db.prepare('UPDATE sessions SET title = ? WHERE id = ?'),
    addUsage: db.prepare(
      `UPDATE sessions SET input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, cache_read_tokens = cache_read_tokens + ?,
       cache_write_tokens = cache_write_tokens + ?, cost_usd = cost_usd + ? WHERE id = ?`,
    ),
    deleteSession: db.prepare('DELETE FROM sessions WHERE id = ?'),
    list: db.prepare(
      `SELECT s.*, COALESCE((SELECT MAX(idx) + 1 FROM messages WHERE session_id = s.id), 0) AS message_count
       FROM sessions s ORDER BY updated_at DESC, update_seq DESC`,
    ),
  };
}
