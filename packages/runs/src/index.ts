/**
 * `@mixtape/runs`: durable background agent runs on PostgreSQL with pg-boss — start a run and get
 * its id at once, stream its events from any instance, cancel it, and let a pool of workers
 * execute it; a worker that dies is replaced and the run continues from its last persisted step.
 * @module
 */
export { createRuns, type Runs, type StartOptions, type EventsOptions } from './runs.js';
export {
  startWorker,
  type Worker,
  type WorkerOptions,
  type RunContext,
  type DurableAgentFactory,
  RETENTION_SWEEP_INTERVAL_MS,
} from './worker.js';
export type { RunsOptions, RunsConnection } from './backend.js';
export { RunsError, type RunsErrorKind } from './errors.js';
export { isRetryableFailure } from './classify.js';
export {
  type RunStatus,
  type RunInfo,
  type RunInput,
  type RunResult,
  type RunFailure,
  type RunEvent,
  type StoredEvent,
  type DurableEvent,
  type DurableRunOptions,
  TERMINAL_STATUSES,
  isTerminal,
} from './types.js';
export type { Interrupt, InterruptAnswer } from './core-compat.js';
export {
  DEFAULT_QUEUE_NAME,
  DEFAULT_DEAD_LETTER_QUEUE,
  DEFAULT_BOSS_SCHEMA,
  DEFAULT_RUNS_SCHEMA,
  DEFAULT_RETRY_LIMIT,
  DEFAULT_RETRY_DELAY_SECONDS,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_RUN_MS,
  DEFAULT_WORKER_CONCURRENCY,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_POLLING_INTERVAL_SECONDS,
  DEFAULT_EVENT_FLUSH_MS,
  DEFAULT_EVENT_RETENTION_MS,
  DEFAULT_MAX_EVENTS_PER_RUN,
  DEFAULT_EVENT_POLL_MS,
  EVENT_PAGE_SIZE,
  MAX_THREAD_ID_LENGTH,
  MAX_RUN_INPUT_BYTES,
  DEFAULT_LIST_LIMIT,
  DEFAULT_RUNS_POOL_SIZE,
} from './limits.js';
