/**
 * `McpToolset` / `mcpTools`: the tools of several MCP servers as one list of agent tools.
 * @module
 */
import type { Tool } from '@mixtape/core';
import { McpClient, type McpClientOptions } from './client.js';
import { toolSelected, type McpServerConfig } from './config.js';
import { McpConfigError } from './errors.js';
import { McpTool } from './mcp-tool.js';
import { namespacePrefix, sanitizeToolName } from './names.js';

/** Options of {@link McpToolset} and {@link mcpTools}. */
export interface McpToolsetOptions extends McpClientOptions {
  /**
   * What to do when a server cannot be reached: `'throw'` (default) fails `tools()` with an
   * error naming the server; `'skip'` leaves its tools out and reports it in `failures`.
   */
  onServerError?: 'throw' | 'skip';
}

/** A tool left out of the model's list, and why. */
export interface McpHiddenTool {
  server: string;
  /** The tool's name on the server. */
  tool: string;
  reason: string;
}

/** A server whose tools could not be listed (only with `onServerError: 'skip'`). */
export interface McpServerFailure {
  server: string;
  error: Error;
}

/**
 * The tools of a set of MCP servers. Servers are connected in parallel on the first
 * {@link McpToolset.tools} call; each tool is named `<server>_<tool>` unless the server's
 * `namespace` says otherwise, filtered by `include`/`exclude`, and sanitised to the names model
 * providers accept. Two tools ending up with one name is an error ({@link McpConfigError}
 * kind `duplicate_tool`) that says which servers to give a namespace.
 *
 * @example
 * const toolset = new McpToolset([{ name: 'fs', transport: { type: 'stdio', command: 'mcp-server-filesystem', args: ['.'] } }]);
 * const agent = new Agent({ model, tools: await toolset.tools() });
 * try { await agent.run('List the files'); } finally { await toolset.close(); }
 */
export class McpToolset {
  /** One client per server, in the order given. */
  readonly clients: readonly McpClient[];
  /** Servers left out because they failed (with `onServerError: 'skip'`). */
  readonly failures: McpServerFailure[] = [];
  /** Tools not offered to the model, with the reason (also reported to `onNotice`). */
  readonly hidden: McpHiddenTool[] = [];
  readonly #notice: (message: string) => void;
  readonly #onServerError: 'throw' | 'skip';
  #tools: Promise<McpTool[]> | undefined;

  constructor(servers: ReadonlyArray<McpServerConfig | McpClient>, options: McpToolsetOptions = {}) {
    this.clients = servers.map((s) => (s instanceof McpClient ? s : new McpClient(s, options)));
    const names = new Set<string>();
    for (const client of this.clients) {
      if (names.has(client.name))
        throw new McpConfigError('invalid_entry', `Two MCP servers are named '${client.name}'; give each a distinct name.`, client.name);
      names.add(client.name);
    }
    this.#onServerError = options.onServerError ?? 'throw';
    this.#notice = options.onNotice ?? ((message) => process.emitWarning(message, { code: 'MIXTAPE_MCP' }));
  }

  /**
   * Connects to every server (once) and returns their tools. Later calls return the same list;
   * call {@link McpToolset.refresh} to list again.
   */
  tools(): Promise<McpTool[]> {
    if (!this.#tools) {
      const listing = this.#list();
      this.#tools = listing;
      // A failed listing is not cached: the next call tries again.
      listing.catch(() => {
        if (this.#tools === listing) this.#tools = undefined;
      });
    }
    return this.#tools;
  }

  /** Lists the tools again (e.g. after a server said its tool list changed). */
  refresh(): Promise<McpTool[]> {
    this.#tools = undefined;
    return this.tools();
  }

  /** Closes every connection and ends every server child process. */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }

  async #list(): Promise<McpTool[]> {
    this.failures.length = 0;
    this.hidden.length = 0;
    const settled = await Promise.allSettled(this.clients.map((client) => client.listTools()));
    const tools: McpTool[] = [];
    const owners = new Map<string, string>();
    const errors: Error[] = [];
    settled.forEach((outcome, i) => {
      const client = this.clients[i]!;
      if (outcome.status === 'rejected') {
        const error = outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason));
        if (this.#onServerError === 'skip') this.failures.push({ server: client.name, error });
        else errors.push(error);
        return;
      }
      const prefix = namespacePrefix(client.name, client.config.namespace);
      const serverRunsTasks = client.serverCapabilities?.tasks?.requests?.tools?.call !== undefined;
      for (const info of outcome.value) {
        if (!toolSelected(client.config, info.name)) continue;
        if (info.execution?.taskSupport === 'required' && !serverRunsTasks) {
          // Offering it would fail every call (-32600): the server wants a task it cannot create.
          this.hidden.push({
            server: client.name,
            tool: info.name,
            reason: 'it requires task-based execution but the server does not declare tasks for tools/call',
          });
          this.#notice(
            `MCP tool '${info.name}' of server '${client.name}' is hidden from the model: it requires task-based execution but the server does not declare tasks for tools/call.`,
          );
          continue;
        }
        const name = sanitizeToolName(prefix + info.name);
        const owner = owners.get(name);
        if (owner !== undefined) {
          throw new McpConfigError(
            'duplicate_tool',
            `Two MCP tools are named '${name}' (servers '${owner}' and '${client.name}'); give the servers distinct namespaces or exclude one of the tools.`,
            client.name,
          );
        }
        owners.set(name, client.name);
        tools.push(new McpTool(client, info, name));
      }
    });
    if (errors.length === 1) throw errors[0]!;
    if (errors.length > 1)
      throw new AggregateError(errors, `${errors.length} MCP servers failed: ${errors.map((e) => e.message).join(' | ')}`);
    return tools;
  }
}

/**
 * Connects to MCP servers and returns their tools, plus `close()` to end the connections.
 *
 * @example
 * const { tools, close } = await mcpTools([{ name: 'everything', transport: { type: 'stdio', command: 'mcp-server-everything' } }]);
 */
export async function mcpTools(
  servers: ReadonlyArray<McpServerConfig | McpClient>,
  options: McpToolsetOptions = {},
): Promise<{ tools: Tool[]; toolset: McpToolset; close(): Promise<void> }> {
  const toolset = new McpToolset(servers, options);
  try {
    const tools = await toolset.tools();
    return { tools, toolset, close: () => toolset.close() };
  } catch (error) {
    await toolset.close();
    throw error;
  }
}
