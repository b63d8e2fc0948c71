/**
 * Typed errors of the MCP client: configuration, connection and tool-call failures.
 * @module
 */

/** What was wrong with an MCP server configuration or config file. */
export type McpConfigErrorKind = 'not_found' | 'invalid_json' | 'invalid_entry' | 'missing_variable' | 'duplicate_tool';

/** Thrown for a bad server configuration or config file; the message names the server and what to fix. */
export class McpConfigError extends Error {
  override name = 'McpConfigError';
  constructor(
    readonly kind: McpConfigErrorKind,
    message: string,
    /** The server the problem belongs to, when there is one. */
    readonly serverName?: string,
  ) {
    super(message);
  }
}

/** Thrown when an MCP server cannot be started, reached or initialised, or went away. */
export class McpConnectionError extends Error {
  override name = 'McpConnectionError';
  readonly kind = 'connection' as const;
  constructor(
    readonly serverName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Why an MCP tool call failed (see {@link McpToolError}). */
export type McpToolErrorKind = 'is_error' | 'protocol' | 'timeout' | 'interrupted';

/**
 * Thrown by an MCP tool when the call failed: the server answered with `isError: true` (so the
 * agent records a failure; the Rust original counted such results as successes), refused the
 * request, or did not answer in time.
 */
export class McpToolError extends Error {
  override name = 'McpToolError';
  constructor(
    readonly serverName: string,
    /** The tool's name on the server (not namespaced). */
    readonly toolName: string,
    message: string,
    /**
     * `is_error`: the server ran the tool and reported a failure; `protocol`: the server
     * refused the call (unknown tool, bad arguments); `timeout`: no answer in time;
     * `interrupted`: the server died while the call ran and it was not sent again (not idempotent).
     */
    readonly kind: McpToolErrorKind = 'is_error',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
