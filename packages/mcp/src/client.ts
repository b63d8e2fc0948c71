/**
 * `McpClient`: one connection to one MCP server, opened lazily, reopened after the server dies,
 * closed without leaving child processes behind.
 * @module
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type CallToolResult, type Tool as McpToolDefinition } from '@modelcontextprotocol/sdk/types.js';
import {
  DEFAULT_MCP_CONNECT_TIMEOUT_MS,
  DEFAULT_MCP_STDERR_TAIL_BYTES,
  DEFAULT_MCP_TOOL_TIMEOUT_MS,
  validateServerConfig,
  type McpServerConfig,
} from './config.js';
import { McpConnectionError, McpToolError } from './errors.js';

/** Longest wait for a killed stdio server to be reaped after the SDK's own shutdown steps. */
export const DEFAULT_MCP_EXIT_WAIT_MS = 5_000;

/** A tool as the server lists it (original name, the server's JSON Schema). */
export type McpToolInfo = McpToolDefinition;

/** Which wire protocol a connected client speaks. */
export type McpTransportKind = 'stdio' | 'streamable-http' | 'sse';

/** Options of {@link McpClient}. */
export interface McpClientOptions {
  /** Name and version this client announces in `initialize` (default `mixtape` / package version). */
  clientInfo?: { name: string; version: string };
}

/** Options of {@link McpClient.callTool}. */
export interface McpCallOptions {
  /** Aborting it cancels the request (the server gets `notifications/cancelled`). */
  signal?: AbortSignal;
  /** Overrides the server's `timeoutMs` for this call. */
  timeoutMs?: number;
}

interface Connection {
  client: Client;
  transport: Transport;
  kind: McpTransportKind;
  /** Resolves when the transport closed (for stdio: the child process was reaped). */
  closed: Promise<void>;
  /** Set when we close it on purpose: calls cut short by that are not retried. */
  closing: boolean;
}

const CLIENT_INFO = { name: 'mixtape', version: '0.1.0' };

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
  if (error instanceof McpError) return error.code === ErrorCode.ConnectionClosed;
  if (error instanceof StreamableHTTPError) return error.code === 404;
  if (error instanceof Error) return error.message === 'Not connected' || error.message === 'fetch failed' || /EPIPE|ECONNRESET|ECONNREFUSED/.test(error.message);
  return false;
}

/** Whether a failed Streamable HTTP `initialize` should be retried over the older HTTP+SSE transport. */
function shouldFallBackToSse(error: unknown): boolean {
  // The MCP spec's backwards-compatibility rule: a 4xx answer to the initialize POST means an
  // old server. 401/403 are authentication failures that SSE would hit as well.
  return error instanceof StreamableHTTPError && error.code !== undefined && error.code >= 400 && error.code < 500 && error.code !== 401 && error.code !== 403;
}

/**
 * A connection to one MCP server.
 *
 * - Lazy: nothing starts until the first `connect`, `listTools` or `callTool`.
 * - `connect()` is idempotent; concurrent callers share one attempt.
 * - When the server dies (stdio child exits, HTTP session expires), the next call reconnects
 *   once and goes on; a call in flight when the connection is lost is sent again once.
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
  #connection: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
  #stderrTail = '';

  constructor(config: McpServerConfig, options: McpClientOptions = {}) {
    this.config = validateServerConfig(config);
    this.#clientInfo = options.clientInfo ?? CLIENT_INFO;
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
    return this.#withReconnect(options.signal, async (client) => {
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
      return tools;
    });
  }

  /**
   * Calls a tool by its original name and returns the server's `CallToolResult` as is
   * (`isError` results included; {@link mapCallToolResult} turns them into errors).
   */
  async callTool(name: string, args: Record<string, unknown>, options: McpCallOptions = {}): Promise<CallToolResult> {
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs ?? DEFAULT_MCP_TOOL_TIMEOUT_MS;
    try {
      return await this.#withReconnect(options.signal, async (client) => {
        const result = await client.callTool({ name, arguments: args }, undefined, {
          ...(options.signal ? { signal: options.signal } : {}),
          timeout: timeoutMs,
        });
        if ('toolResult' in result) {
          // A server on the 2024-10-07 protocol answers with { toolResult }; show it as JSON.
          return { content: [{ type: 'text', text: JSON.stringify(result.toolResult) }] } satisfies CallToolResult;
        }
        return result as CallToolResult;
      });
    } catch (error) {
      if (error instanceof McpError) {
        if (error.code === ErrorCode.RequestTimeout) {
          throw new McpToolError(this.name, name, `MCP tool '${name}' on server '${this.name}' did not answer within ${timeoutMs} ms.`, 'timeout', { cause: error });
        }
        throw new McpToolError(this.name, name, `MCP server '${this.name}' refused the call of tool '${name}': ${error.message}`, 'protocol', { cause: error });
      }
      throw error;
    }
  }

  /** Ends the connection; for stdio, waits until the child process has exited. Idempotent. */
  async close(): Promise<void> {
    const pending = this.#connecting;
    if (pending) await pending.catch(() => undefined);
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) {
      connection.closing = true;
      await this.#shutdown(connection);
    }
  }

  async #withReconnect<T>(signal: AbortSignal | undefined, op: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw abortReason(signal);
      const connection = await this.#ensure();
      try {
        return await op(connection.client);
      } catch (error) {
        if (signal?.aborted) throw abortReason(signal);
        if (connection.closing && isConnectionLost(error)) {
          throw new McpConnectionError(this.name, `The connection to MCP server '${this.name}' was closed while a request was in flight.`, { cause: error });
        }
        if (attempt > 0 || !isConnectionLost(error)) {
          if (isConnectionLost(error)) {
            throw new McpConnectionError(this.name, `MCP server '${this.name}' closed the connection again right after reconnecting.${this.#stderrHint()}`, { cause: error });
          }
          throw error;
        }
        // The server went away: drop this connection (reaping a dead child) and try once more.
        if (this.#connection === connection) this.#connection = undefined;
        await this.#shutdown(connection);
      }
    }
  }

  #ensure(): Promise<Connection> {
    if (this.#connection) return Promise.resolve(this.#connection);
    if (!this.#connecting) {
      this.#connecting = this.#open().finally(() => {
        this.#connecting = undefined;
      });
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
      const sse = () => new SSEClientTransport(url, { requestInit });
      if (t.type === 'sse') {
        connection = await this.#openWith('sse', sse);
      } else {
        try {
          connection = await this.#openWith('streamable-http', () => new StreamableHTTPClientTransport(url, { requestInit }), { raw: true });
        } catch (error) {
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
    transport.onclose = () => markClosed();
    const client = new Client(this.#clientInfo, { capabilities: {} });
    const connection: Connection = { client, transport, kind, closed, closing: false };
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
    return connection;
  }

  async #shutdown(connection: Connection): Promise<void> {
    const { client, transport } = connection;
    const hasChild = transport instanceof StdioClientTransport && transport.pid !== null;
    if (transport instanceof StreamableHTTPClientTransport && transport.sessionId !== undefined) {
      // Tell the server the session is over (DELETE); servers that do not support it answer 405.
      await transport.terminateSession().catch(() => undefined);
    }
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
    return new McpConnectionError(this.name, `Could not ${what} for MCP server '${this.name}': ${reason}${firstReason}${this.#stderrHint()}`, { cause: error });
  }
}
