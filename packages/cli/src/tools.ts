/**
 * The agent's tools: built-in groups of @mixtape/tools by name, and the tools of MCP servers.
 * @module
 */
import type { Tool } from '@mixtape/core';
import type { SandboxSetting } from '@mixtape/tools';
import type { McpClient } from '@mixtape/mcp';
import { ConfigError } from './errors.js';
import { cliMcpClients, cliServerSettings, type CliMcpInput } from './mcp/client-options.js';

/** `read-only-filesystem` → `readOnlyFilesystemTools`. */
export function groupExportName(group: string): string {
  const camel = group.trim().replace(/[-_\s]+([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
  return `${camel.charAt(0).toLowerCase()}${camel.slice(1)}Tools`;
}

/**
 * The tools of the named groups, confined to `root`. A group name is any `<name>Tools` factory
 * of @mixtape/tools ("filesystem", "read-only-filesystem", "edit", "search", "process", "fetch",
 * "all"); "none" (alone) means no built-in tools. `sandbox` runs the process tools' commands in
 * bubblewrap (groups "process" and "all").
 * @throws ConfigError naming the unknown group and the known ones.
 * @throws SandboxUnavailableError (from @mixtape/tools) when the sandbox is on and cannot run here.
 */
export async function builtinTools(
  groups: readonly string[],
  root: string,
  options: { sandbox?: SandboxSetting } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<Tool<any>[]> {
  if (groups.length === 0 || (groups.length === 1 && groups[0] === 'none')) return [];
  const mod = (await import('@mixtape/tools')) as Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const tools: Tool<any>[] = [];
  const seen = new Set<string>();
  for (const group of groups) {
    const factory = mod[groupExportName(group)];
    if (typeof factory !== 'function') {
      const known = Object.keys(mod)
        .filter((k) => /^[a-z][A-Za-z]*Tools$/.test(k) && typeof mod[k] === 'function')
        .map((k) => k.slice(0, -'Tools'.length).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
      throw new ConfigError(`Unknown tool group '${group}'. Known groups: ${known.join(', ')}, none.`);
    }
    const sandbox = options.sandbox !== undefined && { sandbox: options.sandbox };
    const factoryOptions =
      group === 'process' ? { cwd: root, ...sandbox } : group === 'all' ? { root, ...(sandbox && { process: sandbox }) } : { root };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    for (const t of (factory as (o: object) => Tool<any>[])(factoryOptions)) {
      if (seen.has(t.name)) continue;
      seen.add(t.name);
      tools.push(t);
    }
  }
  return tools;
}

/** MCP tools and a function that closes their servers. */
export interface McpLoaded {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  tools: Tool<any>[];
  /** Servers that could not be started, with the reason. */
  failures: { server: string; message: string }[];
  /** One client per configured server (prompts, resources, roots). */
  clients: readonly McpClient[];
  /** Lists the tools again (after a server said its list changed). */
  refresh(): Promise<Tool[]>;
  close(): Promise<void>;
}

/**
 * Starts the configured MCP servers and lists their tools. A server that fails is reported in
 * `failures`, not thrown: the REPL still starts with the other tools. With `features`, the
 * servers get the CLI's client features (roots, elicitation, sampling, logs, OAuth); without,
 * a bare client (tools only).
 */
export async function mcpTools(
  servers: Record<string, unknown> | unknown[],
  cwd: string,
  features?: Omit<CliMcpInput, 'settings'> & { settings?: CliMcpInput['settings'] },
): Promise<McpLoaded> {
  const mcp = await import('@mixtape/mcp');
  const configs = (
    Array.isArray(servers)
      ? servers.map((s) => mcp.validateServerConfig(withoutCliKeys(s) as Parameters<typeof mcp.validateServerConfig>[0]))
      : mcp.parseMcpConfig({ mcpServers: servers }, { source: 'mixtape config' })
  ).map((c) => (c.transport.type === 'stdio' && c.transport.cwd === undefined ? { ...c, transport: { ...c.transport, cwd } } : c));
  const settings = features?.settings ?? cliServerSettings(servers).settings;
  const clients = features ? await cliMcpClients(configs, { ...features, settings }) : configs;
  const toolset = new mcp.McpToolset(clients, {
    onServerError: 'skip',
    ...(features && { onNotice: (m: string) => features.ui.notice(m, 'dim') }),
  });
  const tools = await toolset.tools();
  return {
    tools,
    failures: toolset.failures.map((f) => ({ server: f.server, message: f.error.message })),
    clients: toolset.clients,
    refresh: () => toolset.refresh(),
    close: () => toolset.close(),
  };
}

/** A server entry without the keys only the CLI reads (`sampling`, `oauth`). */
function withoutCliKeys(entry: unknown): unknown {
  if (typeof entry !== 'object' || entry === null) return entry;
  const { sampling: _sampling, oauth: _oauth, ...rest } = entry as Record<string, unknown>;
  return rest;
}
