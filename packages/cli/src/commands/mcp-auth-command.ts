/**
 * `mixtape mcp login <server>` / `mixtape mcp logout <server>`: signs in to a remote (Streamable
 * HTTP) MCP server of the config ahead of time — OAuth discovery, registration and the browser
 * step on 127.0.0.1, tokens saved in the user's config folder — or forgets its credentials.
 * The REPL and `mixtape run` sign in the same way on first use; the SDK refreshes tokens.
 * @module
 */
import type { Command } from 'commander';
import type { McpServerConfig } from '@mixtape/mcp';
import { CliUsageError, EXIT_OK } from '../errors.js';
import type { CliIO, ProgramContext, ResolvedGlobals } from './context.js';

/** The remote server named `name` in the folder's config, with the CLI's settings for it. */
async function remoteServer(name: string, globals: ResolvedGlobals) {
  const { loadConfig } = await import('../config.js');
  const { cliServerSettings } = await import('../mcp/client-options.js');
  const mcp = await import('@mixtape/mcp');
  const { config, file } = await loadConfig(globals.cwd, globals.flags.config);
  const servers = config.mcpServers;
  const where = file ?? 'mixtape.config.json';
  if (!servers) throw new CliUsageError(`mixtape mcp: ${where} has no "mcpServers".`);
  const configs: McpServerConfig[] = Array.isArray(servers)
    ? servers.map((s) => mcp.validateServerConfig(s as McpServerConfig))
    : mcp.parseMcpConfig({ mcpServers: servers }, { source: where });
  const server = configs.find((c) => c.name === name);
  if (!server)
    throw new CliUsageError(
      `mixtape mcp: no MCP server named '${name}' in ${where} (servers: ${configs.map((c) => c.name).join(', ') || 'none'}).`,
    );
  if (server.transport.type !== 'http')
    throw new CliUsageError(`mixtape mcp: '${name}' is not a remote (Streamable HTTP) server; only those sign in with OAuth.`);
  const settings = cliServerSettings(servers).settings.get(name);
  if (settings?.oauth === false) throw new CliUsageError(`mixtape mcp: OAuth is off for '${name}' ("oauth": false in ${where}).`);
  return { server, url: server.transport.url, settings };
}

/** Signs in to a remote server (the browser step only when no valid credentials are saved). */
export async function mcpLoginAction(name: string, globals: ResolvedGlobals, io: CliIO): Promise<number> {
  const { server, url, settings } = await remoteServer(name, globals);
  const mcp = await import('@mixtape/mcp');
  const { cliOAuth } = await import('../mcp/client-options.js');
  const { McpUi } = await import('../mcp/ui.js');
  const ui = new McpUi((text) => io.stderr.write(`mixtape: ${text}\n`));
  const oauth = await cliOAuth(name, settings, ui, io.env);
  const client = new mcp.McpClient(server, { oauth });
  try {
    await client.connect();
  } finally {
    await client.close();
  }
  const file = (oauth.store as { file?: string }).file;
  io.stdout.write(`Signed in to MCP server '${name}' (${url}).${file ? ` Credentials are kept in ${file}.` : ''}\n`);
  return EXIT_OK;
}

/** Forgets the saved registration and tokens of a remote server. */
export async function mcpLogoutAction(name: string, globals: ResolvedGlobals, io: CliIO): Promise<number> {
  const { url } = await remoteServer(name, globals);
  const mcp = await import('@mixtape/mcp');
  const store = new mcp.FileOAuthTokenStore(mcp.defaultOAuthTokenFile(io.env));
  const key = new URL(url).href;
  if (!(await store.load(key))) {
    io.stdout.write(`No saved credentials for MCP server '${name}' (${url}).\n`);
    return EXIT_OK;
  }
  await store.delete(key);
  io.stdout.write(`Signed out of MCP server '${name}': its credentials were removed from ${store.file}.\n`);
  return EXIT_OK;
}

/** Adds `login` and `logout` under the `mcp` command. */
export function registerMcpAuth(mcpCommand: Command, context: ProgramContext): void {
  mcpCommand
    .command('login <server>')
    .description('sign in to a remote MCP server of the config (OAuth in the browser; tokens kept in your config folder)')
    .action(async (server: string, _opts: unknown, command: Command) => {
      context.setExit(await mcpLoginAction(server, context.globals(command), context.io));
    });
  mcpCommand
    .command('logout <server>')
    .description('forget the saved credentials of a remote MCP server')
    .action(async (server: string, _opts: unknown, command: Command) => {
      context.setExit(await mcpLogoutAction(server, context.globals(command), context.io));
    });
}
