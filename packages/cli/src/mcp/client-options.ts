/**
 * What the CLI offers MCP servers beyond their tools, per server: its working folder as the
 * root, elicitation and sampling asked of the person in the turn, logs to the debug log, and
 * OAuth for remote servers (tokens in the user's config folder, the browser step through a
 * receiver on 127.0.0.1).
 *
 * Config, per server in `mcpServers` (besides what @mixtape/mcp reads):
 * `"sampling": "allow" | "ask" | "deny"` (default "ask"; with nobody to ask, "ask" refuses) and
 * `"oauth": false | { "callbackPort": 33418, "scope": "..." }`.
 * @module
 */
import path from 'node:path';
import { addUsage, emptyUsage, type Model, type Usage } from '@mixtape/core';
import type {
  McpClient,
  McpClientOptions,
  McpElicitationResult,
  McpListKind,
  McpLogMessage,
  McpOAuthOptions,
  McpRequestContext,
  McpSamplingRequest,
  McpServerConfig,
} from '@mixtape/mcp';
import { writeDebugLog } from '../debug-log.js';
import { formatCost, formatTokens } from '../render/format.js';
import { openInBrowser } from './browser.js';
import type { McpUi, SamplingDecision } from './ui.js';

/** What a server's sampling requests get without asking: run, ask the person, or refuse. */
export type SamplingRule = 'allow' | 'ask' | 'deny';

/** The sampling rules a config may name. */
export const SAMPLING_RULES: readonly SamplingRule[] = ['allow', 'ask', 'deny'];

/** The rule when the config names none. */
export const DEFAULT_SAMPLING_RULE: SamplingRule = 'ask';

/** Log levels of servers that are also shown (dimmed) to the person; all go to the debug log. */
export const SHOWN_LOG_LEVELS: ReadonlySet<string> = new Set(['warning', 'error', 'critical', 'alert', 'emergency']);

/** The CLI's own settings of one server. */
export interface CliServerSettings {
  sampling: SamplingRule;
  /** OAuth for a remote server (false: never sign in). */
  oauth: false | { callbackPort?: number; scope?: string };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `sampling` and `oauth` of each `mcpServers` entry; bad values are named in `problems` and the defaults used. */
export function cliServerSettings(servers: Record<string, unknown> | unknown[]): {
  settings: Map<string, CliServerSettings>;
  problems: string[];
} {
  const entries: Array<[string, unknown]> = Array.isArray(servers)
    ? servers.flatMap((s) => (isObject(s) && typeof s.name === 'string' ? [[s.name, s] as [string, unknown]] : []))
    : Object.entries(servers);
  const settings = new Map<string, CliServerSettings>();
  const problems: string[] = [];
  for (const [name, entry] of entries) {
    const raw = isObject(entry) ? entry : {};
    let sampling = DEFAULT_SAMPLING_RULE;
    if (raw.sampling !== undefined) {
      if ((SAMPLING_RULES as readonly unknown[]).includes(raw.sampling)) sampling = raw.sampling as SamplingRule;
      else
        problems.push(`mcpServers.${name}.sampling: expected "allow", "ask" or "deny", got ${JSON.stringify(raw.sampling)} (using "ask").`);
    }
    let oauth: CliServerSettings['oauth'] = {};
    if (raw.oauth === false) oauth = false;
    else if (isObject(raw.oauth)) {
      const port = raw.oauth.callbackPort;
      if (port !== undefined && !(Number.isInteger(port) && (port as number) > 0 && (port as number) < 65_536))
        problems.push(`mcpServers.${name}.oauth.callbackPort: expected a port number, got ${JSON.stringify(port)}.`);
      else if (port !== undefined) oauth.callbackPort = port as number;
      if (typeof raw.oauth.scope === 'string') oauth.scope = raw.oauth.scope;
    } else if (raw.oauth !== undefined) {
      problems.push(`mcpServers.${name}.oauth: expected false or { "callbackPort": <port>, "scope": "..." }.`);
    }
    settings.set(name, { sampling, oauth });
  }
  return { settings, problems };
}

/** Sampling tokens and cost the runs could not count (no run to attribute them to). */
export class SamplingLedger {
  usage: Usage = emptyUsage();
  costUsd = 0;
  /** Requests answered by the model, over the process's life. */
  answered = 0;

  add(usage: Usage, costUsd: number | undefined): void {
    addUsage(this.usage, usage);
    this.costUsd += costUsd ?? 0;
  }

  /** Takes what was added since the last call. */
  take(): { usage: Usage; costUsd: number } {
    const taken = { usage: this.usage, costUsd: this.costUsd };
    this.usage = emptyUsage();
    this.costUsd = 0;
    return taken;
  }
}

/** What {@link cliMcpClients} needs. */
export interface CliMcpInput {
  ui: McpUi;
  /** The agent's model: sampling runs on it. */
  model: Model;
  /** The folder given to servers as their root (read each time a server asks). */
  root: () => string;
  settings: ReadonlyMap<string, CliServerSettings>;
  ledger: SamplingLedger;
  env: NodeJS.ProcessEnv;
  /** Folder of the debug log. */
  cwd: string;
  /** A server's list of tools, prompts or resources changed. */
  onListChanged?: (kind: McpListKind, server: string) => void;
}

/**
 * The request's context with a signal that also ends when the tool call it came from ends (timed
 * out, cancelled): a question must not outlive the call that needed the answer, even when the
 * server does not cancel its request.
 */
export function withCallSignal(ctx: McpRequestContext): McpRequestContext {
  const call = ctx.call?.signal;
  if (!call) return ctx;
  const controller = new AbortController();
  const abort = (from: AbortSignal) => () => controller.abort(from.reason);
  for (const signal of [ctx.signal, call]) {
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', abort(signal), { once: true, signal: controller.signal });
  }
  return { ...ctx, signal: controller.signal };
}

function describeLog(message: McpLogMessage): string {
  const data = typeof message.data === 'string' ? message.data : JSON.stringify(message.data);
  return `[mcp ${message.server}] ${message.level}${message.logger ? ` ${message.logger}` : ''}: ${data}`;
}

/** The options every server's client shares (roots, elicitation, sampling, logs). */
export function sharedClientOptions(input: CliMcpInput): McpClientOptions {
  const { ui, model, settings, ledger, env, cwd } = input;
  const modelName = model.info?.name ?? model.modelId;
  /** Servers whose sampling the person allowed until mixtape exits (answer `a`). */
  const allowedUntilExit = new Set<string>();

  const approve = async (request: McpSamplingRequest, ctx: McpRequestContext): Promise<SamplingDecision> => {
    const rule = settings.get(ctx.server)?.sampling ?? DEFAULT_SAMPLING_RULE;
    if (rule === 'deny') {
      ui.notice(`MCP server '${ctx.server}' asked to use the model; refused (mcpServers.${ctx.server}.sampling is "deny").`, 'dim');
      return { approved: false, reason: `sampling is denied by the configuration of '${ctx.server}'` };
    }
    if (rule === 'allow') {
      ui.notice(
        `MCP server '${ctx.server}' uses the model (up to ${request.maxTokens} tokens; allowed by mcpServers.${ctx.server}.sampling).`,
        'dim',
      );
      return true;
    }
    if (allowedUntilExit.has(ctx.server)) {
      ui.notice(
        `MCP server '${ctx.server}' uses the model (up to ${request.maxTokens} tokens; you allowed it until mixtape exits).`,
        'dim',
      );
      return true;
    }
    const asker = ui.asker;
    if (!asker) {
      ui.notice(
        `MCP server '${ctx.server}' asked to use the model; refused: nobody can approve it here (set mcpServers.${ctx.server}.sampling to "allow" to let it).`,
        'warn',
      );
      return { approved: false, reason: 'nobody can approve sampling requests here' };
    }
    const answer = await ui.one(() => asker.approveSampling(request, withCallSignal(ctx)));
    if (answer !== 'session') return answer;
    allowedUntilExit.add(ctx.server);
    return true;
  };

  return {
    roots: () => {
      const dir = input.root();
      return [{ uri: dir, name: path.basename(dir) || dir }];
    },
    onElicitation: async (request, ctx): Promise<McpElicitationResult> => {
      const asker = ui.asker;
      if (!asker) {
        const what = request.mode === 'url' ? `to open ${request.url} (${request.message})` : `for input: ${request.message}`;
        ui.notice(
          `MCP server '${ctx.server}' asked ${what}; declined: nobody can answer here (run mixtape in a terminal to answer).`,
          'warn',
        );
        return { action: 'decline' };
      }
      return ui.one(() => asker.elicit(request, withCallSignal(ctx)));
    },
    onSampling: async (request, ctx) => {
      const { modelSamplingHandler } = await import('@mixtape/mcp');
      const handler = modelSamplingHandler({
        model,
        approve,
        onUsage: ({ usage, costUsd }) => {
          ledger.answered++;
          // The handler counts it in the run (its cost, its budget) when the request is tied to a
          // tool call; otherwise it goes to the CLI's own totals.
          if (!ctx.call?.reportUsage) ledger.add(usage, costUsd);
          ui.notice(
            `${ctx.server}: sampling on ${modelName} used ${formatTokens(usage.inputTokens)} in · ${formatTokens(usage.outputTokens)} out${costUsd !== undefined ? ` · ${formatCost(costUsd)}` : ''}`,
            'dim',
          );
        },
      });
      return handler(request, ctx);
    },
    onLog: (message) => {
      const text = describeLog(message);
      writeDebugLog(text, env, cwd);
      if (SHOWN_LOG_LEVELS.has(message.level)) ui.notice(text, 'dim');
    },
    logLevel: 'info',
    ...(input.onListChanged && { onListChanged: input.onListChanged }),
    onNotice: (message) => {
      writeDebugLog(`[mcp] ${message}`, env, cwd);
      ui.notice(message, 'dim');
    },
  };
}

/** OAuth for one remote server: tokens in the user's config folder, the browser step on 127.0.0.1. */
export async function cliOAuth(
  server: string,
  settings: CliServerSettings | undefined,
  ui: McpUi,
  env: NodeJS.ProcessEnv,
): Promise<McpOAuthOptions> {
  const mcp = await import('@mixtape/mcp');
  const oauth = settings?.oauth || {};
  const loopback = mcp.loopbackAuthorization({
    ...(oauth.callbackPort !== undefined && { port: oauth.callbackPort }),
    open: (url) => {
      const opened = openInBrowser(url.href, env);
      ui.notice(
        `Sign in to MCP server '${server}'${opened ? ' in the browser window that opened' : ''}; if no window opened, open this URL:\n  ${url.href}`,
        'warn',
      );
    },
  });
  return {
    store: new mcp.FileOAuthTokenStore(mcp.defaultOAuthTokenFile(env)),
    ...loopback,
    clientName: 'Mixtape CLI',
    ...(oauth.scope !== undefined && { scope: oauth.scope }),
  };
}

/** One client per server, each with the shared options and, for a remote server, OAuth. */
export async function cliMcpClients(configs: readonly McpServerConfig[], input: CliMcpInput): Promise<McpClient[]> {
  const mcp = await import('@mixtape/mcp');
  const shared = sharedClientOptions(input);
  return Promise.all(
    configs.map(async (config) => {
      const settings = input.settings.get(config.name);
      const remote = config.transport.type === 'http';
      const oauth = remote && settings?.oauth !== false ? await cliOAuth(config.name, settings, input.ui, input.env) : undefined;
      return new mcp.McpClient(config, { ...shared, ...(oauth && { oauth }) });
    }),
  );
}
