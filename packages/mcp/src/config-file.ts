/**
 * Loading MCP servers from Claude Desktop / Claude Code config files (`mcpServers`), with
 * `${VAR}` and `${VAR:-default}` expansion.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { validateServerConfig, type McpServerConfig, type McpTransportConfig } from './config.js';
import { McpConfigError } from './errors.js';

/** Options of {@link loadMcpConfigFile} and {@link parseMcpConfig}. */
export interface LoadMcpConfigOptions {
  /**
   * Claude Code's `~/.claude.json` keeps per-project servers under
   * `projects[<absolute folder>].mcpServers`. Give the project folder to load them as well;
   * a project server replaces a user-level server of the same name.
   */
  project?: string;
  /** Variables for `${VAR}` expansion (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Settings applied to every loaded server (e.g. `namespace: false`, `timeoutMs`). */
  defaults?: Pick<McpServerConfig, 'namespace' | 'timeoutMs' | 'connectTimeoutMs' | 'include' | 'exclude'>;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` with the variable's value and `${VAR:-default}` with the value, or the
 * default when the variable is unset or empty (as in POSIX shells). A `${VAR}` that is unset
 * throws {@link McpConfigError} kind `missing_variable`; `where` says where it was used.
 */
export function expandEnvVars(
  text: string,
  env: Record<string, string | undefined>,
  where: { server?: string; field: string; source?: string },
): string {
  return text.replace(VARIABLE, (_match, name: string, fallback: string | undefined) => {
    const value = env[name];
    if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
    if (value === undefined) {
      const server = where.server !== undefined ? `MCP server '${where.server}'` : 'MCP config';
      const source = where.source !== undefined ? ` in ${where.source}` : '';
      throw new McpConfigError(
        'missing_variable',
        `${server}${source}: environment variable ${name} is not set (used in ${where.field}). Set it, or write \${${name}:-default} to give a default.`,
        where.server,
      );
    }
    return value;
  });
}

function expandDeep(
  value: unknown,
  env: Record<string, string | undefined>,
  where: { server: string; source?: string },
  field: string,
): unknown {
  if (typeof value === 'string') return expandEnvVars(value, env, { ...where, field });
  if (Array.isArray(value)) return value.map((v, i) => expandDeep(v, env, where, `${field}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandDeep(v, env, where, field ? `${field}.${k}` : k)]));
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entryToTransport(name: string, entry: Record<string, unknown>, where: string): McpTransportConfig {
  const declared = entry.type;
  const type = declared === undefined ? (typeof entry.url === 'string' && entry.command === undefined ? 'http' : 'stdio') : declared;
  const fail = (message: string) => new McpConfigError('invalid_entry', `MCP server '${name}'${where}: ${message}`, name);
  switch (type) {
    case 'stdio':
      if (typeof entry.command !== 'string' || entry.command === '') throw fail("missing 'command'");
      return {
        type: 'stdio',
        command: entry.command,
        ...(entry.args !== undefined ? { args: entry.args as string[] } : {}),
        ...(entry.env !== undefined ? { env: entry.env as Record<string, string> } : {}),
        ...(entry.cwd !== undefined ? { cwd: entry.cwd as string } : {}),
      };
    case 'http':
    case 'streamable-http':
    case 'streamableHttp':
    case 'sse':
      if (typeof entry.url !== 'string' || entry.url === '') throw fail("missing 'url'");
      return {
        type: type === 'sse' ? 'sse' : 'http',
        url: entry.url,
        ...(entry.headers !== undefined ? { headers: entry.headers as Record<string, string> } : {}),
      };
    default:
      throw fail(`unknown transport type ${JSON.stringify(type)}; use 'stdio', 'http' or 'sse'`);
  }
}

function serversOf(value: unknown, label: string): Array<[string, unknown]> {
  if (value === undefined) return [];
  if (!isObject(value))
    throw new McpConfigError('invalid_entry', `MCP config${label}: 'mcpServers' must be an object mapping server names to settings.`);
  return Object.entries(value);
}

/**
 * Reads the servers of an already parsed config (`{ mcpServers: { name: {...} } }`). Every
 * server is namespaced `<name>_` like programmatic ones (the Rust original forgot to), unless
 * `defaults.namespace` says otherwise. Entries with `"disabled": true` are skipped.
 */
export function parseMcpConfig(config: unknown, options: LoadMcpConfigOptions & { source?: string } = {}): McpServerConfig[] {
  const label = options.source !== undefined ? ` (${options.source})` : '';
  if (!isObject(config)) throw new McpConfigError('invalid_entry', `MCP config${label}: expected a JSON object with 'mcpServers'.`);
  const entries = new Map<string, unknown>(serversOf(config.mcpServers, label));
  if (options.project !== undefined) {
    const projects = isObject(config.projects) ? config.projects : {};
    const key = [options.project, resolve(options.project)].find((k) => isObject(projects[k]));
    if (key !== undefined) {
      for (const [name, entry] of serversOf((projects[key] as Record<string, unknown>).mcpServers, `${label} project ${key}`))
        entries.set(name, entry);
    }
  }
  const env = options.env ?? process.env;
  const servers: McpServerConfig[] = [];
  for (const [name, raw] of entries) {
    if (!isObject(raw))
      throw new McpConfigError('invalid_entry', `MCP server '${name}'${label}: expected an object with 'command' or 'url'.`, name);
    if (raw.disabled === true) continue;
    const entry = expandDeep(raw, env, { server: name, ...(options.source !== undefined ? { source: options.source } : {}) }, '') as Record<
      string,
      unknown
    >;
    const server: McpServerConfig = { name, transport: entryToTransport(name, entry, label), ...options.defaults };
    validateServerConfig(server);
    servers.push(server);
  }
  return servers;
}

/** Expands a leading `~` to the home folder. */
export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return path;
}

/**
 * Loads the MCP servers of a Claude Desktop (`claude_desktop_config.json`), Claude Code
 * (`~/.claude.json`, a project's `.mcp.json`) or compatible config file.
 *
 * - stdio entries: `{ command, args?, env? }` (type `stdio` or none);
 *   remote entries: `{ type: 'http' | 'sse', url, headers? }`.
 * - Every string may use `${VAR}` or `${VAR:-default}`; an unset `${VAR}` is an error naming
 *   the variable and the server.
 * - `options.project` also loads Claude Code's per-project servers.
 *
 * Throws {@link McpConfigError} (`not_found`, `invalid_json`, `invalid_entry`, `missing_variable`).
 *
 * @example
 * const servers = await loadMcpConfigFile('~/.claude.json', { project: process.cwd() });
 * const { tools, close } = await mcpTools(servers);
 */
export async function loadMcpConfigFile(path: string, options: LoadMcpConfigOptions = {}): Promise<McpServerConfig[]> {
  const file = expandHome(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new McpConfigError(
      'not_found',
      `Cannot read MCP config file ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new McpConfigError('invalid_json', `MCP config file ${file} is not valid JSON: ${(error as Error).message}.`);
  }
  return parseMcpConfig(parsed, { ...options, source: file });
}
