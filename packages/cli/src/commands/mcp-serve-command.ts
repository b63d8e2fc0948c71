/**
 * `mixtape mcp`: serves this folder's agent to other MCP clients — over stdio (the default, for
 * a client that starts `mixtape mcp` as a child process) or Streamable HTTP on 127.0.0.1
 * (`--http <port>`). The agent is one tool, `run_agent` ({ prompt, session_id? }), answering in
 * this folder's sessions; `--expose-tools` also serves its tools one by one, under the same
 * permission rules. `mixtape mcp login|logout <server>` sign in to (or out of) a remote MCP
 * server the agent uses (see mcp-auth-command.ts).
 * @module
 */
import type { Command } from 'commander';
import { CliUsageError, EXIT_OK } from '../errors.js';
import type { CliIO, ResolvedGlobals, Subcommand } from './context.js';
import { registerMcpAuth } from './mcp-auth-command.js';

interface McpServeOptions {
  http?: string;
  host?: string;
  token?: string;
  exposeTools?: boolean;
}

/** Serves until the client goes away (stdio) or the process is interrupted (HTTP); resolves with the exit code. */
export async function mcpServeAction(opts: McpServeOptions, globals: ResolvedGlobals, io: CliIO): Promise<number> {
  const port = opts.http === undefined ? undefined : Number(opts.http);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65_536))
    throw new CliUsageError(`mixtape mcp --http: '${opts.http}' is not a port number.`);
  const { createCliAgent } = await import('../setup.js');
  const mcp = await import('@mixtape/mcp');
  type Cli = Awaited<ReturnType<typeof createCliAgent>>;
  const open: Cli[] = [];
  const bySession = new Map<string, Cli>();
  const start = async (sessionId: string | undefined): Promise<Cli> => {
    const cli = await createCliAgent({
      cwd: globals.cwd,
      env: io.env,
      flags: { ...globals.flags, session: sessionId === undefined ? { mode: 'new' } : { mode: 'continue', session: sessionId } },
      // No person at this end: what the rules leave open is refused (or asked through the client, for exposed tools).
      interactive: false,
    });
    open.push(cli);
    await cli.ready;
    for (const warning of cli.warnings) io.stderr.write(`mixtape mcp: ${warning}\n`);
    return cli;
  };
  const base = await start(undefined);
  const options = {
    name: 'mixtape',
    agent: {
      create: async (sessionId: string | undefined) => {
        const known = sessionId === undefined ? undefined : bySession.get(sessionId);
        const cli = known ?? (await start(sessionId));
        const id = cli.agent.sessionInfo()?.id;
        if (id !== undefined) bySession.set(id, cli);
        return cli.agent;
      },
    },
    ...(opts.exposeTools ? { tools: base.agent.tools, authorizer: base.authorizer } : {}),
    onError: (error: Error) => io.stderr.write(`mixtape mcp: ${error.message}\n`),
  };
  try {
    if (port === undefined) {
      const served = await mcp.serveMcpStdio(options, { stdin: io.stdin, stdout: io.stdout });
      await served.closed;
    } else {
      const token = opts.token ?? io.env.MIXTAPE_MCP_TOKEN;
      const served = await mcp.serveMcpHttp({ ...options, port, host: opts.host ?? '127.0.0.1', ...(token ? { token } : {}) });
      io.stderr.write(`mixtape mcp: serving ${served.url}${token ? ' (bearer token required)' : ''}; Ctrl+C stops.\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await served.close();
    }
    return EXIT_OK;
  } finally {
    for (const cli of open) await cli.close();
  }
}

/** The `mcp` subcommand. */
export const mcpSubcommand: Subcommand = {
  name: 'mcp',
  register(program, context) {
    const mcp = program
      .command('mcp')
      .description("serve this folder's agent to MCP clients (stdio; --http <port> for Streamable HTTP on 127.0.0.1)")
      .option('--http <port>', 'serve Streamable HTTP on this port instead of stdio')
      .option('--host <address>', 'address for --http (default 127.0.0.1)')
      .option('--token <token>', 'bearer token --http requires (default: $MIXTAPE_MCP_TOKEN)')
      .option('--expose-tools', "also serve the agent's tools one by one, under the same permission rules")
      .action(async (opts: McpServeOptions, command: Command) => {
        context.setExit(await mcpServeAction(opts, context.globals(command), context.io));
      });
    registerMcpAuth(mcp, context);
  },
};
