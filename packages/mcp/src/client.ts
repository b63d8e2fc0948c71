/**
 * `McpClient`: one connection to one MCP server, opened lazily, reopened after the server dies,
 * closed without leaving child processes behind.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ToolContext } from '@mixtape/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolResultSchema,
  ErrorCode,
  McpError,
  UrlElicitationRequiredError,
  type CallToolResult,
  type GetPromptResult,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type ServerCapabilities,
  type Tool as McpToolDefinition,
} from '@modelcontextprotocol/sdk/types.js';
import {
  clientCapabilities,
  registerClientFeatures,
  type McpClientFeatures,
  type McpHandlerExtra,
  type McpRootsSource,
} from './client-features.js';
import { StoredOAuthProvider, type McpOAuthOptions } from './oauth/provider.js';
import {
  DEFAULT_MCP_CONNECT_TIMEOUT_MS,
  DEFAULT_MCP_STDERR_TAIL_BYTES,
  DEFAULT_MCP_TOOL_TIMEOUT_MS,
  validateServerConfig,
  type McpServerConfig,
} from './config.js';
import { McpConnectionError, McpToolError } from './errors.js';
import { isolatedAbortFetch } from './request-signal.js';

/** Longest wait for a killed stdio server to be reaped after the SDK's own shutdown steps. */
export const DEFAULT_MCP_EXIT_WAIT_MS = 5_000;

/** A tool as the server lists it (original name, the server's JSON Schema). */
export type McpToolInfo = McpToolDefinition;

/** Which wire protocol a connected client speaks. */
export type McpTransportKind = 'stdio' | 'streamable-http' | 'sse';

/** Options of {@link McpClient}: its name, its client features (roots, sampling, elicitation, ...) and OAuth. */
export interface McpClientOptions extends McpClientFeatures {
  /** Name and version this client announces in `initialize` (default `mixtape` / package version). */
  clientInfo?: { name: string; version: string };
  /**
   * OAuth 2.1 for remote servers that answer 401 (discovery, dynamic client registration, PKCE,
   * refresh: all by the SDK); credentials are kept in `oauth.store`.
   */
  oauth?: McpOAuthOptions;
}

/** Options of {@link McpClient.callTool}. */
export interface McpCallOptions {
  /** Aborting it cancels the request (the server gets `notifications/cancelled`). */
  signal?: AbortSignal;
  /** Overrides the server's `timeoutMs` for this call. */
  timeoutMs?: number;
  /**
   * Whether the call may be sent again when the server dies while it runs (a new process would
   * run it a second time). Default: what the last `listTools` said (the tool declares
   * `idempotentHint` or `readOnlyHint`), else false — such a call fails with
   * {@link McpToolError} kind `interrupted`. {@link McpTool} passes its own annotations.
   */
  retrySafe?: boolean;
  /** Run the call as an MCP task (for tools with `execution.taskSupport: 'required'`). */
  task?: boolean;
  /** The agent's tool-call id, passed to `onProgress`. */
  toolUseId?: string;
  /**
   * The agent tool call making this call ({@link McpTool} passes its context): requests the
   * server sends during it (sampling, elicitation) name it as `McpRequestContext.call`.
   */
  call?: ToolContext;
  /** Progress of this call (besides the client's `onProgress`): McpTool reports it as the agent's `tool_progress` event. */
  onProgress?: (update: { progress: number; total?: number; message?: string }) => void;
}

interface Connection {
  client: Client;
  transport: Transport;
  kind: McpTransportKind;
  /** Resolves when the transport closed (for stdio: the child process was reaped). */
  closed: Promise<void>;
  /** Set when we close it on purpose: calls cut short by that are not retried. */
  closing: boolean;
  /** Set once the transport reported that it closed (the server is gone). */
  isClosed: boolean;
  /** Tool calls in flight on this connection (for attributing the server's requests). */
  calls: Set<CallScope>;
  /** Task-based calls by task id. */
  tasks: Map<string, CallScope>;
}

/** A tool call with everything its attempts share. */
interface PreparedCall {
  name: string;
  args: Record<string, unknown>;
  options: McpCallOptions;
  requestOptions: RequestOptions;
  scope: CallScope;
  policy: { retrySafe: boolean; tool: string };
  timeoutMs: number;
}

/** One tool call in flight, as the async context of everything it does. */
interface CallScope {
  call: ToolContext | undefined;
  /** When the call times out (epoch ms). */
  deadline: number;
}

/**
 * The tool call whose async context code runs in. The Streamable HTTP transport reads a call's
 * response stream (where the server sends the requests related to that call) inside the call's
 * context, so a request handler finds the call here; connections are opened outside any call.
 */
const callScope = new AsyncLocalStorage<CallScope>();

/**
 * Streamable HTTP calls in flight in this process. On Node 20 an enabled AsyncLocalStorage makes
 * every await of the whole process slower (about 2.5×), so the call context is enabled only
 * while such a call runs, and disabled when the last one ends.
 */
let httpCallsInFlight = 0;

async function inCallScope<T>(scope: CallScope, fn: () => Promise<T>): Promise<T> {
  httpCallsInFlight++;
  try {
    return await callScope.run(scope, fn);
  } finally {
    if (--httpCallsInFlight === 0) callScope.disable();
  }
}

const CLIENT_INFO = { name: 'mixtape', version: '0.1.0' };

/** A `tools/call` answer as a `CallToolResult`; a 2024-10-07 server's `{ toolResult }` is shown as JSON. */
function plainResult(result: Awaited<ReturnType<Client['callTool']>>): CallToolResult {
  if ('toolResult' in result) return { content: [{ type: 'text', text: JSON.stringify(result.toolResult) }] } satisfies CallToolResult;
  return result;
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(typeof reason === 'string' ? reason : 'The operation was aborted.');
  error.name = 'AbortError';
  return error;
}

/**
 * True for failures that mean the connection is gone (the server exited, the HTTP session
 * expired, the server cannot be reached), after which a fresh connection may succeed.
 */
function isConnectionLost(error: unknown): boolean {
  if (error instanceof McpError) return error.code === (ErrorCode.ConnectionClosed as number);
  if (error instanceof StreamableHTTPError) return error.code === 404;
  if (error instanceof UnauthorizedError) return false;
  if (error instanceof Error)
    return error.message === 'Not connected' || error.message === 'fetch failed' || /EPIPE|ECONNRESET|ECONNREFUSED/.test(error.message);
  return false;
}

/**
 * True for connection failures that prove the request never reached a server (refused, the
 * pipe was already closed, the HTTP session was unknown): sending it again runs it once.
 */
function neverDelivered(error: unknown): boolean {
  if (error instanceof StreamableHTTPError) return error.code === 404;
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return error.message === 'Not connected' || code === 'ECONNREFUSED' || code === 'EPIPE' || /ECONNREFUSED|EPIPE/.test(error.message);
}

/** Whether a failed Streamable HTTP `initialize` should be retried over the older HTTP+SSE transport. */
function shouldFallBackToSse(error: unknown): boolean {
  // The MCP spec's backwards-compatibility rule: a 4xx answer to the initialize POST means an
  // old server. 401/403 are authentication failures that SSE would hit as well.
  return (
    error instanceof StreamableHTTPError &&
    error.code !== undefined &&
    error.code >= 400 &&
    error.code < 500 &&
    error.code !== 401 &&
    error.code !== 403
  );
}

/**
 * The tool call a server's request belongs to: the call whose response stream carried it
 * (Streamable HTTP), the call of its related task, else the only call in flight; undefined
 * when that cannot be told.
 */
function callOf(connection: Connection, extra: McpHandlerExtra): CallScope | undefined {
  const scope = callScope.getStore();
  if (scope && connection.calls.has(scope)) return scope;
  const task = extra.taskId !== undefined ? connection.tasks.get(extra.taskId) : undefined;
  if (task) return task;
  if (connection.calls.size !== 1) return undefined;
  const [only] = connection.calls;
  return only;
}

/**
 * A connection to one MCP server.
 *
 * - Lazy: nothing starts until the first `connect`, `listTools` or `callTool`.
 * - `connect()` is idempotent; concurrent callers share one attempt.
 * - When the server dies (stdio child exits, HTTP session expires), the next call reconnects
 *   once and goes on. A tool call in flight when the connection is lost may already have run:
 *   it is sent again only when `retrySafe` (the tool is idempotent or read-only), otherwise it
 *   fails with {@link McpToolError} kind `interrupted` — nothing runs twice.
 * - Client features: roots, sampling, elicitation (form and URL), logging, progress and change
 *   notifications, through the callbacks of {@link McpClientOptions}.
 * - OAuth 2.1 for remote servers with {@link McpClientOptions.oauth}.
 * - `close()` ends the session and, for stdio, the child process (stdin closed, then SIGTERM,
 *   then SIGKILL) and waits until it has exited. A closed client reconnects if used again.
 *
 * @example
 * const client = new McpClient({ name: 'files', transport: { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'] } });
 * const tools = await client.listTools();
 * const result = await client.callTool('list_directory', { path: '.' });
 * await client.close();
 */
export class McpClient {
  readonly config: McpServerConfig;
  readonly #clientInfo: { name: string; version: string };
  readonly #options: McpClientOptions;
  #roots: McpRootsSource | undefined;
  readonly #subscriptions = new Map<string, Set<(uri: string) => void>>();
  /** Tools the last listing said are safe to send again (idempotent or read-only). */
  readonly #retrySafeTools = new Set<string>();
  #connection: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
  #stderrTail = '';

  constructor(config: McpServerConfig, options: McpClientOptions = {}) {
    this.config = validateServerConfig(config);
    this.#clientInfo = options.clientInfo ?? CLIENT_INFO;
    this.#options = options;
    this.#roots = options.roots;
  }

  /** The client's options (features, OAuth). */
  get options(): McpClientOptions {
    return this.#options;
  }

  /** The server's configured name. */
  get name(): string {
    return this.config.name;
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.#connection !== undefined;
  }

  /** Process id of the stdio server's child process while connected. */
  get pid(): number | undefined {
    const transport = this.#connection?.transport;
    return transport instanceof StdioClientTransport ? (transport.pid ?? undefined) : undefined;
  }

  /** The protocol of the open connection (`streamable-http` or, after fallback, `sse`). */
  get transportKind(): McpTransportKind | undefined {
    return this.#connection?.kind;
  }

  /** The server's name and version from `initialize`, once connected. */
  get serverInfo(): { name: string; version: string } | undefined {
    return this.#connection?.client.getServerVersion();
  }

  /** The server's instructions from `initialize`, if it sent any. */
  get instructions(): string | undefined {
    return this.#connection?.client.getInstructions();
  }

  /** What the server declared in `initialize`, once connected. */
  get serverCapabilities(): ServerCapabilities | undefined {
    return this.#connection?.client.getServerCapabilities();
  }

  /**
   * Replaces the roots (e.g. the tools' root moved) and tells a connected server
   * (`notifications/roots/list_changed`). Needs `roots` in the options to have been given, so
   * that the capability was declared.
   */
  async setRoots(roots: McpRootsSource): Promise<void> {
    if (this.#options.roots === undefined) {
      throw new McpConnectionError(
        this.name,
        `MCP client '${this.name}' was created without 'roots', so it did not offer roots to the server; pass roots in the options.`,
      );
    }
    this.#roots = roots;
    const connection = this.#connection;
    if (connection) await connection.client.sendRootsListChanged();
  }

  /** The last bytes the stdio server wrote to stderr (when `stderr` is `'pipe'`). */
  get stderrTail(): string {
    return this.#stderrTail;
  }

  /** Connects if not connected. Throws {@link McpConnectionError} naming the server. */
  async connect(): Promise<void> {
    await this.#ensure();
  }

  /** Lists every tool of the server (all pages), with original names. */
  async listTools(options: { signal?: AbortSignal } = {}): Promise<McpToolInfo[]> {
    return this.#withReconnect(
      options.signal,
      async (client) => {
        const tools: McpToolInfo[] = [];
        let cursor: string | undefined;
        do {
          const page = await client.listTools(cursor !== undefined ? { cursor } : undefined, {
            ...(options.signal ? { signal: options.signal } : {}),
            timeout: this.config.connectTimeoutMs ?? DEFAULT_MCP_CONNECT_TIMEOUT_MS,
          });
          tools.push(...page.tools);
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        this.#retrySafeTools.clear();
        for (const t of tools)
          if (t.annotations?.idempotentHint === true || t.annotations?.readOnlyHint === true) this.#retrySafeTools.add(t.name);
        return tools;
      },
      { retrySafe: true },
    );
  }

  /**
   * Calls a tool by its original name and returns the server's `CallToolResult` as is
   * (`isError` results included; {@link mapCallToolResult} turns them into errors).
   * A tool that needs a URL elicitation first (error -32042) is called again once after the
   * person accepted every URL through `onElicitation`.
   */
  callTool(name: string, args: Record<string, unknown>, options: McpCallOptions = {}): Promise<CallToolResult> {
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs ?? DEFAULT_MCP_TOOL_TIMEOUT_MS;
    const requestOptions = this.#requestOptions(name, timeoutMs, options);
    const scope: CallScope = { call: options.call, deadline: Date.now() + timeoutMs };
    const policy = { retrySafe: options.retrySafe ?? this.#retrySafeTools.has(name), tool: name };
    const call: PreparedCall = { name, args, options, requestOptions, scope, policy, timeoutMs };
    const connection = this.#connection;
    // The common case — an open stdio or HTTP+SSE connection, a plain call — as one promise
    // chain: every async layer (reconnect loop, scope, mapping) costs a few µs per call, which
    // is most of the overhead over the bare SDK client. Failures take the full path below.
    if (connection && !connection.isClosed && !options.task && connection.kind !== 'streamable-http' && !options.signal?.aborted) {
      connection.calls.add(scope);
      return connection.client.callTool({ name, arguments: args }, undefined, requestOptions).then(
        (result) => {
          connection.calls.delete(scope);
          return plainResult(result);
        },
        (error: unknown) => {
          connection.calls.delete(scope);
          return this.#recoverCall(error, connection, call).catch((final: unknown) => this.#afterCallFailure(final, call));
        },
      );
    }
    return this.#callOnce(call, 0).catch((error: unknown) => this.#afterCallFailure(error, call));
  }

  /** The SDK request options of a call: its signal, timeout and progress handlers. */
  #requestOptions(name: string, timeoutMs: number, options: McpCallOptions): RequestOptions {
    const requestOptions: RequestOptions = { timeout: timeoutMs };
    if (options.signal) requestOptions.signal = options.signal;
    const onProgress = this.#options.onProgress;
    const onCallProgress = options.onProgress;
    if (onProgress || onCallProgress) {
      requestOptions.resetTimeoutOnProgress = true;
      requestOptions.onprogress = (p) => {
        onCallProgress?.({
          progress: p.progress,
          ...(p.total !== undefined ? { total: p.total } : {}),
          ...(p.message !== undefined ? { message: p.message } : {}),
        });
        onProgress?.({
          server: this.name,
          tool: name,
          ...(options.toolUseId !== undefined ? { toolUseId: options.toolUseId } : {}),
          progress: p.progress,
          ...(p.total !== undefined ? { total: p.total } : {}),
          ...(p.message !== undefined ? { message: p.message } : {}),
        });
      };
    }
    return requestOptions;
  }

  /** One attempt of a call through the reconnect loop (starting at `attempt`). */
  #callOnce({ name, args, options, requestOptions, scope, policy }: PreparedCall, attempt: number): Promise<CallToolResult> {
    return this.#withReconnect(
      options.signal,
      async (client, connection) => {
        connection.calls.add(scope);
        try {
          const call = () =>
            options.task
              ? this.#callAsTask(client, connection, scope, name, args, requestOptions)
              : this.#callPlain(client, name, args, requestOptions);
          // Only Streamable HTTP carries related requests on the call's own stream. Elsewhere the
          // async context would tell nothing: it is not entered there (see httpCallsInFlight).
          return await (connection.kind === 'streamable-http' ? inCallScope(scope, call) : call());
        } finally {
          connection.calls.delete(scope);
        }
      },
      policy,
      attempt,
    );
  }

  /**
   * A failed call's last chances: a tool that needs a URL elicitation first (error -32042) is
   * called again once after the person accepted every URL; SDK errors become {@link McpToolError}.
   */
  async #afterCallFailure(error: unknown, call: PreparedCall): Promise<CallToolResult> {
    try {
      if (!(error instanceof UrlElicitationRequiredError) || !(await this.#elicitUrls(error, call.options.signal, call.options.call)))
        throw error;
      return await this.#callOnce(call, 0);
    } catch (failure) {
      throw this.#callError(failure, call.name, call.timeoutMs);
    }
  }

  /** An SDK protocol error of a call as a {@link McpToolError} (others as they are). */
  #callError(error: unknown, name: string, timeoutMs: number): unknown {
    if (!(error instanceof McpError)) return error;
    if (error.code === (ErrorCode.RequestTimeout as number)) {
      return new McpToolError(
        this.name,
        name,
        `MCP tool '${name}' on server '${this.name}' did not answer within ${timeoutMs} ms.`,
        'timeout',
        {
          cause: error,
        },
      );
    }
    return new McpToolError(this.name, name, `MCP server '${this.name}' refused the call of tool '${name}': ${error.message}`, 'protocol', {
      cause: error,
    });
  }

  /**
   * After the fast path's request failed on `connection`: the reconnect loop's rules decide
   * (throw, or `retry` on a new connection as its second attempt).
   */
  async #recoverCall(error: unknown, connection: Connection, call: PreparedCall): Promise<CallToolResult> {
    await this.#afterFailure(error, connection, false, 0, call.options.signal, call.policy);
    return this.#callOnce(call, 1);
  }

  async #callPlain(client: Client, name: string, args: Record<string, unknown>, options: RequestOptions): Promise<CallToolResult> {
    return plainResult(await client.callTool({ name, arguments: args }, undefined, options));
  }

  /** Runs a tool as an MCP task (create, poll, result) with the SDK's task API; aborting cancels the task. */
  async #callAsTask(
    client: Client,
    connection: Connection,
    scope: CallScope,
    name: string,
    args: Record<string, unknown>,
    options: RequestOptions,
  ): Promise<CallToolResult> {
    let taskId: string | undefined;
    const signal = options.signal;
    const cancel = () => {
      if (taskId !== undefined) {
        // Best effort: the server may already have finished or forgotten the task.
        client.experimental.tasks.cancelTask(taskId).catch(() => undefined);
      }
    };
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      for await (const message of client.experimental.tasks.callToolStream({ name, arguments: args }, CallToolResultSchema, {
        ...options,
        task: {},
      })) {
        if (message.type === 'taskCreated') {
          taskId = message.task.taskId;
          connection.tasks.set(taskId, scope);
        } else if (message.type === 'result') return message.result;
        else if (message.type === 'error') throw message.error;
      }
      throw new McpToolError(this.name, name, `MCP task of tool '${name}' on server '${this.name}' ended without a result.`, 'protocol');
    } finally {
      signal?.removeEventListener('abort', cancel);
      if (taskId !== undefined) connection.tasks.delete(taskId);
    }
  }

  /** Asks the person for each URL of a -32042 error; true when every one was accepted. */
  async #elicitUrls(error: UrlElicitationRequiredError, signal: AbortSignal | undefined, call: ToolContext | undefined): Promise<boolean> {
    const ask = this.#options.onElicitation;
    if (!ask || error.elicitations.length === 0) return false;
    for (const elicitation of error.elicitations) {
      const answer = await ask(
        { ...elicitation, mode: 'url' },
        { server: this.name, signal: signal ?? new AbortController().signal, ...(call ? { call } : {}) },
      );
      if (answer.action !== 'accept') return false;
    }
    return true;
  }

  /** Lists every resource of the server (all pages). */
  async listResources(options: { signal?: AbortSignal } = {}): Promise<Resource[]> {
    return this.#paged(options.signal, async (client, cursor) => {
      const page = await client.listResources(cursor !== undefined ? { cursor } : undefined, this.#listOptions(options.signal));
      return { items: page.resources, next: page.nextCursor };
    });
  }

  /** Lists every resource template of the server (all pages). */
  async listResourceTemplates(options: { signal?: AbortSignal } = {}): Promise<ResourceTemplate[]> {
    return this.#paged(options.signal, async (client, cursor) => {
      const page = await client.listResourceTemplates(cursor !== undefined ? { cursor } : undefined, this.#listOptions(options.signal));
      return { items: page.resourceTemplates, next: page.nextCursor };
    });
  }

  /** Reads one resource (or a URI made from a template). */
  async readResource(uri: string, options: { signal?: AbortSignal } = {}): Promise<ReadResourceResult> {
    return this.#withReconnect(options.signal, (client) => client.readResource({ uri }, this.#listOptions(options.signal)), {
      retrySafe: true,
    });
  }

  /**
   * Subscribes to changes of a resource (`resources/subscribe`); `onUpdate` runs on each
   * `notifications/resources/updated` for it. Returns a function that unsubscribes.
   */
  async subscribeResource(uri: string, onUpdate: (uri: string) => void): Promise<() => Promise<void>> {
    let listeners = this.#subscriptions.get(uri);
    const first = listeners === undefined;
    if (!listeners) {
      listeners = new Set();
      this.#subscriptions.set(uri, listeners);
    }
    listeners.add(onUpdate);
    if (first) {
      try {
        await this.#withReconnect(undefined, (client) => client.subscribeResource({ uri }, this.#listOptions()), { retrySafe: true });
      } catch (error) {
        this.#subscriptions.delete(uri);
        throw error;
      }
    }
    return async () => {
      const set = this.#subscriptions.get(uri);
      if (!set?.delete(onUpdate) || set.size > 0) return;
      this.#subscriptions.delete(uri);
      const connection = this.#connection;
      if (connection) await connection.client.unsubscribeResource({ uri }, this.#listOptions()).catch(() => undefined); // the server may be gone
    };
  }

  /** Lists every prompt of the server (all pages). */
  async listPrompts(options: { signal?: AbortSignal } = {}): Promise<Prompt[]> {
    return this.#paged(options.signal, async (client, cursor) => {
      const page = await client.listPrompts(cursor !== undefined ? { cursor } : undefined, this.#listOptions(options.signal));
      return { items: page.prompts, next: page.nextCursor };
    });
  }

  /** Gets a prompt's messages for the given arguments. */
  async getPrompt(name: string, args: Record<string, string> = {}, options: { signal?: AbortSignal } = {}): Promise<GetPromptResult> {
    return this.#withReconnect(options.signal, (client) => client.getPrompt({ name, arguments: args }, this.#listOptions(options.signal)), {
      retrySafe: true,
    });
  }

  #listOptions(signal?: AbortSignal): RequestOptions {
    return { ...(signal ? { signal } : {}), timeout: this.config.connectTimeoutMs ?? DEFAULT_MCP_CONNECT_TIMEOUT_MS };
  }

  async #paged<T>(
    signal: AbortSignal | undefined,
    page: (client: Client, cursor: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
  ): Promise<T[]> {
    return this.#withReconnect(
      signal,
      async (client) => {
        const items: T[] = [];
        let cursor: string | undefined;
        do {
          const got = await page(client, cursor);
          items.push(...got.items);
          cursor = got.next;
        } while (cursor !== undefined);
        return items;
      },
      { retrySafe: true },
    );
  }

  /** Ends the connection; for stdio, waits until the child process has exited. Idempotent. */
  async close(): Promise<void> {
    const pending = this.#connecting;
    // Closing: a connect that failed was reported to whoever awaited it; only its end matters here.
    if (pending) await pending.catch(() => undefined);
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) {
      connection.closing = true;
      await this.#shutdown(connection);
    }
  }

  async #withReconnect<T>(
    signal: AbortSignal | undefined,
    op: (client: Client, connection: Connection) => Promise<T>,
    policy: { retrySafe: boolean; tool?: string },
    firstAttempt = 0,
  ): Promise<T> {
    for (let attempt = firstAttempt; ; attempt++) {
      if (signal?.aborted) throw abortReason(signal);
      // The open connection without an extra await (this is on every call's path).
      const connection = this.#connection ?? (await this.#ensure());
      // Known dead before the request went out: nothing reached a server, so sending it on a
      // new connection runs it once.
      const deadBefore = connection.isClosed;
      try {
        if (deadBefore) throw new McpError(ErrorCode.ConnectionClosed, 'Connection closed');
        return await op(connection.client, connection);
      } catch (error) {
        await this.#afterFailure(error, connection, deadBefore, attempt, signal, policy);
      }
    }
  }

  /**
   * What a request that failed on `connection` leads to: throws when it must not be sent again
   * (aborted, not a lost connection, a second loss, a non-idempotent tool that may have run);
   * returns after dropping the dead connection when the next attempt may send it again.
   */
  async #afterFailure(
    error: unknown,
    connection: Connection,
    deadBefore: boolean,
    attempt: number,
    signal: AbortSignal | undefined,
    policy: { retrySafe: boolean; tool?: string },
  ): Promise<void> {
    if (signal?.aborted) throw abortReason(signal);
    if (connection.closing && isConnectionLost(error)) {
      throw new McpConnectionError(this.name, `The connection to MCP server '${this.name}' was closed while a request was in flight.`, {
        cause: error,
      });
    }
    if (attempt > 0 || !isConnectionLost(error)) {
      if (isConnectionLost(error)) {
        throw new McpConnectionError(
          this.name,
          `MCP server '${this.name}' closed the connection again right after reconnecting.${this.#stderrHint()}`,
          { cause: error },
        );
      }
      throw error;
    }
    // The server went away: drop this connection (reaping a dead child).
    if (this.#connection === connection) this.#connection = undefined;
    await this.#shutdown(connection);
    if (!deadBefore && !neverDelivered(error) && !policy.retrySafe && policy.tool !== undefined) {
      throw new McpToolError(
        this.name,
        policy.tool,
        `MCP server '${this.name}' stopped while tool '${policy.tool}' was running, so the call may or may not have taken effect. ` +
          `It was not sent again because the tool does not declare itself idempotent (idempotentHint) or read-only; check its effect before calling it again.${this.#stderrHint()}`,
        'interrupted',
        { cause: error },
      );
    }
  }

  #ensure(): Promise<Connection> {
    if (this.#connection) return Promise.resolve(this.#connection);
    if (!this.#connecting) {
      // Outside any call's context: what the connection reads later (stdio output, the HTTP
      // standalone stream) must not look related to the call that happened to open it.
      this.#connecting = callScope.exit(() =>
        this.#open().finally(() => {
          this.#connecting = undefined;
        }),
      );
    }
    return this.#connecting;
  }

  async #open(): Promise<Connection> {
    const t = this.config.transport;
    let connection: Connection;
    if (t.type === 'stdio') {
      connection = await this.#openWith('stdio', () => {
        const stderr = t.stderr ?? 'pipe';
        const transport = new StdioClientTransport({
          command: t.command,
          ...(t.args ? { args: t.args } : {}),
          ...(t.env ? { env: t.env } : {}),
          ...(t.cwd ? { cwd: t.cwd } : {}),
          stderr,
        });
        this.#stderrTail = '';
        transport.stderr?.on('data', (chunk: Buffer) => {
          this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-DEFAULT_MCP_STDERR_TAIL_BYTES);
        });
        return transport;
      });
    } else {
      const url = new URL(t.url);
      const requestInit: RequestInit = t.headers ? { headers: t.headers } : {};
      const sse = () => new SSEClientTransport(url, { requestInit, fetch: isolatedAbortFetch() });
      if (t.type === 'sse') {
        connection = await this.#openWith('sse', sse);
      } else {
        const oauth = this.#options.oauth;
        const provider = oauth ? new StoredOAuthProvider(t.url, oauth) : undefined;
        const streamable = () =>
          new StreamableHTTPClientTransport(url, {
            requestInit,
            fetch: isolatedAbortFetch(),
            ...(provider ? { authProvider: provider } : {}),
          });
        try {
          connection = await this.#openWith('streamable-http', streamable, { raw: true });
        } catch (error) {
          if (oauth && provider && error instanceof UnauthorizedError && provider.pendingAuthorization) {
            // The SDK discovered the authorization server, registered this client and built
            // the PKCE authorization URL: a person signs in, then the code is exchanged.
            const authorizationUrl = provider.pendingAuthorization;
            provider.pendingAuthorization = undefined;
            try {
              const code = await oauth.authorize(authorizationUrl, {
                server: this.name,
                state: authorizationUrl.searchParams.get('state') ?? undefined,
              });
              await streamable().finishAuth(code);
              connection = await this.#openWith('streamable-http', streamable, { raw: true });
            } catch (authError) {
              throw this.#connectError(authError, 'streamable-http');
            }
            this.#connection = connection;
            return connection;
          }
          if (!shouldFallBackToSse(error)) throw this.#connectError(error, 'streamable-http');
          try {
            connection = await this.#openWith('sse', sse, { raw: true });
          } catch (sseError) {
            throw this.#connectError(sseError, 'sse', error);
          }
        }
      }
    }
    this.#connection = connection;
    return connection;
  }

  async #openWith(kind: McpTransportKind, makeTransport: () => Transport, options: { raw?: boolean } = {}): Promise<Connection> {
    let transport: Transport;
    try {
      transport = makeTransport();
    } catch (error) {
      throw options.raw ? error : this.#connectError(error, kind);
    }
    let markClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      markClosed = resolve;
    });
    // The SDK's Protocol chains this handler with its own, so it runs when the transport closes.
    const client = new Client(this.#clientInfo, { capabilities: clientCapabilities(this.#options) });
    const connection: Connection = {
      client,
      transport,
      kind,
      closed,
      closing: false,
      isClosed: false,
      calls: new Set(),
      tasks: new Map(),
    };
    transport.onclose = () => {
      connection.isClosed = true;
      markClosed();
    };
    registerClientFeatures(
      client,
      this.name,
      { ...this.#options, onResourceUpdated: (uri) => this.#resourceUpdated(uri) },
      () => this.#roots,
      (extra) => callOf(connection, extra),
    );
    client.onclose = () => {
      // The server went away (or we closed it): the next call connects anew.
      if (this.#connection === connection) this.#connection = undefined;
    };
    client.onerror = () => {
      // Transport errors surface through the pending request or through onclose.
    };
    try {
      await client.connect(transport, { timeout: this.config.connectTimeoutMs ?? DEFAULT_MCP_CONNECT_TIMEOUT_MS });
    } catch (error) {
      await this.#shutdown(connection);
      throw options.raw ? error : this.#connectError(error, kind);
    }
    await this.#afterConnect(connection);
    return connection;
  }

  /** Log level and resource subscriptions carried over to a new connection. */
  async #afterConnect(connection: Connection): Promise<void> {
    const { client } = connection;
    const level = this.#options.logLevel;
    if (level !== undefined && client.getServerCapabilities()?.logging) {
      await client
        .setLoggingLevel(level)
        .catch((error: unknown) =>
          this.#notice(`MCP server '${this.name}' refused logging/setLevel ${level}: ${(error as Error).message}`),
        );
    }
    for (const uri of this.#subscriptions.keys()) {
      await client
        .subscribeResource({ uri })
        .catch((error: unknown) =>
          this.#notice(`Could not subscribe again to ${uri} on MCP server '${this.name}': ${(error as Error).message}`),
        );
    }
  }

  #resourceUpdated(uri: string): void {
    this.#options.onResourceUpdated?.(uri, this.name);
    for (const listener of this.#subscriptions.get(uri) ?? []) {
      try {
        listener(uri);
      } catch (error) {
        this.#notice(`A subscriber of ${uri} (MCP server '${this.name}') threw: ${(error as Error).message}`);
      }
    }
  }

  #notice(message: string): void {
    (this.#options.onNotice ?? ((m: string) => process.emitWarning(m, { code: 'MIXTAPE_MCP' })))(message);
  }

  async #shutdown(connection: Connection): Promise<void> {
    const { client, transport } = connection;
    const hasChild = transport instanceof StdioClientTransport && transport.pid !== null;
    if (transport instanceof StreamableHTTPClientTransport && transport.sessionId !== undefined) {
      // Tell the server the session is over (DELETE); servers that do not support it answer 405.
      await transport.terminateSession().catch(() => undefined);
    }
    // Closing: the transport is torn down either way; a failed close has nobody left to tell.
    await client.close().catch(() => undefined);
    if (hasChild) {
      // The SDK sends SIGKILL as a last resort without waiting; wait until the child is reaped.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        connection.closed,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, DEFAULT_MCP_EXIT_WAIT_MS);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    }
  }

  #stderrHint(): string {
    const tail = this.#stderrTail.trim();
    return tail ? `\nServer stderr (last lines):\n${tail.split('\n').slice(-20).join('\n')}` : '';
  }

  #connectError(error: unknown, kind: McpTransportKind, first?: unknown): McpConnectionError {
    const t = this.config.transport;
    const what = t.type === 'stdio' ? `start '${[t.command, ...(t.args ?? [])].join(' ')}'` : `connect to ${t.url} (${kind})`;
    let reason = error instanceof Error ? error.message : String(error);
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' && t.type === 'stdio') {
      reason = `command '${t.command}' not found (check the path or PATH)`;
    }
    const firstReason = first instanceof Error ? ` (Streamable HTTP first failed: ${first.message})` : '';
    return new McpConnectionError(
      this.name,
      `Could not ${what} for MCP server '${this.name}': ${reason}${firstReason}${this.#stderrHint()}`,
      { cause: error },
    );
  }
}
