/**
 * Options of {@link createServer} and their defaults. Every limit is a named, exported constant.
 * @module
 */
import type { RunAgentInput } from '@ag-ui/core';
import type { Agent, SessionStore } from '@mixtape/core';
import type { RunCoordinator } from './coordinator.js';
import type { DurableServerOptions } from './durable/executor.js';
import type { ToolQuestionSource } from './questions.js';

/** Largest request body accepted (bytes): a RunAgentInput or an approval. */
export const DEFAULT_BODY_LIMIT_BYTES = 1_048_576;
/** Longest thread id accepted (characters). */
export const MAX_THREAD_ID_LENGTH = 256;
/** Most AG-UI messages one RunAgentInput may carry (clients replay their transcript); more get 413. */
export const DEFAULT_MAX_RUN_MESSAGES = 2_000;
/** Most characters of text in one message the server reads (the new user message, a client tool result); more get 413. */
export const DEFAULT_MAX_MESSAGE_CHARS = 200_000;
/** Most client tools (`RunAgentInput.tools`) and context entries (`RunAgentInput.context`) of one run. */
export const DEFAULT_MAX_CLIENT_TOOLS = 128;
/** Interval of SSE comment lines that keep idle streams open through proxies. */
export const DEFAULT_SSE_HEARTBEAT_MS = 15_000;
/** How long graceful shutdown lets running runs finish before cancelling them. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** Path of the AG-UI endpoint (POST, RunAgentInput in, SSE or protobuf out). */
export const DEFAULT_AGENT_PATH = '/agent';
/**
 * `Host` header values accepted by default (any port): loopback names only, so a DNS-rebinding
 * page cannot reach a server on 127.0.0.1. `serve({ host })` adds a specific listen host; a
 * server behind a domain lists it in `allowedHosts`.
 */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** Who made a request, as returned by an `authenticate` hook. Threads belong to a principal. */
export interface Principal {
  /** Stable identifier of the user or client (e.g. a user id). Never shown to other principals. */
  id: string;
  /** Anything else the application wants to keep (roles, tenant…); passed to `agentFactory`. */
  [key: string]: unknown;
}

/** Decides who sent a request: a principal, or null/undefined for 401. May throw for 500. */
export type Authenticate = (request: Request) => Principal | null | undefined | Promise<Principal | null | undefined>;

/**
 * Authentication of the API:
 * - `{ token }`: every API request needs `Authorization: Bearer <token>` (one shared principal);
 * - `{ authenticate }`: the hook returns a principal per request; each principal has its own
 *   threads (another principal's thread id is a different, empty thread, and 404 on reads);
 * - `{ disabled: true }`: no auth (local use only; Host and Origin are still checked).
 */
export type ServerAuth = { token: string } | { authenticate: Authenticate } | { disabled: true };

/** What `agentFactory` is told about the run besides the session id. */
export interface AgentFactoryContext {
  /** The thread id the client sent. */
  threadId: string;
  /** Who asked (`{ id: 'token' }` with a shared token, `{ id: 'anonymous' }` without auth). */
  principal: Principal;
}

/**
 * Makes the agent of one run. It must use `sessionId` as its session id (it equals the thread id,
 * prefixed by the principal's key when `auth.authenticate` is used).
 */
export type AgentFactory = (sessionId: string, input: RunAgentInput, context: AgentFactoryContext) => Agent | Promise<Agent>;

/** Where the server reports failed runs and errors it answered with 500. */
export type ServerErrorLogger = (error: unknown, context?: { threadId?: string; runId?: string; principalId?: string }) => void;

/** Size limits of the AG-UI endpoint (defaults: the `DEFAULT_MAX_*` constants). */
export interface RunInputLimits {
  /** See {@link DEFAULT_MAX_RUN_MESSAGES}. */
  maxMessages?: number;
  /** See {@link DEFAULT_MAX_MESSAGE_CHARS}. */
  maxMessageChars?: number;
  /** See {@link DEFAULT_MAX_CLIENT_TOOLS}. */
  maxClientTools?: number;
}

/** Options of {@link createServer}. */
export interface ServerOptions {
  /**
   * Makes the agent that runs one request of a thread, e.g.
   * `(sessionId) => new Agent({ model, tools, sessionStore, sessionId, grantStore, interactive: true })`.
   * Called for every run: the agent loads the thread's history from the session store, so any
   * instance can serve any thread.
   */
  agentFactory: AgentFactory;
  /** The store the agents use; the server reads threads' messages from it (`GET /threads/:id/messages`). */
  sessionStore: SessionStore;
  /** See {@link ServerAuth}. Required: omitting it is a configuration error. */
  auth: ServerAuth;
  /**
   * How a tool call that needs a person's approval waits:
   * - `'interrupt'` (default): the run ends with an AG-UI interrupt outcome and the pending call is
   *   kept in the session store; the next RunAgentInput's `resume` answers it, on any instance.
   * - `'wait'`: the run holds its SSE stream open (CUSTOM `mixtape.permission_required`) until
   *   `POST /threads/:id/approvals/:proposalId` answers (the coordinator delivers it).
   */
  approvals?: 'interrupt' | 'wait';
  /** Largest request body (default {@link DEFAULT_BODY_LIMIT_BYTES}); larger ones get 413. */
  bodyLimitBytes?: number;
  /** Message count and size limits of a RunAgentInput. */
  limits?: RunInputLimits;
  /** `Host` values accepted (default {@link DEFAULT_ALLOWED_HOSTS}, plus the host given to `serve`); `'*'` accepts any. */
  allowedHosts?: readonly string[] | '*';
  /** Origins (`https://app.example.com`) whose browser pages may call the API besides the server's own; `'*'` any. */
  allowedOrigins?: readonly string[] | '*';
  /** Run lock and approval delivery (default: in-process {@link MemoryRunCoordinator}; use `PostgresRunCoordinator` for several instances). */
  coordinator?: RunCoordinator;
  /**
   * Durable mode: runs are queued for `@mixtape/runs` workers instead of running in this process
   * (`{ runs: createRuns({ connectionString }) }`); a POST starts a job and streams its events from
   * PostgreSQL, and a POST with an AG-UI run id that exists re-attaches to that run.
   */
  durable?: DurableServerOptions;
  /** Path of the AG-UI endpoint (default {@link DEFAULT_AGENT_PATH}). */
  agentPath?: string;
  /** Serve the web chat page at `GET /` (default true). */
  chatPage?: boolean;
  /** Stream the model's thinking as AG-UI REASONING_* events (default true). */
  streamReasoning?: boolean;
  /** See {@link DEFAULT_SSE_HEARTBEAT_MS}. */
  heartbeatMs?: number;
  /** The server's logger: every failed run and every error answered with 500 (default: console.error). */
  onError?: ServerErrorLogger;
  /**
   * Questions running tools ask a person — MCP elicitations and sampling approvals from
   * `@mixtape/mcp`'s `elicitationBroker()`, given to the MCP clients too. A run whose tool asks
   * ends its response with an AG-UI interrupt carrying the question and stays parked in this
   * process; the resume that answers it continues the same run.
   */
  questions?: ToolQuestionSource;
  /** Longest a run stays parked on an unanswered question (default `DEFAULT_QUESTION_WAIT_MS`, 10 minutes); then the question is cancelled. */
  questionWaitMs?: number;
}

/** Raised by {@link createServer} for options that cannot work. */
export class ServerConfigError extends Error {
  override name = 'ServerConfigError';
}
