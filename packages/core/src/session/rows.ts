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
import { blocksFromJson, blocksToJson, jsonType, roleFromRow, seedFieldsFromBlocks, toolCallsFromJson, toolResultsFromJson } from './codec.js';
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
      o.resultKeys === 'snake' ? { tool_use_id: r.toolUseId, success: r.success, content: r.content } : { toolUseId: r.toolUseId, success: r.success, content: r.content },
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
    const derived = blocks && (row.content === null || row.toolCalls === null || row.toolResults === null) ? seedFieldsFromBlocks(blocks) : undefined;
    if (!blocks && (row.content === null || row.toolCalls === null || row.toolResults === null)) throw new Error('a seed column is NULL and the row has no blocks');
    column = 'tool_calls';
    const toolCalls = row.toolCalls === null ? derived!.toolCalls : parseToolJson(row.toolCalls, toolCallsFromJson, row.lenientToolJson === true);
    column = 'tool_results';
    const toolResults = row.toolResults === null ? derived!.toolResults : parseToolJson(row.toolResults, toolResultsFromJson, row.lenientToolJson === true);
    column = 'timestamp';
    if (!Number.isFinite(row.timestampMs)) throw new Error(`not a number of milliseconds (${jsonType(row.timestampMs)})`);
    const m: SessionMessage = { role, content: row.content ?? derived!.content, toolCalls, toolResults, timestamp: new Date(row.timestampMs) };
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
  return a.role === b.role && a.content === b.content && a.toolCalls === b.toolCalls && a.toolResults === b.toolResults && a.blocks === b.blocks && a.timestampMs === b.timestampMs;
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
export function usageFromColumns(r: { input_tokens: number | string; output_tokens: number | string; cache_read_tokens: number | string; cache_write_tokens: number | string; cost_usd: number | string }): SessionUsage {
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
  return [Math.round(f(usage.inputTokens)), Math.round(f(usage.outputTokens)), Math.round(f(usage.cacheReadTokens)), Math.round(f(usage.cacheWriteTokens)), f(usage.costUsd)];
}

// ---- change tracking for saveSession ---------------------------------------------------------

/**
 * What the messages looked like when the store last returned or saved them: each message
 * object and its top-level fields, in parallel arrays (cheap to fill and compare: no encoding).
 */
interface Snapshot {
  refs: SessionMessage[];
  roles: unknown[];
  contents: unknown[];
  timestamps: unknown[];
  calls: unknown[];
  results: unknown[];
  blocks: unknown[];
}

function snapshot(messages: readonly SessionMessage[], reuse?: Snapshot, from = 0): Snapshot {
  const s: Snapshot = reuse ?? { refs: [], roles: [], contents: [], timestamps: [], calls: [], results: [], blocks: [] };
  for (const a of Object.values(s) as unknown[][]) a.length = from;
  for (let i = from; i < messages.length; i++) {
    const m = messages[i]!;
    s.refs.push(m);
    s.roles.push(m.role);
    s.contents.push(m.content);
    s.timestamps.push(m.timestamp);
    s.calls.push(m.toolCalls);
    s.results.push(m.toolResults);
    s.blocks.push(m.blocks);
  }
  return s;
}

/** What a store knows about a Session object it returned. */
interface Tracked {
  /** The store's version of the session when this object was loaded or last saved. */
  version: string;
  snap: Snapshot;
  /** Absolute index of the first message (0 for a full session). */
  offset: number;
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

/**
 * Remembers, for each {@link Session} object a store returned (or saved), the store's version
 * of it and the shape of its messages. `saveSession` of such an object then compares the
 * messages' top-level fields by identity (no encoding, no read of the stored rows) to find the
 * first change, writes only from there, and refuses with `conflict` when the stored version moved.
 * Objects the store never returned (built by hand, spread copies with a new messages array) fall
 * back to comparing with the stored rows and have no conflict check.
 *
 * A message is "changed" when it is replaced, added or removed, or when one of its top-level
 * fields (role, content, timestamp, toolCalls, toolResults, blocks) is reassigned. Editing inside
 * them in place (e.g. `blocks[0].text = …`, `toolCalls.push(…)`, `timestamp.setTime(…)`) is not
 * seen: replace the message (or the field) to change it.
 */
export class SaveTracker {
  readonly #bySession = new WeakMap<Session, Tracked>();
  readonly #byMessages = new WeakMap<SessionMessage[], Tracked>();

  /** Records a session the store returns or saved, at this stored version. */
  remember(session: Session, version: string, offset = 0): void {
    const t: Tracked = { version, snap: snapshot(session.messages), offset };
    this.#set(session, t);
  }

  /**
   * Records a save of a tracked session that wrote from `firstChange` on: only that part of the
   * snapshot is refreshed, so a save costs what changed.
   */
  saved(session: Session, version: string, firstChange: number): void {
    const t = this.#bySession.get(session) ?? this.#byMessages.get(session.messages);
    if (!t || t.offset !== 0 || t.snap.refs.length < firstChange) return this.remember(session, version);
    t.version = version;
    snapshot(session.messages, t.snap, firstChange);
    this.#set(session, t);
  }

  #set(session: Session, t: Tracked): void {
    this.#bySession.set(session, t);
    if (Array.isArray(session.messages)) this.#byMessages.set(session.messages, t);
  }

  /** How to save this session: the first changed message and the version it was based on. */
  plan(session: Session): SavePlan {
    const t = this.#bySession.get(session) ?? this.#byMessages.get(session.messages);
    if (!t) return { tracked: false };
    if (t.offset !== 0) return { tracked: 'partial', start: t.offset };
    const now = session.messages;
    const k = t.snap;
    const limit = Math.min(now.length, k.refs.length);
    let first = 0;
    for (; first < limit; first++) {
      const m = now[first]!;
      if (
        m !== k.refs[first] ||
        m.content !== k.contents[first] ||
        m.role !== k.roles[first] ||
        m.timestamp !== k.timestamps[first] ||
        m.toolCalls !== k.calls[first] ||
        m.toolResults !== k.results[first] ||
        m.blocks !== k.blocks[first]
      )
        break;
    }
    return { tracked: true, version: t.version, firstChange: first };
  }
}
