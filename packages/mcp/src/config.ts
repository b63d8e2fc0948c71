/**
 * Configuration of one MCP server: how to reach it and which of its tools to expose, under
 * which names.
 * @module
 */
import { McpConfigError } from './errors.js';

/** Default time an MCP tool call may take before it fails (same as the core's tool timeout). */
export const DEFAULT_MCP_TOOL_TIMEOUT_MS = 120_000;

/** Default time for starting a server and completing the MCP `initialize` handshake. */
export const DEFAULT_MCP_CONNECT_TIMEOUT_MS = 30_000;

/** How many bytes of a stdio server's stderr are kept to explain a failed start. */
export const DEFAULT_MCP_STDERR_TAIL_BYTES = 8_192;

/** A server started as a child process, spoken to over stdin/stdout. */
export interface McpStdioTransportConfig {
  type: 'stdio';
  /** The executable (looked up on PATH). */
  command: string;
  args?: string[];
  /**
   * Extra environment variables. The child also gets a small safe set of the parent's
   * (HOME, PATH, SHELL, TERM, USER, LOGNAME), never the whole environment.
   */
  env?: Record<string, string>;
  /** Working folder of the child (default: this process's). */
  cwd?: string;
  /**
   * What to do with the server's stderr: `'pipe'` (default) keeps the last
   * {@link DEFAULT_MCP_STDERR_TAIL_BYTES} bytes to explain a failed start; `'inherit'` prints it;
   * `'ignore'` drops it.
   */
  stderr?: 'pipe' | 'inherit' | 'ignore';
}

/**
 * A remote server over MCP Streamable HTTP; when the server answers the first POST with a 4xx
 * status, the client falls back to the older HTTP+SSE transport.
 */
export interface McpHttpTransportConfig {
  type: 'http';
  url: string;
  /** Headers sent with every request (e.g. `Authorization`). */
  headers?: Record<string, string>;
}

/** A remote server that only speaks the older HTTP+SSE transport (no Streamable HTTP attempt). */
export interface McpSseTransportConfig {
  type: 'sse';
  url: string;
  headers?: Record<string, string>;
}

export type McpTransportConfig = McpStdioTransportConfig | McpHttpTransportConfig | McpSseTransportConfig;

/** One MCP server and which of its tools become agent tools. */
export interface McpServerConfig {
  /** A short name for the server; the default tool-name prefix is `<name>_`. */
  name: string;
  transport: McpTransportConfig;
  /**
   * Prefix of the tool names: default `<name>_`; a string (an `_` is added unless it ends in
   * `_` or `-`); `false` for the server's own names.
   */
  namespace?: string | false;
  /** Only these tools (original, un-prefixed names). */
  include?: string[];
  /** All tools but these (original names). Applied after `include`. */
  exclude?: string[];
  /** Per-call timeout in ms (default {@link DEFAULT_MCP_TOOL_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Timeout of start + `initialize` in ms (default {@link DEFAULT_MCP_CONNECT_TIMEOUT_MS}). */
  connectTimeoutMs?: number;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

/**
 * Checks a server configuration written by hand (or read from JSON) and throws an
 * {@link McpConfigError} that says what is wrong. Returns the same object.
 */
export function validateServerConfig(config: McpServerConfig): McpServerConfig {
  const name = (config as { name?: unknown }).name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new McpConfigError('invalid_entry', 'MCP server config: "name" must be a non-empty string.');
  }
  const where = `MCP server '${name}'`;
  const t = config.transport as unknown as Record<string, unknown> | undefined;
  if (typeof t !== 'object' || t === null) {
    throw new McpConfigError(
      'invalid_entry',
      `${where}: "transport" is missing; use { type: 'stdio', command } or { type: 'http', url }.`,
      name,
    );
  }
  if (t.type === 'stdio') {
    if (typeof t.command !== 'string' || t.command.length === 0)
      throw new McpConfigError('invalid_entry', `${where}: missing 'command' for a stdio server.`, name);
    if (t.args !== undefined && (!Array.isArray(t.args) || !t.args.every((a) => typeof a === 'string'))) {
      throw new McpConfigError('invalid_entry', `${where}: 'args' must be an array of strings.`, name);
    }
    if (t.env !== undefined && !isStringRecord(t.env))
      throw new McpConfigError('invalid_entry', `${where}: 'env' must map names to strings.`, name);
    if (t.cwd !== undefined && typeof t.cwd !== 'string')
      throw new McpConfigError('invalid_entry', `${where}: 'cwd' must be a string.`, name);
  } else if (t.type === 'http' || t.type === 'sse') {
    if (typeof t.url !== 'string' || t.url.length === 0)
      throw new McpConfigError('invalid_entry', `${where}: missing 'url' for a ${t.type} server.`, name);
    try {
      const url = new URL(t.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new McpConfigError('invalid_entry', `${where}: 'url' is not an http(s) URL: ${JSON.stringify(t.url)}.`, name);
    }
    if (t.headers !== undefined && !isStringRecord(t.headers))
      throw new McpConfigError('invalid_entry', `${where}: 'headers' must map names to strings.`, name);
  } else {
    throw new McpConfigError(
      'invalid_entry',
      `${where}: unknown transport type ${JSON.stringify(t.type)}; use 'stdio', 'http' or 'sse'.`,
      name,
    );
  }
  for (const key of ['include', 'exclude'] as const) {
    const list = config[key] as unknown;
    if (list !== undefined && (!Array.isArray(list) || !list.every((s) => typeof s === 'string'))) {
      throw new McpConfigError('invalid_entry', `${where}: '${key}' must be an array of tool names.`, name);
    }
  }
  for (const key of ['timeoutMs', 'connectTimeoutMs'] as const) {
    const value = config[key] as unknown;
    if (value !== undefined && (typeof value !== 'number' || !(value > 0))) {
      throw new McpConfigError('invalid_entry', `${where}: '${key}' must be a positive number of milliseconds.`, name);
    }
  }
  return config;
}

/** Whether a tool (by its original name) passes the server's include/exclude filters. */
export function toolSelected(config: Pick<McpServerConfig, 'include' | 'exclude'>, toolName: string): boolean {
  if (config.include && !config.include.includes(toolName)) return false;
  if (config.exclude && config.exclude.includes(toolName)) return false;
  return true;
}
