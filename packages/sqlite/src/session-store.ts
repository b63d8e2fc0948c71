/**
 * `SqliteSessionStore`: Mixtape's default session store, one SQLite file per project.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
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
import { loadSqliteRunState, saveSqliteRunState } from './run-state.js';
import {
  DEFAULT_BUSY_TIMEOUT_MS,
  SchemaTooNewError,
  type SqliteDatabase,
  openSqliteDatabase,
  runMigrations,
  sqliteAdvice,
} from './database.js';
import { SESSION_MIGRATIONS, SESSION_SCHEMA_COMPONENT, SQLITE_ROW_STYLE, hasCompatibleLayout } from './session-schema.js';

/** Where the store keeps its database when no path is given, relative to `process.cwd()`. */
export const DEFAULT_SESSIONS_DB_PATH = '.mixtape/sessions.db';

/** Options of {@link SqliteSessionStore}. */
export interface SqliteSessionStoreOptions {
  /** Directory whose newest session `getOrCreateSession` returns (default: `process.cwd()`). */
  directory?: string;
  /** How long a write waits for another process (default {@link DEFAULT_BUSY_TIMEOUT_MS}). */
  busyTimeoutMs?: number;
  /** Largest message accepted, in bytes (default {@link DEFAULT_MAX_MESSAGE_BYTES}); a larger one is a `serialization` error and nothing is written. */
  maxMessageBytes?: number;
}

/** Rows a tail read by token budget fetches at a time (newest first). */
export const TAIL_PAGE_ROWS = 256;

/** Suffix of the copy made before converting a database of an earlier Mixtape for TypeScript release. */
export const LAYOUT_BACKUP_SUFFIX = '.before-rust-compatible-layout.bak';

interface SessionRow {
  id: string;
  directory: string;
  created_at: number;
  updated_at: number;
  created_at_ms: number | null;
  updated_at_ms: number | null;
  update_seq: number | null;
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
  timestamp_ms: number | null;
}

/** A UTF-16 surrogate that is not part of a pair (`u` mode matches pairs as one code point). */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATE_ALL = /\p{Cs}/gu;

/** The text with each lone surrogate replaced by U+FFFD, so SQLite stores what it returns. */
function utf8Safe(text: string): string {
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATE_ALL, '\uFFFD') : text;
}

/** Unix seconds, as the Rust original writes them (chrono `timestamp()`: floor). */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/**
 * Milliseconds of a row: the `_ms` column when it agrees with the seconds column (rows the Rust
 * original rewrote have no `_ms`, or seconds that moved), else the seconds.
 */
function millis(secondsColumn: number, msColumn: number | null): number {
  return msColumn !== null && seconds(msColumn) === Number(secondsColumn) ? msColumn : Number(secondsColumn) * 1000;
}

function decodeRow(row: MessageRow, sessionId: string): SessionMessage {
  return exactContent(
    decodeMessageRow(
      {
        idx: row.idx,
        role: row.role,
        content: row.content,
        toolCalls: row.tool_calls,
        toolResults: row.tool_results,
        blocks: row.blocks,
        timestampMs: millis(row.timestamp, row.timestamp_ms),
        // A row without timestamp_ms was written by the Rust original: read its tool JSON as it does.
        lenientToolJson: row.timestamp_ms === null,
      },
      sessionId,
      'messages',
    ),
  );
}

/**
 * Content with U+FFFD where the text had a lone surrogate (see utf8Safe): when it is what the
 * blocks give, the blocks (JSON, exact) give the text back exactly.
 */
function exactContent(m: SessionMessage): SessionMessage {
  if (m.blocks && m.content.includes('\uFFFD')) {
    const text = m.blocks.reduce((t, b) => (b.type === 'text' ? t + b.text : t), '');
    if (text !== m.content && utf8Safe(text) === m.content) m.content = text;
  }
  return m;
}

function encodedOf(row: MessageRow): EncodedMessageRow {
  return {
    role: row.role,
    content: row.content ?? '',
    toolCalls: row.tool_calls ?? '',
    toolResults: row.tool_results ?? '',
    blocks: row.blocks,
    timestampMs: millis(row.timestamp, row.timestamp_ms),
  };
}

function sessionOf(row: SessionRow, messages: SessionMessage[]): Session {
  const s: Session = {
    id: row.id,
    createdAt: new Date(millis(row.created_at, row.created_at_ms)),
    updatedAt: new Date(millis(row.updated_at, row.updated_at_ms)),
    directory: row.directory,
    messages,
    usage: usageFromColumns(row),
  };
  if (row.title !== null) s.title = row.title;
  if (row.forked_from !== null) s.forkedFrom = row.forked_from;
  return s;
}

/**
 * Sessions in a SQLite file (better-sqlite3), shared safely by several processes — and with the
 * Rust original (mixtape-cli 0.4.0), which keeps listing, loading and saving every session of a
 * file this store opened or wrote (see `session-schema.ts` for the shared layout).
 *
 * - The database is opened with WAL, foreign keys on, a busy timeout and `synchronous=NORMAL`;
 *   its schema is versioned and migrated on open, without changing what the Rust original reads.
 * - Messages are rows (one per message, numbered per session), so `appendMessages` writes only
 *   the new rows, and `saveSession` of a session this store returned writes from the first
 *   changed message on: both cost the same at turn 10 and turn 10,000.
 * - Appends run in IMMEDIATE transactions: two processes appending to one session at once both
 *   succeed, in order; `expectedCount` turns a lost update into a `conflict` error, and so does
 *   `saveSession` of a copy loaded before another writer (the Rust original included) changed it.
 * - Content is kept exactly: content blocks are JSON with bytes as base64, timestamps in ms.
 * - `loadTail` reads the newest messages, the count, usage and summary in time independent of
 *   the session's length (resume); `getSession` stays complete.
 * - A damaged row or unknown role is a `serialization` error naming its session and row; other
 *   sessions still load. A message over `maxMessageBytes` is refused before anything is written.
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
  /** Largest message accepted, in bytes. */
  readonly maxMessageBytes: number;
  readonly #busyTimeoutMs: number;
  readonly #db: SqliteDatabase;
  readonly #owned: boolean;
  #closed = false;
  readonly #sql: ReturnType<typeof prepare>;
  readonly #tracker = new SaveTracker({ wrap: true });

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
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    let db: SqliteDatabase | undefined;
    try {
      db = typeof pathOrDb === 'string' ? openSqliteDatabase(this.path, { busyTimeoutMs: this.#busyTimeoutMs }) : pathOrDb;
      backupBeforeLayoutChange(db, this.path);
      runMigrations(db, SESSION_SCHEMA_COMPONENT, SESSION_MIGRATIONS);
      this.#sql = prepare(db);
    } catch (e) {
      if (this.#owned) db?.close();
      if (e instanceof SchemaTooNewError)
        throw new SessionError('storage', `SqliteSessionStore (${this.path}): ${e.message}`, { cause: e });
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
      return this.#load(this.#newestOrNew())!;
    });
  }

  /** The id getOrCreateSession would return, without loading the messages. */
  async getOrCreateSessionId(): Promise<string> {
    return this.#run('getOrCreateSessionId', undefined, () => {
      const newest = this.#sql.newestInDirectory.get(this.directory) as { id: string } | undefined;
      return newest?.id ?? this.#newestOrNew();
    });
  }

  /** The newest session of the directory, created in a write transaction when there is none (two processes starting at once share one). */
  #newestOrNew(): string {
    return this.#db
      .transaction(() => {
        const again = this.#sql.newestInDirectory.get(this.directory) as { id: string } | undefined;
        if (again) return again.id;
        return this.#insertSession({}).id;
      })
      .immediate();
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
   *
   * For a session this store returned (or saved), only the messages from the first changed one
   * on are encoded and written — the cost of what changed, whatever the session's length — and
   * a session that another writer changed since is a `conflict` (nothing is written). For any
   * other object, the stored rows are compared to find the first difference. See
   * {@link SaveTracker} for what counts as a change. Unknown id → `not_found`.
   */
  async saveSession(session: Session): Promise<void> {
    return this.#run('saveSession', session.id, () => {
      const id = session.id;
      const plan = this.#tracker.plan(session);
      // The store's own reads go to the array behind a tracking view (they are not the caller's).
      const messages = this.#tracker.messagesOf(session);
      if (plan.tracked === 'partial') throw partialSaveError(id, plan.start);
      let from: number;
      let encoded: EncodedMessageRow[];
      let all: EncodedMessageRow[] | undefined;
      let snapshotSeq: number | undefined;
      if (plan.tracked) {
        from = plan.firstChange;
        encoded = messages.slice(from).map((m, i) => this.#encode(m, id, from + i));
      } else {
        all = messages.map((m, i) => this.#encode(m, id, i));
        // Compare with what is stored in a read snapshot, outside the write lock, so other
        // processes are not kept waiting while a long session is compared.
        const snapshot = this.#db.transaction(() => ({ head: this.#head(id), same: this.#commonPrefix(id, all!) }))();
        from = snapshot.same;
        snapshotSeq = snapshot.head.seq;
        encoded = all.slice(from);
      }
      const seq = this.#db
        .transaction(() => {
          const head = this.#head(id);
          if (plan.tracked && String(head.seq) !== plan.version) {
            // Changed since it was loaded: fine only when nothing stored would be replaced or
            // removed (e.g. the caller appended through appendMessages, or a title changed).
            all = messages.map((m, i) => this.#encode(m, id, i));
            if (this.#commonPrefix(id, all) < head.count) throw saveConflict(id);
            from = head.count;
            encoded = all.slice(from);
          } else if (!plan.tracked && head.seq !== snapshotSeq) {
            // Changed in between: compare again under the lock.
            from = this.#commonPrefix(id, all!);
            encoded = all!.slice(from);
          }
          if (from < head.count) this.#sql.deleteMessagesFrom.run(id, from);
          this.#insertMessages(id, from, encoded);
          this.#touch(id);
          if (session.title !== undefined) this.#sql.setTitle.run(utf8Safe(session.title), id);
          return this.#head(id).seq;
        })
        .immediate();
      if (plan.tracked) this.#tracker.saved(session, String(seq), Math.min(from, plan.firstChange));
      else this.#tracker.rememberSaved(session, String(seq));
    });
  }

  /**
   * Appends messages after the last stored one, in one IMMEDIATE transaction: only the new
   * rows are written, whatever the session's length. With `expectedCount`, a session that
   * holds a different number of messages is a `conflict` and nothing is written.
   */
  async appendMessages(id: string, messages: SessionMessage[], opts: AppendOptions = {}): Promise<void> {
    return this.#run('appendMessages', id, () => {
      const encoded = messages.map((m, i) => this.#encode(m, id, i));
      this.#db
        .transaction(() => {
          const count = this.#count(id);
          if (opts.expectedCount !== undefined && opts.expectedCount !== count) throw countConflict(id, count, opts.expectedCount);
          this.#insertMessages(id, count, encoded);
          this.#touch(id);
        })
        .immediate();
    });
  }

  /**
   * The newest `limit` messages, the message count, usage totals and the stored summary, in
   * one read snapshot; its cost does not grow with the session's length. Unknown id → null.
   */
  async loadTail(id: string, opts: LoadTailOptions): Promise<SessionTail | null> {
    return this.#run('loadTail', id, () => {
      const estimated: { idx: number; tokens: number }[] = [];
      const read = this.#db.transaction(() => {
        const row = this.#sql.session.get(id) as SessionRow | undefined;
        if (!row) return null;
        const count = this.#head(id).count;
        const limit = Math.max(1, Math.floor(opts.limit));
        let start: number;
        let messages: SessionMessage[];
        let tokens: number[] | undefined;
        if (opts.maxTokens !== undefined && opts.maxTokens > 0) {
          // Newest first, page by page, until `limit` rows and `maxTokens` estimated tokens are
          // read: only the rows the tail needs are decoded. Rows without an estimate (written by
          // the Rust original, or since the last resume) are counted now and stored below.
          messages = [];
          tokens = [];
          let sum = 0;
          let before = count;
          const enough = () => messages.length >= limit && sum >= opts.maxTokens!;
          while (before > 0 && !enough()) {
            const page = this.#sql.messageRowsBefore.all(id, before, TAIL_PAGE_ROWS) as (MessageRow & { mixtape_tokens: number | null })[];
            if (page.length === 0) break;
            for (const r of page) {
              if (enough()) break;
              const m = decodeRow(r, id);
              let t = r.mixtape_tokens;
              if (t === null) {
                t = sessionMessageTokens(m);
                estimated.push({ idx: r.idx, tokens: t });
              }
              messages.push(m);
              tokens.push(t);
              sum += t;
              before = r.idx;
            }
          }
          messages.reverse();
          tokens.reverse();
          start = count - messages.length;
        } else {
          start = Math.max(0, count - limit);
          messages = (this.#sql.messageRowsFrom.all(id, start) as MessageRow[]).map((m) => decodeRow(m, id));
        }
        const session = sessionOf(row, messages);
        this.#tracker.remember(session, String(row.update_seq), start);
        const tail: SessionTail = { session, start, messageCount: count };
        if (tokens) tail.tokens = tokens;
        const summary = this.#sql.summary.get(id) as
          { through_idx: number; text: string; created_at_ms: number; model: string | null } | undefined;
        // A summary past the end (the Rust original rewrote a shorter history) no longer applies.
        if (summary && summary.through_idx <= count) {
          tail.summary = { text: summary.text, throughIndex: summary.through_idx, createdAt: new Date(summary.created_at_ms) };
          if (summary.model !== null) tail.summary.model = summary.model;
        }
        return { tail, seq: row.update_seq };
      })();
      if (read && estimated.length > 0) this.#storeEstimates(id, read.seq, estimated);
      return read?.tail ?? null;
    });
  }

  /** Keeps the token estimates of rows a resume counted, unless the session changed since it read them. */
  #storeEstimates(id: string, seq: number | null, estimated: readonly { idx: number; tokens: number }[]): void {
    try {
      this.#db
        .transaction(() => {
          for (const e of estimated) this.#sql.setTokens.run(e.tokens, id, e.idx, id, seq);
        })
        .immediate();
    } catch (e) {
      // Only a cache: a read-only file or a busy database costs the next resume a recount, nothing else.
      if (!(e instanceof Error) || !/SQLITE_(BUSY|READONLY|LOCKED)|readonly/i.test(`${(e as { code?: string }).code ?? ''} ${e.message}`))
        throw e;
    }
  }

  /** Stores (replaces) the summary of the session's oldest messages. Unknown id → `not_found`. */
  async saveConversationSummary(id: string, summary: ConversationSummary): Promise<void> {
    return this.#run('saveConversationSummary', id, () => {
      if (!Number.isInteger(summary.throughIndex) || summary.throughIndex < 0)
        throw new SessionError(
          'serialization',
          `Session ${id}: a summary's throughIndex must be a whole number ≥ 0, got ${summary.throughIndex}.`,
          { sessionId: id },
        );
      this.#db
        .transaction(() => {
          if (!this.#sql.exists.get(id)) throw SessionError.notFound(id);
          this.#sql.saveSummary.run(
            id,
            summary.throughIndex,
            utf8Safe(String(summary.text)),
            summary.createdAt.getTime(),
            summary.model ?? null,
          );
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
          createdAt: new Date(millis(r.created_at, r.created_at_ms)),
          updatedAt: new Date(millis(r.updated_at, r.updated_at_ms)),
          usage: usageFromColumns(r),
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
      const r = this.#sql.addUsage.run(...usageValues(usage), id);
      if (r.changes === 0) throw SessionError.notFound(id);
    });
  }

  /** The session's run state (see `RunStateRecord` in @mixtape/core), kept in `mixtape_run_state`. */
  async loadRunState(sessionId: string): Promise<RunStateRecord | null> {
    return this.#run('loadRunState', sessionId, () => loadSqliteRunState(this.#db, sessionId));
  }

  /** Stores the session's run state; a stale `expectedVersion` → `conflict`. */
  async saveRunState(sessionId: string, record: RunStateRecord, opts?: SaveRunStateOptions): Promise<void> {
    return this.#run('saveRunState', sessionId, () => saveSqliteRunState(this.#db, sessionId, record, opts));
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
      if (this.#closed || !this.#db.open)
        throw new SessionError(
          'storage',
          `SqliteSessionStore (${this.path}): ${action} failed: the store is closed. Create a new SqliteSessionStore.`,
        );
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

  #encode(m: SessionMessage, sessionId: string, position: number): EncodedMessageRow {
    const e = encodeMessageRow(m, { sessionId, position, ...SQLITE_ROW_STYLE, maxBytes: this.maxMessageBytes });
    // SQLite text is UTF-8: a lone UTF-16 surrogate (e.g. an emoji cut in half) cannot be
    // stored as is and would come back as three replacement characters. Store one U+FFFD, as
    // PostgreSQL does. (JSON columns escape surrogates, so blocks keep them exactly.)
    e.content = utf8Safe(e.content);
    return e;
  }

  /** Number of leading stored rows equal to the given ones. */
  #commonPrefix(id: string, encoded: EncodedMessageRow[]): number {
    const stored = this.#sql.messageRows.all(id) as MessageRow[];
    let same = 0;
    const limit = Math.min(stored.length, encoded.length);
    while (same < limit && sameEncodedRow(encodedOf(stored[same]!), encoded[same]!)) same++;
    return same;
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
    const now = Date.now();
    this.#sql.touch.run(seconds(now), now, id);
  }

  #insertMessages(id: string, from: number, encoded: EncodedMessageRow[]): void {
    for (let i = 0; i < encoded.length; i++) {
      const e = encoded[i]!;
      this.#sql.insertMessage.run(
        id,
        from + i,
        e.role,
        e.content,
        e.toolCalls,
        e.toolResults,
        e.blocks,
        seconds(e.timestampMs),
        e.timestampMs,
      );
    }
  }

  #insertSession(opts: CreateSessionOptions): { id: string } {
    const id = opts.id ?? randomUUID();
    if (this.#sql.exists.get(id))
      throw new SessionError('conflict', `A session with id ${id} already exists; import it with a new id instead.`, { sessionId: id });
    const encoded = (opts.messages ?? []).map((m, i) => this.#encode(m, id, i));
    const now = Date.now();
    const createdAt = opts.createdAt && !Number.isNaN(opts.createdAt.getTime()) ? opts.createdAt.getTime() : now;
    this.#sql.insertSession.run(
      id,
      opts.directory ?? this.directory,
      seconds(createdAt),
      seconds(now),
      createdAt,
      now,
      opts.title === undefined ? null : utf8Safe(opts.title),
      opts.forkedFrom ?? null,
    );
    this.#insertMessages(id, 0, encoded);
    return { id };
  }

  #load(id: string): Session | null {
    // One read transaction, so the session row and its messages are one consistent snapshot.
    return this.#db.transaction(() => {
      const row = this.#sql.session.get(id) as SessionRow | undefined;
      if (!row) return null;
      const messages = (this.#sql.messageRows.all(id) as MessageRow[]).map((m) => decodeRow(m, id));
      const s = sessionOf(row, messages);
      this.#tracker.remember(s, String(row.update_seq));
      return s;
    })();
  }
}

/**
 * Before converting a database of an earlier Mixtape for TypeScript release (version 3 of the
 * session schema rewrites its tables), copies the file beside it ({@link LAYOUT_BACKUP_SUFFIX}).
 */
function backupBeforeLayoutChange(db: SqliteDatabase, path: string): void {
  if (path === ':memory:' || path === '' || path.startsWith('file:')) return;
  const has = (name: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  if (!has('schema_migrations') || !has('sessions')) return;
  const v = db.prepare("SELECT MAX(version) FROM schema_migrations WHERE component = 'sessions'").pluck().get() as number | null;
  if (v === null || v >= 3 || hasCompatibleLayout(db)) return;
  const backup = `${path}${LAYOUT_BACKUP_SUFFIX}`;
  if (!existsSync(backup)) db.prepare('VACUUM INTO ?').run(backup);
}

const NEXT_SEQ = '(SELECT COALESCE(MAX(update_seq), 0) + 1 FROM sessions)';
const UPDATED_MS = 'COALESCE(updated_at_ms, updated_at * 1000)';
const MESSAGE_COLUMNS = 'idx, role, content, tool_calls, tool_results, blocks, timestamp, timestamp_ms';

function prepare(db: SqliteDatabase) {
  return {
    newestInDirectory: db.prepare(`SELECT id FROM sessions WHERE directory = ? ORDER BY ${UPDATED_MS} DESC, update_seq DESC LIMIT 1`),
    exists: db.prepare('SELECT 1 FROM sessions WHERE id = ?'),
    session: db.prepare('SELECT * FROM sessions WHERE id = ?'),
    head: db.prepare(
      'SELECT update_seq AS seq, COALESCE((SELECT MAX(idx) + 1 FROM messages WHERE session_id = s.id), 0) AS n FROM sessions s WHERE s.id = ?',
    ),
    messageRows: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE session_id = ? ORDER BY idx`),
    messageRowsFrom: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE session_id = ? AND idx >= ? ORDER BY idx`),
    messageRowsBefore: db.prepare(
      `SELECT ${MESSAGE_COLUMNS}, mixtape_tokens FROM messages WHERE session_id = ? AND idx < ? ORDER BY idx DESC LIMIT ?`,
    ),
    setTokens: db.prepare(
      'UPDATE messages SET mixtape_tokens = ? WHERE session_id = ? AND idx = ? AND mixtape_tokens IS NULL AND (SELECT update_seq FROM sessions WHERE id = ?) IS ?',
    ),
    insertSession: db.prepare(
      `INSERT INTO sessions (id, directory, created_at, updated_at, created_at_ms, updated_at_ms, update_seq, title, forked_from)
       VALUES (?, ?, ?, ?, ?, ?, ${NEXT_SEQ}, ?, ?)`,
    ),
    insertMessage: db.prepare(
      'INSERT INTO messages (session_id, idx, role, content, tool_calls, tool_results, blocks, timestamp, timestamp_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    deleteMessagesFrom: db.prepare('DELETE FROM messages WHERE session_id = ? AND idx >= ?'),
    touch: db.prepare(`UPDATE sessions SET updated_at = ?, updated_at_ms = ?, update_seq = ${NEXT_SEQ} WHERE id = ?`),
    setTitle: db.prepare('UPDATE sessions SET title = ? WHERE id = ?'),
    addUsage: db.prepare(
      `UPDATE sessions SET input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, cache_read_tokens = cache_read_tokens + ?,
       cache_write_tokens = cache_write_tokens + ?, cost_usd = cost_usd + ? WHERE id = ?`,
    ),
    deleteSession: db.prepare('DELETE FROM sessions WHERE id = ?'),
    list: db.prepare(
      `SELECT s.*, COALESCE((SELECT MAX(idx) + 1 FROM messages WHERE session_id = s.id), 0) AS message_count
       FROM sessions s ORDER BY ${UPDATED_MS} DESC, update_seq DESC`,
    ),
    summary: db.prepare('SELECT through_idx, text, created_at_ms, model FROM mixtape_conversation_summaries WHERE session_id = ?'),
    saveSummary: db.prepare(
      `INSERT INTO mixtape_conversation_summaries (session_id, through_idx, text, created_at_ms, model) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (session_id) DO UPDATE SET through_idx = excluded.through_idx, text = excluded.text, created_at_ms = excluded.created_at_ms, model = excluded.model`,
    ),
  };
}
