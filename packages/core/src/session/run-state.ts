/**
 * Run state: what a paused or in-flight run keeps in the session store beside its messages —
 * open interrupts and their answers, tool calls started or finished in the current step, the
 * thread state, and the outcome of the last applied resume (for idempotent replays).
 *
 * Stores carry it through two optional {@link SessionStore} methods, `loadRunState` and
 * `saveRunState`, as one JSON document per session (see {@link runStateToJson}).
 * @module
 */
import type { ToolResultBlock } from '../messages.js';
import type { GrantScope } from '../permissions/types.js';
import { blocksFromJson, blocksToJson } from './codec.js';
import { SessionError } from './types.js';

/** JSON Schema object (as sent to clients). */
export type JSONSchema = Record<string, unknown>;

/** Content a client tool may return. */
export type InterruptResultContent = string | ToolResultBlock['content'];

/** One thing a paused run waits for. */
export interface Interrupt {
  /** Interrupt id (stable; used as the AG-UI interrupt id). */
  id: string;
  /** Approval of a server tool, or a tool the client runs. */
  reason: 'tool_call' | 'client_tool';
  toolCallId: string;
  toolName: string;
  input: unknown;
  /** Human-readable question ("Allow write_file to write notes.md?"). */
  message: string;
  /** Schema of the expected answer payload (approvals: approved, editedArgs, reason, remember). */
  responseSchema?: JSONSchema;
  /** ISO-8601; answers after it are refused (InterruptError code 'expired'). */
  expiresAt?: string;
  createdAt: string;
}

/** An answer to one interrupt. */
export type InterruptAnswer =
  | { interruptId: string; type: 'approve'; editedInput?: unknown; remember?: GrantScope }
  | { interruptId: string; type: 'deny'; reason?: string }
  | { interruptId: string; type: 'result'; content: InterruptResultContent; isError?: boolean }
  | { interruptId: string; type: 'cancel' };

/** An interrupt as stored, with the answer once one was applied. */
export interface StoredInterrupt extends Interrupt {
  answer?: InterruptAnswer;
}

/**
 * Progress of one tool call of the step in flight: `started` is written before the tool runs,
 * `done` (with its result) as soon as it finished — so a crash never runs a finished call again.
 */
export interface RunCallState {
  toolUseId: string;
  name: string;
  status: 'started' | 'done';
  result?: ToolResultBlock;
}

/** What the last applied resume produced, returned again when the same answers are replayed. */
export interface RunOutcome {
  /** Key of the answer set (canonical hash). */
  answersKey: string;
  /** `running` while the resumed run goes on (or after a crash), `failed` when it ended in an error. */
  status: 'running' | 'completed' | 'interrupted' | 'failed';
  text: string;
  interrupts: Interrupt[];
  stopReason?: string;
}

/** The run state of one session. */
export interface RunStateRecord {
  sessionId: string;
  /** Incremented by each save; `saveRunState(…, { expectedVersion })` refuses a stale write. */
  version: number;
  /** `running`: a run is (or was, before a crash) executing; `interrupted`: waiting for answers; `idle`: nothing pending. */
  status: 'interrupted' | 'running' | 'idle';
  interrupts: StoredInterrupt[];
  /** Tool calls of the step in flight (cleared once their results are in the history). */
  calls?: RunCallState[];
  /** The outcome of the last applied answer set. */
  answered?: RunOutcome;
  /** Thread state shared with tools and clients. */
  state?: unknown;
  runId?: string;
  updatedAt: string;
}

/** Options of {@link RunStateStore.saveRunState}. */
export interface SaveRunStateOptions {
  /** The version the caller read (0 when there was no record); a different stored version → SessionError 'conflict'. */
  expectedVersion?: number;
}

/** The two optional SessionStore methods that carry run state. */
export interface RunStateStore {
  loadRunState(sessionId: string): Promise<RunStateRecord | null>;
  saveRunState(sessionId: string, record: RunStateRecord, opts?: SaveRunStateOptions): Promise<void>;
}

/** The record as plain JSON (tool-result bytes as base64), for stores that keep JSON text. */
export function runStateToJson(record: RunStateRecord): unknown {
  return {
    ...record,
    ...(record.calls ? { calls: record.calls.map((c) => (c.result ? { ...c, result: blocksToJson([c.result])[0] } : c)) } : {}),
  };
}

/** Reads a record written by {@link runStateToJson}; a malformed one is a `serialization` error. */
export function runStateFromJson(value: unknown, sessionId: string): RunStateRecord {
  const bad = (what: string) =>
    new SessionError('serialization', `Session ${sessionId}: the stored run state is malformed (${what}).`, { sessionId });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not an object');
  const r = value as Record<string, unknown>;
  if (typeof r.version !== 'number' || !Number.isInteger(r.version)) throw bad('version');
  if (r.status !== 'interrupted' && r.status !== 'running' && r.status !== 'idle') throw bad('status');
  if (!Array.isArray(r.interrupts)) throw bad('interrupts');
  const record = { ...r, sessionId } as unknown as RunStateRecord;
  if (r.calls !== undefined) {
    if (!Array.isArray(r.calls)) throw bad('calls');
    record.calls = (r.calls as RunCallState[]).map((c) => {
      if (!c || typeof c.toolUseId !== 'string') throw bad('calls');
      if (!c.result) return c;
      let block;
      try {
        [block] = blocksFromJson([c.result]);
      } catch (e) {
        throw bad(`call result: ${(e as Error).message}`);
      }
      if (block?.type !== 'tool_result') throw bad('call result');
      return { ...c, result: block };
    });
  }
  return record;
}

/** Whether a store carries run state. */
export function hasRunState<S extends object>(store: S): store is S & RunStateStore {
  const s = store as Partial<RunStateStore>;
  return typeof s.loadRunState === 'function' && typeof s.saveRunState === 'function';
}
