/**
 * The message-row logic both SQL session stores share (SQLite and PostgreSQL): how a
 * {@link SessionMessage} becomes the columns of one row and back, the size bound on one message,
 * the errors that name a session and a row, and the change tracking that lets `saveSession`
 * write only what changed and refuse a save over someone else's change.
 *
 * Drivers differ only in small, named ways: the role text (`"User"` as the Rust original writes
 * it in SQLite, `"user"` in PostgreSQL), the key of a tool result's id (`tool_use_id`, the Rust
 * original's serde name, or `toolUseId`), and how dates come back.
 * @module
 */
import {
  blocksFromJson,
  blocksToJson,
  jsonType,
  roleFromRow,
  seedFieldsFromBlocks,
  toolCallsFromJson,
  toolResultsFromJson,
} from './codec.js';
import { type MessageRole, type Session, type SessionMessage, type SessionUsage, SessionError } from './types.js';

/**
 * Largest message a SQL store accepts, in bytes of its stored columns (UTF-16 length of the
 * text, about its UTF-8 size for ASCII). 32 MiB: a long tool output, or a message with several
 * large images or PDFs, fits; a runaway 300 MB output does not. Stores take a `maxMessageBytes`
 * option to change it.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

/** How a store writes roles: `rust` = `"User"`, `"Assistant"`, `"System"` (mixtape-cli), `lower` = `"user"`… */
export type RoleStyle = 'rust' | 'lower';

/** How a store writes the id of a tool result: the Rust original's `tool_use_id`, or `toolUseId`. */
export type ResultKeyStyle = 'snake' | 'camel';

/** Options of {@link encodeMessageRow}. */
export interface EncodeRowOptions {
  sessionId: string;
  /** Position of the message in the session (for error messages). */
  position: number;
  roleStyle: RoleStyle;
  resultKeys: ResultKeyStyle;
  /** See {@link DEFAULT_MAX_MESSAGE_BYTES}. */
  maxBytes?: number;
}

/** The columns of one message, as a SQL store writes them. */
export interface EncodedMessageRow {
  role: string;
  /** Text of the message: never null, so readers of the seed's columns (the Rust original) read it. */
  content: string;
  /** JSON `[{id, name, input}]`. */
  toolCalls: string;
  /** JSON `[{tool_use_id | toolUseId, success, content}]`. */
  toolResults: string;
  /** JSON content blocks (bytes as `{"$bytes": base64}`), or null when the message has none. */
  blocks: string | null;
  /** Unix milliseconds. */
  timestampMs: number;
}

/** A stored message row, as read back (a null seed column means "what the blocks give"). */
export interface StoredMessageRow {
  idx: number;
  role: string;
  content: string | null;
  toolCalls: string | null;
  toolResults: string | null;
  blocks: string | null;
  timestampMs: number;
  /**
   * Rows written by the Rust original: unparseable tool JSON reads as an empty list, as the
   * original reads it (serde's `unwrap_or_default`). Other rows with bad JSON are errors.
   */
  lenientToolJson?: boolean;
}

const ROLE_TEXT: Record<RoleStyle, Record<MessageRole, string>> = {
  rust: { user: 'User', assistant: 'Assistant', system: 'System' },
  lower: { user: 'user', assistant: 'assistant', system: 'system' },
};

/** A SessionError `serialization` naming the session and the message. */
function rowError(where: string, sessionId: string, detail: string, cause?: unknown): SessionError {
  return new SessionError('serialization', `${where} ${detail}`, { sessionId, ...(cause !== undefined ? { cause } : {}) });
}

/** Validates and encodes one message. Throws SessionError `serialization` naming session and position. */
export function encodeMessageRow(m: SessionMessage, o: EncodeRowOptions): EncodedMessageRow {
  const where = `Session ${o.sessionId}: message ${o.position}`;
  if (!(m?.timestamp instanceof Date) || Number.isNaN(m.timestamp.getTime()))
    throw rowError(where, o.sessionId, 'has no valid timestamp (a Date is required).');
  if (m.role !== 'user' && m.role !== 'assistant' && m.role !== 'system')
    throw rowError(where, o.sessionId, `has role ${JSON.stringify(m.role)}; expected user, assistant or system.`);
  let row: EncodedMessageRow;
  try {
    const results = (m.toolResults ?? []).map((r) =>
      o.resultKeys === 'snake'
        ? { tool_use_id: r.toolUseId, success: r.success, content: r.content }
        : { toolUseId: r.toolUseId, success: r.success, content: r.content },
    );
    row = {
      role: ROLE_TEXT[o.roleStyle][m.role],
      content: String(m.content ?? ''),
      toolCalls: JSON.stringify((m.toolCalls ?? []).map((c) => ({ id: c.id, name: c.name, input: c.input }))),
      toolResults: JSON.stringify(results),
      blocks: m.blocks ? JSON.stringify(blocksToJson(m.blocks)) : null,
      timestampMs: m.timestamp.getTime(),
    };
  } catch (e) {
    throw rowError(where, o.sessionId, `cannot be written as JSON: ${(e as Error).message}.`, e);
  }
  const max = o.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const size = encodedRowSize(row);
  if (size > max) {
    throw rowError(
      where,
      o.sessionId,
      `is ${size.toLocaleString('en-US')} bytes, over this store's limit of ${max.toLocaleString('en-US')} bytes per message (maxMessageBytes). ` +
        'Nothing was written and the stored session is unchanged. Shorten the message (truncate or page a large tool output, send a smaller image), or raise the maxMessageBytes option of the store.',
    );
  }
  return row;
}

/** Size of an encoded row in UTF-16 code units (≈ bytes for ASCII; a linear-time bound). */
export function encodedRowSize(row: EncodedMessageRow): number {
  return row.role.length + row.content.length + row.toolCalls.length + row.toolResults.length + (row.blocks?.length ?? 0) + 8;
}

function parseToolJson<T>(text: string, parse: (v: unknown) => T[], lenient: boolean): T[] {
  if (!lenient) return parse(JSON.parse(text));
  try {
    return parse(JSON.parse(text));
  } catch {
    // The Rust original reads tool JSON it cannot parse as an empty list; rows it wrote read the same here.
    return [];
  }
}

/**
 * Decodes one stored row. A damaged column or an unknown role is a SessionError
 * `serialization` naming the session, the table, the row (its idx) and what to do.
 */
export function decodeMessageRow(row: StoredMessageRow, sessionId: string, table: string): SessionMessage {
  let column = 'role';
  try {
    const role = roleFromRow(row.role);
    if (role === undefined) throw new Error(`unknown role ${JSON.stringify(row.role)} (expected User, Assistant or System)`);
    column = 'blocks';
    const blocks = row.blocks === null ? undefined : blocksFromJson(JSON.parse(row.blocks));
    const derived =
      blocks && (row.content === null || row.toolCalls === null || row.toolResults === null) ? seedFieldsFromBlocks(blocks) : undefined;
    if (!blocks && (row.content === null || row.toolCalls === null || row.toolResults === null))
      throw new Error('a seed column is NULL and the row has no blocks');
    column = 'tool_calls';
    const toolCalls =
      row.toolCalls === null ? derived!.toolCalls : parseToolJson(row.toolCalls, toolCallsFromJson, row.lenientToolJson === true);
    column = 'tool_results';
    const toolResults =
      row.toolResults === null ? derived!.toolResults : parseToolJson(row.toolResults, toolResultsFromJson, row.lenientToolJson === true);
    column = 'timestamp';
    if (!Number.isFinite(row.timestampMs)) throw new Error(`not a number of milliseconds (${jsonType(row.timestampMs)})`);
    const m: SessionMessage = {
      role,
      content: row.content ?? derived!.content,
      toolCalls,
      toolResults,
      timestamp: new Date(row.timestampMs),
    };
    if (blocks) m.blocks = blocks;
    return m;
  } catch (e) {
    throw new SessionError(
      'serialization',
      `Session ${sessionId} cannot be loaded: message ${row.idx} has a damaged ${column} column (${(e as Error).message}). ` +
        `Other sessions are not affected. Repair or delete that row (table ${table}, session_id '${sessionId}', idx ${row.idx}), or delete the session.`,
      { cause: e, sessionId },
    );
  }
}

/** Columns equal, as written (for the fallback compare of an untracked `saveSession`). */
export function sameEncodedRow(a: EncodedMessageRow, b: EncodedMessageRow): boolean {
  return (
    a.role === b.role &&
    a.content === b.content &&
    a.toolCalls === b.toolCalls &&
    a.toolResults === b.toolResults &&
    a.blocks === b.blocks &&
    a.timestampMs === b.timestampMs
  );
}

/** The `conflict` error of a write over a change the caller did not see. */
export function countConflict(sessionId: string, count: number, expected: number): SessionError {
  return new SessionError(
    'conflict',
    `Session ${sessionId} holds ${count} messages, the caller expected ${expected}: another writer changed it. Reload the session and retry.`,
    { sessionId },
  );
}

/** The `conflict` error of `saveSession` when the stored session changed since it was loaded. */
export function saveConflict(sessionId: string): SessionError {
  return new SessionError(
    'conflict',
    `Session ${sessionId} changed in the store since this copy was loaded (another process or call wrote to it); saving would overwrite that change. ` +
      'Load it again (getSession), apply your change, and save that copy.',
    { sessionId },
  );
}

/** The error of `saveSession` given a session loaded with `loadTail` (only its newest messages). */
export function partialSaveError(sessionId: string, start: number): SessionError {
  return new SessionError(
    'conflict',
    `Session ${sessionId}: this copy holds only the messages from ${start} on (it was loaded with loadTail), so saveSession would delete the older ones. ` +
      'Add messages with appendMessages, or load the whole session with getSession and save that.',
    { sessionId },
  );
}

/** Totals from numeric columns (PostgreSQL returns BIGINT as text). */
export function usageFromColumns(r: {
  input_tokens: number | string;
  output_tokens: number | string;
  cache_read_tokens: number | string;
  cache_write_tokens: number | string;
  cost_usd: number | string;
}): SessionUsage {
  return {
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWriteTokens: Number(r.cache_write_tokens),
    costUsd: Number(r.cost_usd),
  };
}

/** A number for a usage column (missing or non-finite → 0; token counts rounded). */
export function usageValues(usage: Partial<SessionUsage>): [number, number, number, number, number] {
  const f = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return [
    Math.round(f(usage.inputTokens)),
    Math.round(f(usage.outputTokens)),
    Math.round(f(usage.cacheReadTokens)),
    Math.round(f(usage.cacheWriteTokens)),
    f(usage.costUsd),
  ];
}

// ---- change tracking for saveSession ---------------------------------------------------------

/** The top-level fields of a message when the store last saw it. */
interface Fields {
  role: unknown;
  content: unknown;
  timestamp: unknown;
  calls: unknown;
  results: unknown;
  blocks: unknown;
}

function fieldsOf(m: SessionMessage): Fields {
  return { role: m.role, content: m.content, timestamp: m.timestamp, calls: m.toolCalls, results: m.toolResults, blocks: m.blocks };
}

function changed(m: SessionMessage, f: Fields | undefined): boolean {
  return (
    f === undefined ||
    m.content !== f.content ||
    m.role !== f.role ||
    m.timestamp !== f.timestamp ||
    m.toolCalls !== f.calls ||
    m.toolResults !== f.results ||
    m.blocks !== f.blocks
  );
}

/** A non-negative integer property key (an array index), else -1. */
function indexKey(key: string | symbol): number {
  if (typeof key !== 'string' || key.length === 0) return -1;
  const c = key.charCodeAt(0);
  if (c < 48 || c > 57) return -1;
  const n = Number(key);
  return Number.isInteger(n) && String(n) === key ? n : -1;
}

/** What a store knows about a Session object it returned. */
interface Tracked {
  /** The store's version of the session when this object was loaded or last saved. */
  version: string;
  /** Absolute index of the first message (0 for a full session). */
  offset: number;
  /** The stored messages, by position, when last loaded or saved. */
  refs: SessionMessage[];
  /**
   * The tracking view the store put in `session.messages` (wrapped mode), and the array behind it.
   * Without it (a session whose messages array the caller built), every message is compared.
   */
  view?: SessionMessage[];
  target?: SessionMessage[];
  /** Lowest position written, deleted or cut through the view since the last save. */
  dirtyFrom: number;
  /**
   * Messages that left the store's hands (read through the view, or given to a save), with their
   * top-level fields then: only these can have been edited in place.
   */
  watched: Map<SessionMessage, Fields>;
}

/** Result of {@link SaveTracker.plan}. */
export type SavePlan =
  | { tracked: false }
  /** The object holds only the newest messages (`loadTail`): saving it would delete the others. */
  | { tracked: 'partial'; start: number }
  | {
      tracked: true;
      /** The version the stored session must still have. */
      version: string;
      /** Index of the first message that differs from what is stored; rows from here are rewritten. */
      firstChange: number;
    };

/** Options of {@link SaveTracker}. */
export interface SaveTrackerOptions {
  /**
   * Put a tracking view (a Proxy of the array) in `session.messages` of sessions the store
   * returns, so `saveSession` finds what changed without comparing every message. Such an array
   * reads and writes like any other; `structuredClone` refuses proxies, so copy it first
   * (`[...session.messages]`). Default false (every message is compared by identity).
   */
  wrap?: boolean;
}

/**
 * Remembers, for each {@link Session} object a store returned (or saved), the store's version
 * of it and its messages. `saveSession` of such an object then finds the first change without
 * encoding anything or reading the stored rows, writes only from there, and refuses with
 * `conflict` when the stored version moved. Objects the store never returned (built by hand,
 * spread copies with a new messages array) fall back to comparing with the stored rows and have
 * no conflict check.
 *
 * A message is "changed" when it is replaced, added or removed, or when one of its top-level
 * fields (role, content, timestamp, toolCalls, toolResults, blocks) is reassigned. Editing inside
 * them in place (e.g. `blocks[0].text = …`, `toolCalls.push(…)`, `timestamp.setTime(…)`) is not
 * seen: replace the message (or the field) to change it.
 *
 * Cost: with `wrap`, the array of a returned session is a tracking view: writes to it mark the
 * lowest position changed, and only messages read from it or given to a save are compared field
 * by field — a save costs what changed and what the caller touched, not the session's length.
 * A session whose `messages` the caller replaced by another array is compared message by message.
 */
export class SaveTracker {
  readonly #bySession = new WeakMap<Session, Tracked>();
  readonly #byMessages = new WeakMap<SessionMessage[], Tracked>();
  readonly #wrap: boolean;

  constructor(options: SaveTrackerOptions = {}) {
    this.#wrap = options.wrap === true;
  }

  /**
   * Records a session the store returns, at this stored version; with `wrap`, its messages
   * array (which the store made) becomes a tracking view. `offset` > 0: a tail (`loadTail`).
   */
  remember(session: Session, version: string, offset = 0): void {
    if (offset !== 0) {
      this.#set(session, { version, offset, refs: [], dirtyFrom: Infinity, watched: new Map() });
      return;
    }
    if (!this.#wrap) return this.rememberSaved(session, version);
    const target = session.messages;
    const t: Tracked = { version, offset: 0, refs: target.slice(), target, dirtyFrom: Infinity, watched: new Map() };
    const mark = (i: number) => {
      if (i < t.dirtyFrom) t.dirtyFrom = i;
    };
    const watch = (v: unknown) => {
      if (v && typeof v === 'object' && !t.watched.has(v as SessionMessage))
        t.watched.set(v as SessionMessage, fieldsOf(v as SessionMessage));
    };
    t.view = new Proxy(target, {
      get(a, key, receiver) {
        const v = Reflect.get(a, key, receiver);
        if (indexKey(key) >= 0) watch(v);
        return v;
      },
      getOwnPropertyDescriptor(a, key) {
        const d = Reflect.getOwnPropertyDescriptor(a, key);
        if (d && indexKey(key) >= 0) watch(d.value);
        return d;
      },
      set(a, key, value, receiver) {
        const i = indexKey(key);
        if (i >= 0) mark(i);
        else if (key === 'length') mark(Math.min(a.length, Number(value)));
        return Reflect.set(a, key, value, receiver);
      },
      defineProperty(a, key, d) {
        const i = indexKey(key);
        if (i >= 0) mark(i);
        else if (key === 'length' && 'value' in d) mark(Math.min(a.length, Number(d.value)));
        return Reflect.defineProperty(a, key, d);
      },
      deleteProperty(a, key) {
        const i = indexKey(key);
        if (i >= 0) mark(i);
        return Reflect.deleteProperty(a, key);
      },
    });
    session.messages = t.view;
    this.#set(session, t);
  }

  /** Records a session the caller built (its messages array is the caller's), just saved at this version. */
  rememberSaved(session: Session, version: string): void {
    const watched = new Map<SessionMessage, Fields>();
    for (const m of session.messages) if (m && typeof m === 'object') watched.set(m, fieldsOf(m));
    this.#set(session, { version, offset: 0, refs: session.messages.slice(), dirtyFrom: Infinity, watched });
  }

  /**
   * The messages of a session as the store should read them when writing: the array behind a
   * tracking view (so the store's own reads do not count as the caller's).
   */
  messagesOf(session: Session): readonly SessionMessage[] {
    const t = this.#find(session);
    return t?.view !== undefined && session.messages === t.view ? t.target! : session.messages;
  }

  /**
   * Records a save of a tracked session that wrote from `firstChange` on: only that part is
   * refreshed, so a save costs what changed.
   */
  saved(session: Session, version: string, firstChange: number): void {
    const t = this.#find(session);
    if (!t || t.offset !== 0 || t.view === undefined || session.messages !== t.view || t.refs.length < firstChange) {
      if (t?.view !== undefined && session.messages === t.view) {
        // Keep the view: compare everything from here on, once.
        t.version = version;
        t.refs = t.target!.slice();
        t.dirtyFrom = Infinity;
        t.watched = new Map(t.target!.map((m) => [m, fieldsOf(m)]));
        return;
      }
      return this.rememberSaved(session, version);
    }
    const target = t.target!;
    t.version = version;
    t.dirtyFrom = Infinity;
    for (const [m, f] of t.watched) if (changed(m, f)) t.watched.set(m, fieldsOf(m));
    t.refs.length = firstChange;
    for (let i = firstChange; i < target.length; i++) {
      const m = target[i]!;
      t.refs.push(m);
      // The caller holds what it gave: watch it for edits in place.
      t.watched.set(m, fieldsOf(m));
    }
    this.#set(session, t);
  }

  #find(session: Session): Tracked | undefined {
    return this.#bySession.get(session) ?? (Array.isArray(session.messages) ? this.#byMessages.get(session.messages) : undefined);
  }

  #set(session: Session, t: Tracked): void {
    this.#bySession.set(session, t);
    if (Array.isArray(session.messages)) this.#byMessages.set(session.messages, t);
  }

  /** How to save this session: the first changed message and the version it was based on. */
  plan(session: Session): SavePlan {
    const t = this.#find(session);
    if (!t) return { tracked: false };
    if (t.offset !== 0) return { tracked: 'partial', start: t.offset };
    const k = t.refs;
    if (t.view !== undefined && session.messages === t.view) {
      const now = t.target!;
      let first = Math.min(now.length, k.length, t.dirtyFrom);
      for (const [m, f] of t.watched) {
        if (!changed(m, f)) continue;
        // Edited in place: find where it is (only when something changed).
        const i = now.indexOf(m);
        if (i >= 0 && i < first) first = i;
      }
      return { tracked: true, version: t.version, firstChange: first };
    }
    const now = session.messages;
    const limit = Math.min(now.length, k.length);
    let first = 0;
    while (first < limit && now[first] === k[first] && !changed(now[first]!, t.watched.get(now[first]!))) first++;
    return { tracked: true, version: t.version, firstChange: first };
  }
}
