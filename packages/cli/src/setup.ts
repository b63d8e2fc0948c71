/**
 * Builds the CLI's agent from flags, the config file and the environment: model, SQLite session
 * store and grant store in `.mixtape/`, the permission authorizer, tools and context files.
 * @module
 */
import path from 'node:path';
import {
  Agent,
  type Budgets,
  type ContextSource,
  type GrantStore,
  MemoryGrantStore,
  MemorySessionStore,
  type Model,
  PermissionAuthorizer,
  type PermissionRule,
  type SessionStore,
  type ToolAuthorizer,
} from '@mixtape/core';
import type { SandboxSetting } from '@mixtape/tools';
import { denialAdvice, sandboxUnavailable } from './advice.js';
import { resolveCassette } from './cassettes.js';
import {
  DEFAULT_CONTEXT_FILES,
  DEFAULT_TOOL_GROUPS,
  DEFAULT_TRUSTED_TOOLS,
  type LoadedConfig,
  loadConfig,
  type MixtapeConfig,
  toolGroupProblems,
} from './config.js';
import { setDebugLogFolder } from './debug-log.js';
import { CliUsageError } from './errors.js';
import { checkCredentials, lazyModel, type ProviderChoice, resolveProvider } from './provider.js';
import { type SessionChoice, startSession } from './sessions.js';
import { builtinTools, mcpTools } from './tools.js';
import { cliServerSettings, type CliServerSettings, SamplingLedger } from './mcp/client-options.js';
import { McpUi, type NoticeLevel } from './mcp/ui.js';
import { openInBrowser } from './mcp/browser.js';
import type { McpClient, McpListKind } from '@mixtape/mcp';
import { GRANTS_DB, SESSIONS_DB } from './paths.js';

export type { SessionChoice } from './sessions.js';

export { GRANTS_DB, HISTORY_FILE, SESSIONS_DB, STATE_DIR } from './paths.js';

/** The system prompt when the config file gives none. */
export function defaultSystemPrompt(cwd: string): string {
  return (
    `You are mixtape, a helpful assistant working in a terminal in the folder ${cwd}. ` +
    'Use the tools to look at and change files when that helps; say what you are about to do. ' +
    'Answer in Markdown; keep answers short unless asked for detail.'
  );
}

/** What the CLI was asked for on its command line. */
export interface CliFlags {
  provider?: string;
  model?: string;
  baseUrl?: string;
  config?: string;
  /** A cassette to replay instead of a real provider. */
  replay?: string;
  /** Tools (names or globs) that run without asking, on top of the config's. */
  allow?: string[];
  /** Built-in tool groups instead of the config's (or "none"). */
  tools?: string[];
  system?: string;
  /** Which session to use (--new, --continue, --session, --fork); default: the folder's newest. */
  session?: SessionChoice;
  /** --sandbox: run the process tools' commands in bubblewrap. */
  sandbox?: boolean;
  /** --max-cost: the cost limit of each run (US dollars). */
  maxCostUsd?: number;
}

/** The sandbox of the process tools: on with --sandbox or the config's "sandbox" (whose options apply). */
export function sandboxSetting(flag: boolean | undefined, config: MixtapeConfig['sandbox']): SandboxSetting | undefined {
  if (config === undefined || config === false) return flag ? true : undefined;
  return config;
}

/** The agent's budgets from the config's "budget" and --max-cost (which overrides budget.run.maxCostUsd); undefined when none is set. */
export function budgetsOf(config: MixtapeConfig['budget'], maxCostUsd: number | undefined): Budgets | undefined {
  const run = { ...config?.run, ...(maxCostUsd !== undefined && { maxCostUsd }) };
  const budgets: Budgets = {
    ...(Object.keys(run).length > 0 && { run }),
    ...(config?.session && Object.keys(config.session).length > 0 && { session: config.session }),
  };
  return budgets.run || budgets.session ? budgets : undefined;
}

/** Options of {@link createCliAgent}. */
export interface CliAgentOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  flags: CliFlags;
  /** Whether a person can answer approval questions. */
  interactive: boolean;
}

/** The replay server, when running a cassette. */
export interface ReplayInfo {
  cassette: string;
  /** Responses of the cassette not served yet. */
  remaining(): number;
}

/** The agent and everything around it. */
export interface CliAgent {
  agent: Agent;
  model: Model & { load(): Promise<Model> };
  choice: ProviderChoice;
  store: SessionStore;
  authorizer: PermissionAuthorizer;
  config: LoadedConfig;
  cwd: string;
  /**
   * Settles when the tools (built-in and MCP) are added to the agent; never rejects. Loading
   * starts the first time this is read (so a REPL can show its prompt first).
   */
  readonly ready: Promise<void>;
  /** Problems found while loading tools (e.g. an MCP server that did not start). */
  warnings: string[];
  replay?: ReplayInfo;
  /** What the session flags did, for the person (e.g. "Forked session … into …."). */
  sessionNote?: string;
  /** The cost and token limits in force (--max-cost, the config's "budget"), for the status line. */
  budget?: Budgets;
  /** The MCP servers' side: where their questions and notices go, their clients once `ready`, sampling totals. */
  mcp: CliMcp;
  /** Closes MCP servers, the replay server and the stores. */
  close(): Promise<void>;
}

/** The CLI's MCP servers beyond their tools. */
export interface CliMcp {
  /** Where elicitation and sampling questions are asked, and where notices (logs, sign-in URLs) go. */
  ui: McpUi;
  /** Sampling usage no run could count (shown in the status line and /cost). */
  ledger: SamplingLedger;
  /** The connected servers' clients (empty until `ready`, or without MCP servers). */
  clients: McpClient[];
  /** The folder servers are given as their root. */
  root(): string;
  /** Changes the root and tells every server (`notifications/roots/list_changed`). */
  setRoot(dir: string): Promise<void>;
  /** Opens a URL in the person's browser ($BROWSER, xdg-open, open); false when there is none. */
  openUrl(url: string): boolean;
  /** The CLI's settings of each configured server (sampling rule, OAuth). */
  settings: ReadonlyMap<string, CliServerSettings>;
  /** Calls `listener` when a server's prompts or resources change; returns a function that stops. */
  onListChanged(listener: (kind: McpListKind, server: string) => void): () => void;
}

/** Where MCP notices go when no REPL or turn has lent a place: stderr. */
export function stderrNotices(stderr: NodeJS.WritableStream = process.stderr): (text: string, level: NoticeLevel) => void {
  return (text) => stderr.write(`mixtape: ${text}\n`);
}

/**
 * Creates the agent. Fast: the provider SDK and the tools are loaded in the background
 * (`ready`), so a REPL can show its prompt first.
 * @throws CliUsageError / ConfigError / NoProviderError for configuration problems (exit code 2).
 */
export async function createCliAgent(options: CliAgentOptions): Promise<CliAgent> {
  const { cwd, env, flags } = options;
  setDebugLogFolder(cwd);
  if (flags.tools) {
    const problems = toolGroupProblems(flags.tools, '--tools');
    if (problems.length) throw new CliUsageError(problems.join('\n'));
  }
  const loaded = await loadConfig(cwd, flags.config);
  const { config } = loaded;
  const closers: (() => Promise<void>)[] = [];
  const warnings: string[] = [];

  let choice: ProviderChoice;
  let replay: ReplayInfo | undefined;
  if (flags.replay !== undefined) {
    const testing = await import('@mixtape/testing');
    const cassette = resolveCassette(flags.replay, cwd);
    let responses;
    try {
      responses = await testing.loadCassette(cassette);
    } catch (error) {
      throw new CliUsageError((error as Error).message, { cause: error });
    }
    const server = await testing.startFakeAnthropic({ responses });
    closers.push(() => server.close());
    choice = resolveProvider(
      { provider: 'anthropic', ...(flags.model !== undefined && { model: flags.model }), baseURL: server.url },
      {},
      env,
    );
    choice.apiKey = 'replay';
    replay = { cassette, remaining: () => server.script.remaining.length };
  } else {
    choice = resolveProvider(
      {
        ...(flags.provider !== undefined && { provider: flags.provider }),
        ...(flags.model !== undefined && { model: flags.model }),
        ...(flags.baseUrl !== undefined && { baseURL: flags.baseUrl }),
      },
      config,
      env,
    );
    checkCredentials(choice, env);
  }
  const model = lazyModel(choice);

  const groups = flags.tools ?? config.tools ?? [...DEFAULT_TOOL_GROUPS];
  const sandbox = sandboxSetting(flags.sandbox, config.sandbox);
  if (sandbox !== undefined && sandbox !== false && (groups.includes('process') || groups.includes('all'))) {
    // Checked here, not when the tools load in the background: a sandbox that cannot run is a configuration error (exit 2).
    const { sandboxProblem } = await import('@mixtape/tools');
    const problem = sandboxProblem(typeof sandbox === 'object' ? sandbox.bwrapPath : undefined);
    if (problem !== null) throw sandboxUnavailable(problem);
  }
  const budget = budgetsOf(config.budget, flags.maxCostUsd);

  let store: SessionStore;
  let grants: GrantStore;
  if (replay) {
    // A replay leaves no trace in the project: memory only.
    store = new MemorySessionStore({ directory: cwd });
    grants = new MemoryGrantStore();
  } else {
    const sqlite = await import('@mixtape/sqlite');
    store = new sqlite.SqliteSessionStore(path.join(cwd, SESSIONS_DB), { directory: cwd });
    grants = new sqlite.SqliteGrantStore(path.join(cwd, GRANTS_DB));
    closers.push(async () => {
      await store.close?.();
      await (grants as { close?: () => Promise<void> | void }).close?.();
    });
  }

  const permissions = config.permissions ?? {};
  const authorizer = new PermissionAuthorizer({
    store: grants,
    interactive: options.interactive,
    ...(permissions.policy && { policy: permissions.policy }),
    rules: (permissions.rules ?? []) as PermissionRule[],
    trustedTools: [...(permissions.trustedTools ?? DEFAULT_TRUSTED_TOOLS), ...(flags.allow ?? [])],
    project: cwd,
    onStoreError: (error) => warnings.push(`Could not save a permission: ${error.message}`),
  });

  const start = await startSession(store, flags.session);
  const contextFiles: ContextSource[] = config.contextFiles ?? [...DEFAULT_CONTEXT_FILES];
  const agent = new Agent({
    model,
    systemPrompt: flags.system ?? config.systemPrompt ?? defaultSystemPrompt(cwd),
    sessionStore: store,
    ...(start.sessionId !== undefined && { sessionId: start.sessionId }),
    authorizer: withCliDenials(authorizer),
    interactive: options.interactive,
    contextFiles,
    cwd,
    ...(config.maxSteps !== undefined && { maxSteps: config.maxSteps }),
    ...(config.maxTokens !== undefined && { maxTokens: config.maxTokens }),
    ...(budget && { budget }),
  });

  if (start.fresh) await agent.switchSession();

  const mcpSettings = config.mcpServers ? cliServerSettings(config.mcpServers) : undefined;
  if (mcpSettings) warnings.push(...mcpSettings.problems);
  let root = cwd;
  const listChanged = new Set<(kind: McpListKind, server: string) => void>();
  let refreshTools: (() => Promise<void>) | undefined;
  const mcpSide: CliMcp = {
    ui: new McpUi(stderrNotices()),
    ledger: new SamplingLedger(),
    clients: [],
    root: () => root,
    openUrl: (url) => openInBrowser(url, env),
    settings: mcpSettings?.settings ?? new Map(),
    onListChanged(listener) {
      listChanged.add(listener);
      return () => listChanged.delete(listener);
    },
    async setRoot(dir) {
      root = dir;
      // The clients read the root through `mcpSide.root`; setRoots sends the change notification.
      await Promise.all(mcpSide.clients.map((c) => c.setRoots(() => [{ uri: root, name: path.basename(root) || root }])));
    },
  };

  let ready: Promise<void> | undefined;
  const loadTools = async () => {
    try {
      for (const t of await builtinTools(groups, cwd, { ...(sandbox !== undefined && { sandbox }) })) agent.addTool(t);
    } catch (error) {
      warnings.push((error as Error).message);
    }
    if (config.mcpServers) {
      try {
        const mcp = await mcpTools(config.mcpServers, cwd, {
          ui: mcpSide.ui,
          model,
          root: mcpSide.root,
          settings: mcpSettings!.settings,
          ledger: mcpSide.ledger,
          env,
          cwd,
          onListChanged: (kind, server) => {
            if (kind === 'tools') void refreshTools?.();
            for (const listener of listChanged) listener(kind, server);
          },
        });
        mcpSide.clients.push(...mcp.clients);
        // A server that adds tools while mixtape runs: the new ones are offered to the model from the next step.
        refreshTools = async () => {
          try {
            const known = new Set(agent.tools.map((t) => t.name));
            const added = (await mcp.refresh()).filter((t) => !known.has(t.name));
            for (const t of added) agent.addTool(t);
            if (added.length) mcpSide.ui.notice(`MCP tools added: ${added.map((t) => t.name).join(', ')}`, 'dim');
          } catch (error) {
            mcpSide.ui.notice(`Could not list the MCP tools again: ${(error as Error).message}`, 'warn');
          }
        };
        closers.push(mcp.close);
        for (const f of mcp.failures) warnings.push(`MCP server '${f.server}' did not start: ${f.message}`);
        for (const t of mcp.tools) {
          try {
            agent.addTool(t);
          } catch (error) {
            warnings.push((error as Error).message);
          }
        }
      } catch (error) {
        warnings.push(`MCP servers: ${(error as Error).message}`);
      }
    }
  };

  return {
    agent,
    model,
    choice,
    store,
    authorizer,
    config: loaded,
    cwd,
    get ready() {
      ready ??= loadTools();
      return ready;
    },
    warnings,
    ...(replay && { replay }),
    ...(start.note !== undefined && { sessionNote: start.note }),
    ...(budget && { budget }),
    mcp: mcpSide,
    async close() {
      await ready;
      for (const close of closers.reverse()) {
        try {
          await close();
        } catch {
          // Closing is best effort at exit.
        }
      }
    },
  };
}

/**
 * The authorizer with mixtape's advice in denials: where nobody can answer, the model (and the
 * person reading stderr) learn the flag and the config key that allow the tool, not the library's
 * option names.
 */
function withCliDenials(authorizer: PermissionAuthorizer): ToolAuthorizer {
  return {
    async check(call) {
      const check = await authorizer.check(call);
      if (check.decision === 'denied' && check.reason.startsWith('No grant for tool')) {
        return { ...check, reason: `No grant for tool '${call.toolName}'. ${denialAdvice(call.toolName)}` };
      }
      return check;
    },
    record: (call, response) => authorizer.record(call, response),
  };
}
