/**
 * Moving sessions between stores and machines: export to versioned JSON, import from it, and
 * fork a session at a message. Works with any {@link SessionStore} that has `createSession`.
 * @module
 */
import { z } from 'zod';
import { blocksFromJson, blocksToJson, jsonType } from './codec.js';
import { type Session, type SessionMessage, type SessionStore, type SessionUsage, SessionError } from './types.js';

/** The `format` field of a session export. */
export const SESSION_EXPORT_FORMAT = 'mixtape.session';
/** The export version this Mixtape writes and reads. */
export const SESSION_EXPORT_VERSION = 1;

/** A message in a session export: dates are ISO text, bytes are `{ "$bytes": "<base64>" }`. */
export interface ExportedMessage {
  role: SessionMessage['role'];
  content: string;
  toolCalls: SessionMessage['toolCalls'];
  toolResults: SessionMessage['toolResults'];
  /** ISO 8601 with milliseconds, e.g. `2026-11-25T14:20:17.123Z`. */
  timestamp: string;
  blocks?: unknown[];
}

/** A session in a session export. */
export interface ExportedSession {
  id: string;
  directory: string;
  createdAt: string;
  updatedAt: string;
  title?: string;
  forkedFrom?: string;
  usage?: SessionUsage;
  messages: ExportedMessage[];
}

/** The versioned JSON document written by {@link exportSession}. `JSON.stringify` it to save it. */
export interface SessionExport {
  format: typeof SESSION_EXPORT_FORMAT;
  version: typeof SESSION_EXPORT_VERSION;
  /** When the export was made (ISO 8601). */
  exportedAt: string;
  session: ExportedSession;
}

/** A store that can create sessions (every Mixtape store can). */
export type CreatingSessionStore = SessionStore & Required<Pick<SessionStore, 'createSession'>>;

function requireCreate(store: SessionStore, what: string): asserts store is CreatingSessionStore {
  if (typeof store.createSession !== 'function') {
    throw new TypeError(`${what} needs a store with createSession(); every Mixtape store has it, a custom store must implement it.`);
  }
}

/** Converts a session to its export form (a plain JSON value). */
export function sessionToExport(session: Session, exportedAt: Date = new Date()): SessionExport {
  const s: ExportedSession = {
    id: session.id,
    directory: session.directory,
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
    messages: session.messages.map((m) => {
      const out: ExportedMessage = {
        role: m.role,
        content: m.content,
        toolCalls: m.toolCalls.map((c) => ({ ...c })),
        toolResults: m.toolResults.map((r) => ({ ...r })),
        timestamp: m.timestamp.toISOString(),
      };
      if (m.blocks) out.blocks = structuredClone(blocksToJson(m.blocks));
      return out;
    }),
  };
  if (session.title !== undefined) s.title = session.title;
  if (session.forkedFrom !== undefined) s.forkedFrom = session.forkedFrom;
  if (session.usage !== undefined) s.usage = { ...session.usage };
  return { format: SESSION_EXPORT_FORMAT, version: SESSION_EXPORT_VERSION, exportedAt: exportedAt.toISOString(), session: s };
}

/**
 * Exports a session as versioned JSON (`{ format: 'mixtape.session', version: 1, session }`).
 * Unknown id → SessionError `not_found`.
 */
export async function exportSession(store: SessionStore, id: string): Promise<SessionExport> {
  const session = await store.getSession(id);
  if (!session) throw SessionError.notFound(id);
  return sessionToExport(session);
}

// ---- validation of imports ----------------------------------------------------------------

/** The zod schema of an export, built on the first import (not when @mixtape/core loads). */
function buildExportSchema() {
  const isoDate = z.iso.datetime({ offset: true });
  const binary = z.union([z.string(), z.object({ $bytes: z.base64() })]);
  const resultContent = z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('text'), text: z.string() }),
    z.looseObject({ type: z.literal('json'), value: z.unknown() }),
    z.looseObject({ type: z.literal('image'), mediaType: z.string(), data: binary }),
    z.looseObject({ type: z.literal('document'), mediaType: z.string(), data: binary, name: z.string().optional() }),
  ]);
  const block = z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('text'), text: z.string() }),
    z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }),
    z.looseObject({ type: z.literal('tool_result'), toolUseId: z.string(), content: z.array(resultContent), isError: z.boolean() }),
    z.looseObject({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().optional() }),
    z.looseObject({ type: z.literal('redacted_thinking'), data: z.string() }),
    z.looseObject({ type: z.literal('image'), mediaType: z.string(), data: binary }),
    z.looseObject({ type: z.literal('document'), mediaType: z.string(), data: binary, name: z.string().optional() }),
  ]);
  const count = z.number().nonnegative();
  return z.object({
    format: z.literal(SESSION_EXPORT_FORMAT),
    version: z.literal(SESSION_EXPORT_VERSION),
    exportedAt: isoDate.optional(),
    session: z.object({
      id: z.string().min(1),
      directory: z.string(),
      createdAt: isoDate,
      updatedAt: isoDate,
      title: z.string().optional(),
      forkedFrom: z.string().optional(),
      usage: z
        .object({ inputTokens: count, outputTokens: count, cacheReadTokens: count, cacheWriteTokens: count, costUsd: count })
        .optional(),
      messages: z.array(
        z.object({
          role: z.enum(['user', 'assistant', 'system']),
          content: z.string(),
          toolCalls: z.array(z.object({ id: z.string(), name: z.string(), input: z.string() })),
          toolResults: z.array(z.object({ toolUseId: z.string(), success: z.boolean(), content: z.string() })),
          timestamp: isoDate,
          blocks: z.array(block).optional(),
        }),
      ),
    }),
  });
}

let exportSchema: ReturnType<typeof buildExportSchema> | undefined;

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

/**
 * Checks and decodes a session export (the object, or its JSON text). Throws a SessionError of
 * kind `serialization` that names the first problems found (with their paths), and refuses
 * exports written by a newer Mixtape with a message that says to upgrade.
 */
export function parseSessionExport(input: unknown): Session {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new SessionError('serialization', `Session import: the text is not valid JSON (${(e as Error).message}).`, { cause: e });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SessionError(
      'serialization',
      `Session import: expected a JSON object with format "${SESSION_EXPORT_FORMAT}", got ${jsonType(value)}.`,
    );
  }
  const head = value as { format?: unknown; version?: unknown };
  if (head.format !== SESSION_EXPORT_FORMAT) {
    throw new SessionError(
      'serialization',
      `Session import: this is not a Mixtape session export (format is ${JSON.stringify(head.format) ?? 'missing'}, expected "${SESSION_EXPORT_FORMAT}").`,
    );
  }
  if (typeof head.version === 'number' && Number.isInteger(head.version) && head.version > SESSION_EXPORT_VERSION) {
    throw new SessionError(
      'serialization',
      `Session import: the export is format version ${head.version}, written by a newer Mixtape; this one reads version ${SESSION_EXPORT_VERSION} only. Upgrade @mixtape/core to import it.`,
    );
  }
  const parsed = (exportSchema ??= buildExportSchema()).safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${formatPath(i.path)}: ${i.message}`);
    const more = parsed.error.issues.length > 5 ? ` (and ${parsed.error.issues.length - 5} more)` : '';
    throw new SessionError('serialization', `Session import: the export is invalid: ${issues.join('; ')}${more}.`, { cause: parsed.error });
  }
  const s = parsed.data.session;
  const session: Session = {
    id: s.id,
    directory: s.directory,
    createdAt: new Date(s.createdAt),
    updatedAt: new Date(s.updatedAt),
    messages: s.messages.map((m) => {
      const out: SessionMessage = {
        role: m.role,
        content: m.content,
        toolCalls: m.toolCalls,
        toolResults: m.toolResults,
        timestamp: new Date(m.timestamp),
      };
      if (m.blocks) out.blocks = blocksFromJson(m.blocks);
      return out;
    }),
  };
  if (s.title !== undefined) session.title = s.title;
  if (s.forkedFrom !== undefined) session.forkedFrom = s.forkedFrom;
  if (s.usage !== undefined) session.usage = s.usage;
  return session;
}

/** Options of {@link importSession}. */
export interface ImportSessionOptions {
  /** Keep the exported session's id (default false: the import gets a new id). An id already in the store → `conflict`. */
  keepId?: boolean;
  /** Directory of the imported session (default: the exported session's directory). */
  directory?: string;
  /** Title of the imported session (default: the exported title). */
  title?: string;
}

/**
 * Imports a session export (object or JSON text) into a store and returns the new session.
 * Messages, timestamps (with milliseconds), title, fork origin and usage totals are kept.
 * Invalid input → SessionError `serialization` naming what is wrong.
 */
export async function importSession(store: SessionStore, input: unknown, opts: ImportSessionOptions = {}): Promise<Session> {
  requireCreate(store, 'importSession');
  const data = parseSessionExport(input);
  const title = opts.title ?? data.title;
  const created = await store.createSession({
    ...(opts.keepId ? { id: data.id } : {}),
    directory: opts.directory ?? data.directory,
    createdAt: data.createdAt,
    messages: data.messages,
    ...(title !== undefined ? { title } : {}),
    ...(data.forkedFrom !== undefined ? { forkedFrom: data.forkedFrom } : {}),
  });
  if (data.usage && store.recordUsage && Object.values(data.usage).some((v) => v !== 0)) {
    await store.recordUsage(created.id, data.usage);
    created.usage = { ...data.usage };
  }
  return created;
}

/** Options of {@link forkSession}. */
export interface ForkSessionOptions {
  /** Number of messages the fork keeps from the start (default: all of them). */
  atMessage?: number;
  /** Title of the fork (default: the source's title followed by " (fork)", when it has one). */
  title?: string;
  /** Directory of the fork (default: the source's directory, where the fork becomes the newest session). */
  directory?: string;
}

/**
 * Creates a new session holding the first `atMessage` messages of another (all by default),
 * in the same directory unless `directory` says otherwise, with `forkedFrom` set to the
 * source's id. The source is unchanged. In the source's directory the fork is now the newest
 * session, so `getOrCreateSession` resumes the fork.
 * Unknown id → `not_found`; `atMessage` outside 0…message count → RangeError.
 *
 * A fork that ends with an assistant tool call has no result for it yet; the agent repairs
 * that on load (see `repairSessionMessages`).
 */
export async function forkSession(store: SessionStore, id: string, opts: ForkSessionOptions = {}): Promise<Session> {
  requireCreate(store, 'forkSession');
  const source = await store.getSession(id);
  if (!source) throw SessionError.notFound(id);
  const n = opts.atMessage ?? source.messages.length;
  if (!Number.isInteger(n) || n < 0 || n > source.messages.length) {
    throw new RangeError(
      `forkSession: atMessage must be an integer from 0 to ${source.messages.length} (the session's message count), got ${n}.`,
    );
  }
  const title = opts.title ?? (source.title !== undefined ? `${source.title} (fork)` : undefined);
  return store.createSession({
    directory: opts.directory ?? source.directory,
    messages: source.messages.slice(0, n),
    forkedFrom: source.id,
    ...(title !== undefined ? { title } : {}),
  });
}
