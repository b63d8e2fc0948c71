/**
 * The shapes of durable runs: status, stored input, outcome and persisted events.
 * @module
 */
import type { AgentEvent, Usage } from '@mixtape/core';
import type { Interrupt, InterruptAnswer } from '@mixtape/core';

/**
 * Where a run is: `queued` (waiting for a worker), `running`, `retrying` (a failure that is not
 * the user's fault, or a lost worker; it waits for its next attempt), and the ends: `completed`,
 * `interrupted` (waits for answers: resume it with a new run), `failed` (the user's fault, not
 * retried), `cancelled`, `dead` (dead letter: retries used up; `error.reason` says why).
 */
export type RunStatus = 'queued' | 'running' | 'retrying' | 'completed' | 'interrupted' | 'failed' | 'cancelled' | 'dead';

/** Statuses a run ends in. */
export const TERMINAL_STATUSES: readonly RunStatus[] = ['completed', 'interrupted', 'failed', 'cancelled', 'dead'];

/** Whether a status is an end. */
export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Run options that travel through the queue (JSON). */
export interface DurableRunOptions {
  /** Context items delimited in the system prompt. */
  context?: { description: string; value: string }[];
  /** Tools the client runs (they become interrupts). */
  clientTools?: { name: string; description: string; inputSchema: Record<string, unknown> }[];
  /** Initial / merged thread state. */
  state?: unknown;
}

/** What a run does: answer a prompt, or resume a thread's interrupted run with answers. */
export type RunInput =
  | { kind: 'prompt'; prompt: string; options?: DurableRunOptions }
  | { kind: 'resume'; answers: InterruptAnswer[]; options?: DurableRunOptions };

/** The outcome of a run that ended `completed` or `interrupted`. */
export interface RunResult {
  status: 'completed' | 'interrupted';
  text: string;
  interrupts: Interrupt[];
  usage?: Usage;
  cost?: number;
  steps?: number;
  stopReason?: string;
}

/** Why a run ended `failed`, `cancelled` or `dead`. */
export interface RunFailure {
  /** What happened, in words. */
  reason: string;
  /** Error name / kind (e.g. AgentError kind `max_steps`, ProviderError kind `server`). */
  kind?: string;
  /** Whether the failure counted as retryable (not the user's fault). */
  retryable?: boolean;
}

/** A run as read from anywhere. */
export interface RunInfo {
  id: string;
  threadId: string;
  status: RunStatus;
  input: RunInput;
  /** Attempts started so far (1 for a run that never failed). */
  attempts: number;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  result?: RunResult;
  error?: RunFailure;
  /** Free-form JSON given to `start` (e.g. the AG-UI run id). */
  metadata?: Record<string, unknown>;
}

/** Events the runs layer adds to the agent's own. */
export type DurableEvent =
  /** A worker took the run; `continued` when it picks up from the last persisted step of an earlier attempt. */
  | { type: 'run_attempt'; attempt: number; workerId: string; continued: boolean }
  /** The attempt failed for a reason that is not the user's fault; another follows. */
  | { type: 'run_retry'; attempt: number; reason: string }
  /** Deltas past the per-run event limit are no longer stored. */
  | { type: 'events_truncated'; limit: number }
  /** The last event of every run. */
  | { type: 'run_ended'; status: RunStatus; result?: RunResult; error?: RunFailure };

/** What the events table holds: the agent's events (text deltas coalesced) and the runs layer's. */
export type StoredEvent = AgentEvent | DurableEvent;

/** One persisted event of a run. `id` is its position in the run (1, 2, 3…); pass it as `after` to re-attach. */
export interface RunEvent {
  id: number;
  runId: string;
  at: Date;
  event: StoredEvent;
}
