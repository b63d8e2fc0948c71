/**
 * Session types: the seed's module (mixtape-core 0.4.0 `session.rs`) in TypeScript.
 * @module
 */
import type { RunStateRecord, SaveRunStateOptions } from './run-state.js';
import type { ContentBlock } from '../messages.js';

/** Role of a message in the conversation. */
export type MessageRole = 'user' | 'assistant' | 'system';

/** A tool call made by the assistant. */
export interface ToolCall {
  /** Unique id of this tool use. */
  id: string;
  /** Name of the tool called. */
  name: string;
  /** JSON text of the tool's input. */
  input: string;
}

/** The result of a tool call. */
export interface ToolResult {
  /** Id of the tool call this result answers. */
  toolUseId: string;
  /** Whether the tool succeeded. */
  success: boolean;
  /** Output content (text, or JSON text). */
  content: string;
}

/** A message in a session. */
export interface SessionMessage {
  role: MessageRole;
  /** Text of the message. */
  content: string;
  /** Tool calls made (assistant messages). */
  toolCalls: ToolCall[];
  /** Tool results (user messages that answer tool calls). */
  toolResults: ToolResult[];
  /** When the message was created (millisecond precision is kept). */
  timestamp: Date;
  /** Lossless content (thinking, images, documents, result status); beyond the seed. */
  blocks?: ContentBlock[];
}

/** Token and cost totals of a session. */
export interface SessionUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** US dollars; 0 when the models' prices were unknown. */
  costUsd: number;
}

/** A conversation session. */
export interface Session {
  /** Unique id (UUID v4). */
  id: string;
  createdAt: Date;
  updatedAt: Date;
  /** Directory the session belongs to. */
  directory: string;
  messages: SessionMessage[];
  /** Optional human title (see `renameSession`). */
  title?: string;
  /** Token and cost totals (see `recordUsage`). */
  usage?: SessionUsage;
  /** Id of the session this one was forked from. */
  forkedFrom?: string;
}

/** Summary of a session, for listing. */
export interface SessionSummary {
  id: string;
  directory: string;
  messageCount: number;
  createdAt: Date;
  updatedAt: Date;
  title?: string;
  usage?: SessionUsage;
}

/** Kinds of {@link SessionError}. */
export type SessionErrorKind = 'storage' | 'not_found' | 'serialization' | 'conflict';

/** An error of a session store. `kind` says what went wrong. */
export class SessionError extends Error {
  override name = 'SessionError';
  constructor(
    readonly kind: SessionErrorKind,
    message: string,
    options?: { cause?: unknown; sessionId?: string },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    if (options?.sessionId !== undefined) this.sessionId = options.sessionId;
  }
  /** The session concerned, when known. */
  sessionId?: string;

  static notFound(id: string): SessionError {
    return new SessionError('not_found', `Session not found: ${id}`, { sessionId: id });
  }
}

/** Options of {@link SessionStore.appendMessages}. */
export interface AppendOptions {
  /**
   * The number of messages the caller believes the session holds. When the stored count
   * differs, the append fails with a `conflict` SessionError instead of interleaving.
   */
  expectedCount?: number;
}

/**
 * A summary of the oldest messages of a session, made when the conversation window dropped
 * them (see `SummarizingConversationManager`). It is sent to the model in their place.
 */
export interface ConversationSummary {
  /** The summary text. */
  text: string;
  /** Messages `0 … throughIndex - 1` of the session are summarized. */
  throughIndex: number;
  createdAt: Date;
  /** Model that wrote it, when known. */
  model?: string;
}

/** Options of {@link SessionStore.loadTail}. */
export interface LoadTailOptions {
  /** Most messages to return, the newest ones (at least 1). */
  limit: number;
  /**
   * Optional: return more than `limit` when needed so the returned messages' estimated tokens
   * (see `sessionMessageTokens`) reach this many, or the whole session. A store that keeps
   * per-message estimates picks that tail without reading older rows; others may ignore it.
   */
  maxTokens?: number;
}

/** What {@link SessionStore.loadTail} returns: the newest messages and what a run needs beside them. */
export interface SessionTail {
  /** The session, whose `messages` are only the newest ones (from `start` on). */
  session: Session;
  /** Index in the whole session of `session.messages[0]`. */
  start: number;
  /** Number of messages of the whole session. */
  messageCount: number;
  /** The stored summary of older messages, if any. */
  summary?: ConversationSummary;
  /**
   * Optional: the estimated tokens of each returned message (`sessionMessageTokens`), parallel
   * to `session.messages`, when the store keeps them; a run then does not count them again.
   */
  tokens?: number[];
}

/** Options for creating a session. */
export interface CreateSessionOptions {
  /** Directory of the new session (default: the store's directory). */
  directory?: string;
  title?: string;
  messages?: SessionMessage[];
  /** Use this id instead of a new UUID (import). */
  id?: string;
  createdAt?: Date;
  forkedFrom?: string;
}

/**
 * Storage backend for sessions. The first five methods are the seed's; the rest are optional
 * capabilities every Mixtape store implements.
 */
export interface SessionStore {
  /** The newest session of the store's directory, or a new empty one. */
  getOrCreateSession(): Promise<Session>;
  /** The session with this id, or null. A corrupt row is a `serialization` error naming it. */
  getSession(id: string): Promise<Session | null>;
  /**
   * Persists the session as given. Unknown id → `not_found`. Mixtape's stores write only what
   * changed, and refuse with `conflict` to save a session they returned when the stored one
   * changed since (another process or call wrote to it): load it again and reapply.
   */
  saveSession(session: Session): Promise<void>;
  /** All sessions of the store, newest first. */
  listSessions(): Promise<SessionSummary[]>;
  /** Deletes a session and its messages. Unknown id → `not_found`. */
  deleteSession(id: string): Promise<void>;
  /** Appends messages in O(1) of the session's length. Unknown id → `not_found`. */
  appendMessages?(id: string, messages: SessionMessage[], opts?: AppendOptions): Promise<void>;
  /** Creates a new session (a fresh one, not the newest). */
  createSession?(opts?: CreateSessionOptions): Promise<Session>;
  /** Sets the session's title. */
  renameSession?(id: string, title: string): Promise<void>;
  /** Adds token and cost totals to the session. */
  recordUsage?(id: string, usage: Partial<SessionUsage>): Promise<void>;
  /**
   * The newest `limit` messages with the session's metadata, usage, message count and summary,
   * in time independent of the session's length (resume). Unknown id → null. The returned
   * session cannot be given to `saveSession` (it would drop the older messages): use
   * `appendMessages`, or `getSession` for the whole history.
   */
  loadTail?(id: string, opts: LoadTailOptions): Promise<SessionTail | null>;
  /**
   * The id `getOrCreateSession` would return (the newest session of the store's directory,
   * created when there is none), without loading its messages: with `loadTail`, resuming costs
   * the same at any length.
   */
  getOrCreateSessionId?(): Promise<string>;
  /** Stores (replaces) the summary of the session's oldest messages. Unknown id → `not_found`. */
  saveConversationSummary?(id: string, summary: ConversationSummary): Promise<void>;
  /** The session's run state (paused runs, calls in flight, thread state), or null; see `RunStateRecord`. */
  loadRunState?(sessionId: string): Promise<RunStateRecord | null>;
  /** Stores the session's run state; a stale `expectedVersion` → `conflict`, unknown session → `not_found`. */
  saveRunState?(sessionId: string, record: RunStateRecord, opts?: SaveRunStateOptions): Promise<void>;
  /** Releases resources (connections, file handles). */
  close?(): Promise<void>;
}
