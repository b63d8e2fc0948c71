/**
 * Every limit and default of `@mixtape/runs`, each a named constant.
 * @module
 */

/** pg-boss queue the runs are jobs of. */
export const DEFAULT_QUEUE_NAME = 'mixtape-runs';
/** pg-boss dead-letter queue: a run's job lands here when its retries are used up. */
export const DEFAULT_DEAD_LETTER_QUEUE = 'mixtape-runs-dead';
/** Schema of pg-boss's own tables. */
export const DEFAULT_BOSS_SCHEMA = 'pgboss';
/** Schema of the runs tables (`mixtape_runs`, `mixtape_run_events`). */
export const DEFAULT_RUNS_SCHEMA = 'public';
/** Retries of a run after failures that are not the user's fault (provider 5xx/429/network, worker death). */
export const DEFAULT_RETRY_LIMIT = 5;
/** First retry delay in seconds; doubled (with jitter) on each retry (pg-boss `retryBackoff`). */
export const DEFAULT_RETRY_DELAY_SECONDS = 2;
/**
 * How long a run's lease lasts without a heartbeat (ms). A worker renews it every third of this;
 * when a worker dies, its runs are handed to another worker at most this long (plus one reaper
 * tick) after its last heartbeat.
 */
export const DEFAULT_LEASE_MS = 30_000;
/** Longest a run may execute in one attempt (ms); pg-boss fails the job after it (`expireInSeconds`). */
export const DEFAULT_MAX_RUN_MS = 60 * 60 * 1000;
/** Runs one worker executes at once. */
export const DEFAULT_WORKER_CONCURRENCY = 4;
/** How long graceful shutdown lets runs in flight finish before handing them back to the queue (ms). */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** How often pg-boss looks for jobs when no NOTIFY woke it (seconds; pg-boss's minimum is 0.5). */
export const DEFAULT_POLLING_INTERVAL_SECONDS = 2;
/** Events are written in batches at most this often (ms); text deltas in between are coalesced. */
export const DEFAULT_EVENT_FLUSH_MS = 50;
/** Events of runs that ended longer ago than this are deleted (ms; 7 days). The runs' rows stay. */
export const DEFAULT_EVENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** Events kept per run; past it, text and thinking deltas are dropped (one `events_truncated` marker says so). */
export const DEFAULT_MAX_EVENTS_PER_RUN = 10_000;
/** A live `events()` tail re-reads at least this often even when no NOTIFY arrived (ms). */
export const DEFAULT_EVENT_POLL_MS = 1_000;
/** Events read per query by `events()`. */
export const EVENT_PAGE_SIZE = 500;
/** Longest thread id accepted (characters). */
export const MAX_THREAD_ID_LENGTH = 256;
/** Largest run input accepted (bytes of JSON: prompt, options, answers). */
export const MAX_RUN_INPUT_BYTES = 1_048_576;
/** Runs returned by `list(threadId)` when no limit is given, and the most it returns. */
export const DEFAULT_LIST_LIMIT = 100;
/** Size of the pool made from a connection string. */
export const DEFAULT_RUNS_POOL_SIZE = 10;
