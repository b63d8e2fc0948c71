/**
 * Options of {@link createServer} and their defaults.
 * @module
 */
import type { RunAgentInput } from '@ag-ui/core';
import type { Agent, SessionStore } from '@mixtape/core';
import type { RunCoordinator } from './coordinator.js';

/** Largest request body accepted (bytes): a RunAgentInput or an approval. */
export const DEFAULT_BODY_LIMIT_BYTES = 1_048_576;
/** Longest thread id accepted (characters). */
export const MAX_THREAD_ID_LENGTH = 256;
/** Interval of SSE comment lines that keep idle streams (e.g. waiting for an approval) open through proxies. */
export const DEFAULT_SSE_HEARTBEAT_MS = 15_000;
/** How long graceful shutdown lets running runs finish before cancelling them. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** Path of the AG-UI endpoint (POST, RunAgentInput in, SSE out). */
export const DEFAULT_AGENT_PATH = '/agent';

/** Authentication of the API: a bearer token, or explicitly none. */
export type ServerAuth = { token: string } | { disabled: true };

/** Makes the agent of one thread. It must use the thread id as its session id. */
export type AgentFactory = (threadId: string, input: RunAgentInput) => Agent | Promise<Agent>;

/** Options of {@link createServer}. */
export interface ServerOptions {
  /**
   * Makes the agent that runs one request of a thread, e.g.
   * `(threadId) => new Agent({ model, tools, sessionStore, sessionId: threadId })`.
   * Called for every run: the agent loads the thread's history from the session store, so any
   * instance can serve any thread.
   */
  agentFactory: AgentFactory;
  /** The store the agents use; the server reads threads' messages from it (`GET /threads/:id/messages`). */
  sessionStore: SessionStore;
  /** `{ token }`: every API request needs `Authorization: Bearer <token>`. `{ disabled: true }`: no auth (local use only). */
  auth: ServerAuth;
  /** Largest request body (default {@link DEFAULT_BODY_LIMIT_BYTES}); larger ones get 413. */
  bodyLimitBytes?: number;
  /** Run lock and approval delivery (default: in-process {@link MemoryRunCoordinator}; use `PostgresRunCoordinator` for several instances). */
  coordinator?: RunCoordinator;
  /** Path of the AG-UI endpoint (default {@link DEFAULT_AGENT_PATH}). */
  agentPath?: string;
  /** Serve the web chat page at `GET /` (default true). */
  chatPage?: boolean;
  /** Stream the model's thinking as AG-UI REASONING_* events (default true). */
  streamReasoning?: boolean;
  /** See {@link DEFAULT_SSE_HEARTBEAT_MS}. */
  heartbeatMs?: number;
  /** Called with errors the server answered with 500, for logging (default: console.error). */
  onError?: (error: unknown) => void;
}

/** Raised by {@link createServer} for options that cannot work. */
export class ServerConfigError extends Error {
  override name = 'ServerConfigError';
}
