/**
 * An in-memory {@link SessionStore}: for tests, short-lived programs, and as the reference
 * behaviour the other stores are checked against.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { SaveTracker, encodeMessageRow, partialSaveError, saveConflict } from './rows.js';
import {
  type AppendOptions,
  type ConversationSummary,
  type CreateSessionOptions,
  type LoadTailOptions,
  type SessionTail,
  type Session,
  type SessionMessage,
  type SessionStore,
  type SessionSummary,
  type SessionUsage,
  SessionError,
} from './types.js';
import type { RunStateRecord, SaveRunStateOptions } from './run-state.js';
import { copyData, copyStorable } from '../copy-data.js';

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Directory whose newest session `getOrCreateSession` returns (default: `process.cwd()`). */
  directory?: string;
}

interface StoredSession {
  session: Session;
  summary?: ConversationSummary;
  /** Order of the last update, to break ties between equal `updatedAt` milliseconds. */
  seq: number;
}

/** The sessions shared by a store and the views made with `withDirectory`. */
class MemoryData {
  readonly sessions = new Map<string, StoredSession>();
  readonly runStates = new Map<string, RunStateRecord>();
  seq = 0;
  next(): number {
    return ++this.seq;
  }
}

/** Zero totals. */
export function emptySessionUsage(): SessionUsage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 };
}

/** Adds a partial usage to totals (missing or non-finite values count as 0). */
export function addSessionUsage(total: SessionUsage, add: Partial<SessionUsage>): SessionUsage {
  const n = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    inputTokens: total.inputTokens + n(add.inputTokens),
    outputTokens: total.outputTokens + n(add.outputTokens),
    cacheReadTokens: total.cacheReadTokens + n(add.cacheReadTokens),
    cacheWriteTokens: total.cacheWriteTokens + n(add.cacheWriteTokens),
    costUsd: total.costUsd + n(add.costUsd),
  };
}

/** Checks what every store checks before writing: a known role and a valid timestamp. */
function validate(messages: readonly SessionMessage[], sessionId: string): void {
  messages.forEach((m, i) => {
    const where = `Session ${sessionId}: message ${i}`;
    if (m?.role !== 'user' && m?.role !== 'assistant' && m?.role !== 'system')
      throw new SessionError('serialization', `${where} has role ${JSON.stringify(m?.role)}; expected user, assistant or system.`, {
        sessionId,
      });
    if (!(m.timestamp instanceof Date) || Number.isNaN(m.timestamp.getTime()))
      throw new SessionError('serialization', `${where} has no valid timestamp (a Date is required).`, { sessionId });
  });
}

/** The messages as a SQL store would write them, to compare histories. */
function sameMessage(a: SessionMessage, b: SessionMessage): boolean {
  const o = { sessionId: '', position: 0, roleStyle: 'lower', resultKeys: 'camel', maxBytes: Number.MAX_SAFE_INTEGER } as const;
  const x = encodeMessageRow(a, o);
  const y = encodeMessageRow(b, o);
  return (
    x.role === y.role &&
    x.content === y.content &&
    x.toolCalls === y.toolCalls &&
    x.toolResults === y.toolResults &&
    x.blocks === y.blocks &&
    x.timestampMs === y.timestampMs
  );
}

/** A deep copy; values that cannot be copied (functions, class instances with private state) are a serialization error. */
function copy<T>(value: T, sessionId?: string): T {
  try {
    // Plain data key by key (a structuredClone round trip costs microseconds per message on
    // every saved step); a tracking view (a Proxy array) of another store is copied item by item.
    return copyStorable(value);
  } catch (e) {
    throw new SessionError(
      'serialization',
      `Session${sessionId ? ` ${sessionId}` : ''}: a message holds a value that cannot be stored (${(e as Error).message}); keep messages to JSON data, Dates and Uint8Arrays.`,
      {
        cause: e,
        ...(sessionId ? { sessionId } : {}),
      },
    );
  }
}

function byNewest(a: StoredSession, b: StoredSession): number {
  return b.session.updatedAt.getTime() - a.session.updatedAt.getTime() || b.seq - a.seq;
}

/**
 * Keeps sessions in memory. Every method works on deep copies: changing a session returned by
 * the store, or one passed to it, never changes what the store holds.
 *
 * ```ts
 * const store = new MemorySessionStore({ directory: '/projects/app' });
 * const session = await store.getOrCreateSession();
 * ```
 */
export class MemorySessionStore implements SessionStore {
  /** Directory whose newest session `getOrCreateSession` returns. */
  readonly directory: string;
  #data: MemoryData;
  readonly #tracker = new SaveTracker();

  constructor(options: MemorySessionStoreOptions = {}) {
    this.directory = options.directory ?? process.cwd();
    this.#data = new MemoryData();
  }

  /**
   * A store that shares this store's sessions but whose `getOrCreateSession` is scoped to
   * another directory (like two processes in two folders sharing one database).
   */
  withDirectory(directory: string): MemorySessionStore {
    const view = new MemorySessionStore({ directory });
    view.#data = this.#data;
    return view;
  }

  #get(id: string): StoredSession {
    const stored = this.#data.sessions.get(id);
    if (!stored) throw SessionError.notFound(id);
    return stored;
  }

  async getOrCreateSession(): Promise<Session> {
    let newest: StoredSession | undefined;
    for (const s of this.#data.sessions.values()) {
      if (s.session.directory !== this.directory) continue;
      if (!newest || byNewest(s, newest) < 0) newest = s;
    }
    if (newest) return this.#returned(newest);
    return this.createSession();
  }

  /** The id getOrCreateSession would return, without copying the messages. */
  async getOrCreateSessionId(): Promise<string> {
    let newest: StoredSession | undefined;
    for (const s of this.#data.sessions.values()) {
      if (s.session.directory !== this.directory) continue;
      if (!newest || byNewest(s, newest) < 0) newest = s;
    }
    return newest?.session.id ?? (await this.createSession()).id;
  }

  async createSession(opts: CreateSessionOptions = {}): Promise<Session> {
    const id = opts.id ?? randomUUID();
    validate(opts.messages ?? [], id);
    if (this.#data.sessions.has(id))
      throw new SessionError('conflict', `A session with id ${id} already exists; import it with a new id instead.`, { sessionId: id });
    const now = new Date();
    const session: Session = {
      id,
      createdAt: opts.createdAt ? new Date(opts.createdAt.getTime()) : now,
      updatedAt: now,
      directory: opts.directory ?? this.directory,
      messages: copy(opts.messages ?? [], id),
    };
    if (opts.title !== undefined) session.title = opts.title;
    if (opts.forkedFrom !== undefined) session.forkedFrom = opts.forkedFrom;
    session.usage = emptySessionUsage();
    const stored: StoredSession = { session, seq: this.#data.next() };
    this.#data.sessions.set(id, stored);
    return this.#returned(stored);
  }

  async getSession(id: string): Promise<Session | null> {
    const stored = this.#data.sessions.get(id);
    return stored ? this.#returned(stored) : null;
  }

  /**
   * Stores the session's messages and title; `updatedAt` becomes now. Unknown id → `not_found`.
   * A session this store returned that another call changed since is a `conflict`, unless
   * nothing stored would be replaced or removed.
   */
  async saveSession(session: Session): Promise<void> {
    const stored = this.#get(session.id);
    const plan = this.#tracker.plan(session);
    if (plan.tracked === 'partial') throw partialSaveError(session.id, plan.start);
    validate(session.messages, session.id);
    if (plan.tracked && plan.version !== String(stored.seq)) {
      const have = stored.session.messages;
      if (have.length > session.messages.length || !have.every((m, i) => sameMessage(m, session.messages[i]!)))
        throw saveConflict(session.id);
    }
    stored.session.messages = copy(session.messages, session.id);
    if (session.title !== undefined) stored.session.title = session.title;
    this.#touch(stored);
    this.#tracker.remember(session, String(stored.seq));
  }

  /** The newest `limit` messages, the count, usage and summary. Unknown id → null. */
  async loadTail(id: string, opts: LoadTailOptions): Promise<SessionTail | null> {
    const stored = this.#data.sessions.get(id);
    if (!stored) return null;
    const count = stored.session.messages.length;
    const start = Math.max(0, count - Math.max(1, Math.floor(opts.limit)));
    const session = copyData({ ...stored.session, messages: stored.session.messages.slice(start) });
    this.#tracker.remember(session, String(stored.seq), start);
    const tail: SessionTail = { session, start, messageCount: count };
    if (stored.summary && stored.summary.throughIndex <= count) tail.summary = copyData(stored.summary);
    return tail;
  }

  /** Stores (replaces) the summary of the session's oldest messages. Unknown id → `not_found`. */
  async saveConversationSummary(id: string, summary: ConversationSummary): Promise<void> {
    const stored = this.#get(id);
    if (!Number.isInteger(summary.throughIndex) || summary.throughIndex < 0)
      throw new SessionError(
        'serialization',
        `Session ${id}: a summary's throughIndex must be a whole number ≥ 0, got ${summary.throughIndex}.`,
        { sessionId: id },
      );
    stored.summary = copy(summary, id);
  }

  #returned(stored: StoredSession): Session {
    const s = copyData(stored.session);
    this.#tracker.remember(s, String(stored.seq));
    return s;
  }

  async appendMessages(id: string, messages: SessionMessage[], opts: AppendOptions = {}): Promise<void> {
    const stored = this.#get(id);
    validate(messages, id);
    const count = stored.session.messages.length;
    if (opts.expectedCount !== undefined && opts.expectedCount !== count) {
      throw new SessionError(
        'conflict',
        `Session ${id} holds ${count} messages, the caller expected ${opts.expectedCount}: another writer changed it. Reload the session and retry.`,
        { sessionId: id },
      );
    }
    stored.session.messages.push(...copy(messages, id));
    this.#touch(stored);
  }

  async listSessions(): Promise<SessionSummary[]> {
    return [...this.#data.sessions.values()].sort(byNewest).map(({ session: s }) => {
      const summary: SessionSummary = {
        id: s.id,
        directory: s.directory,
        messageCount: s.messages.length,
        createdAt: new Date(s.createdAt.getTime()),
        updatedAt: new Date(s.updatedAt.getTime()),
        usage: { ...(s.usage ?? emptySessionUsage()) },
      };
      if (s.title !== undefined) summary.title = s.title;
      return summary;
    });
  }

  async deleteSession(id: string): Promise<void> {
    if (!this.#data.sessions.delete(id)) throw SessionError.notFound(id);
    this.#data.runStates.delete(id);
  }

  /** The session's run state (paused runs, calls in flight, thread state), or null. */
  async loadRunState(sessionId: string): Promise<RunStateRecord | null> {
    const r = this.#data.runStates.get(sessionId);
    return r ? copyData(r) : null;
  }

  /** Stores the session's run state; a stale `expectedVersion` → `conflict`, unknown session → `not_found`. */
  async saveRunState(sessionId: string, record: RunStateRecord, opts: SaveRunStateOptions = {}): Promise<void> {
    this.#get(sessionId);
    const current = this.#data.runStates.get(sessionId)?.version ?? 0;
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== current) {
      throw new SessionError(
        'conflict',
        `Session ${sessionId}: the run state is at version ${current}, the caller expected ${opts.expectedVersion}: another process changed it.`,
        { sessionId },
      );
    }
    this.#data.runStates.set(sessionId, copy({ ...record, sessionId }, sessionId));
  }

  async renameSession(id: string, title: string): Promise<void> {
    const stored = this.#get(id);
    stored.session.title = title;
    this.#touch(stored);
  }

  async recordUsage(id: string, usage: Partial<SessionUsage>): Promise<void> {
    const stored = this.#get(id);
    stored.session.usage = addSessionUsage(stored.session.usage ?? emptySessionUsage(), usage);
  }

  /** Nothing to release; the sessions stay available to views sharing them. */
  async close(): Promise<void> {}

  #touch(stored: StoredSession): void {
    stored.session.updatedAt = new Date();
    stored.seq = this.#data.next();
  }
}
