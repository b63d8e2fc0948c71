/**
 * The REPL's slash commands.
 * @module
 */
import { type Message, messageText, type Usage } from '@mixtape/core';
import { forkSession } from '@mixtape/core/session';
import { formatCost, formatTokens, MAX_HISTORY_LINE_CHARS, plural, shortId, statusLine, timeAgo, truncate } from '../render/format.js';
import type { Theme } from '../render/theme.js';
import type { CliAgent } from '../setup.js';
import { findSessionId } from '../sessions.js';
import type { McpCommands } from './mcp-commands.js';
import { permissionsCommand } from './permissions.js';

/** Messages `/history` shows without a number. */
export const DEFAULT_HISTORY_COUNT = 10;
/** Sessions `/sessions` lists. */
export const MAX_SESSIONS_LISTED = 20;

/** What a command can use. */
export interface CommandContext {
  cli: CliAgent;
  theme: Theme;
  /** Prints one or more lines. */
  print(text: string): void;
  /** Tokens and cost of this process's runs. */
  totals: { usage: Usage; costUsd: number; runs: number };
  /** The last thinking block of the model, if any. */
  lastThinking?: () => string | undefined;
  /** MCP prompts, resources and attachments (the REPL's). */
  mcp?: McpCommands;
}

/** What the REPL does after a command: go on, leave, or send a message (an MCP prompt's text). */
export type CommandResult = 'continue' | 'exit' | { send: string };

interface Command {
  name: string;
  aliases?: string[];
  args?: string;
  description: string;
  run(ctx: CommandContext, args: string): Promise<CommandResult | void> | CommandResult | void;
}

/** Text of a message for listings: its text, or its tool calls and results. */
export function describeMessage(m: Message): string {
  const text = messageText(m).trim();
  if (text) return text;
  const parts = m.content.map((b) => {
    if (b.type === 'tool_use') return `[tool call ${b.name}]`;
    if (b.type === 'tool_result') return `[tool result${b.isError ? ' (error)' : ''}]`;
    if (b.type === 'thinking') return '[thinking]';
    return `[${b.type}]`;
  });
  return parts.join(' ');
}

async function currentSessionId(cli: CliAgent): Promise<string | undefined> {
  return cli.agent.sessionInfo()?.id ?? (await cli.agent.loadSession())?.id;
}

const commands: Command[] = [
  {
    name: 'help',
    description: 'Show this help',
    async run({ print, theme, mcp }) {
      const rows = commands.map(
        (c) =>
          `  ${theme.cyan(`/${c.name}${c.args ? ` ${c.args}` : ''}`.padEnd(20))} ${c.description}${c.aliases ? theme.dim(` (also /${c.aliases.join(', /')})`) : ''}`,
      );
      let prompts: string[];
      try {
        prompts =
          (await mcp?.prompts())?.map(
            (p) => `  ${theme.cyan(p.usage)}${p.prompt.description ? ` ${theme.dim('—')} ${truncate(p.prompt.description, 70)}` : ''}`,
          ) ?? [];
      } catch (error) {
        prompts = [theme.yellow(`  MCP prompts could not be listed: ${(error as Error).message}`)];
      }
      print(
        [
          theme.bold('Commands'),
          ...rows,
          `  ${theme.cyan('!<command>'.padEnd(20))} Run a shell command in this folder`,
          `  ${theme.cyan('@<server>:<uri>'.padEnd(20))} In a message: send that MCP resource with it (/resources lists them)`,
          ...(prompts.length ? ['', theme.bold('MCP prompts (send the prompt as your message; arguments as name=value)'), ...prompts] : []),
          '',
          theme.bold('Keys'),
          `  ${'Enter'.padEnd(20)} Send`,
          `  ${'\\ at line end, Ctrl+J'.padEnd(20)} New line`,
          `  ${'Up / Down, Ctrl+R'.padEnd(20)} History, search history`,
          `  ${'Ctrl+C'.padEnd(20)} Cancel the running answer; twice on an empty prompt to exit`,
          `  ${'Ctrl+D'.padEnd(20)} Exit`,
          `  ${'Ctrl+O'.padEnd(20)} Show the last thinking in full`,
          `  ${'Paste'.padEnd(20)} Several lines become one [pasted N lines] chip: Backspace removes it, Tab opens it for editing`,
          '',
          theme.bold('Approvals'),
          '  y once · e this exact call (session) · t the whole tool (session) · a always (this project) · n no, with a reason',
        ].join('\n'),
      );
    },
  },
  {
    name: 'tools',
    description: 'List the tools the agent can use',
    async run({ cli, print, theme }) {
      await cli.ready;
      const tools = cli.agent.tools;
      if (!tools.length) {
        print('No tools configured.');
        return;
      }
      const trusted = new Set(cli.authorizer.trustedTools);
      print(
        [
          theme.bold(`Tools (${tools.length})`),
          ...tools.map(
            (t) =>
              `  ${theme.cyan(t.name)}${trusted.has(t.name) ? theme.dim(' (runs without asking)') : ''} ${theme.dim('—')} ${truncate(t.description, 90)}`,
          ),
        ].join('\n'),
      );
      for (const w of cli.warnings) print(theme.yellow(`  ! ${w}`));
    },
  },
  {
    name: 'history',
    args: '[n]',
    description: `Show the last n messages (default ${DEFAULT_HISTORY_COUNT})`,
    async run({ cli, print, theme }, args) {
      const n = args.trim() ? Number.parseInt(args.trim(), 10) : DEFAULT_HISTORY_COUNT;
      if (!Number.isInteger(n) || n <= 0) {
        print(theme.yellow(`/history takes a positive number, e.g. /history 20.`));
        return;
      }
      const messages = cli.agent.messages;
      if (!messages.length) {
        print('No conversation history yet.');
        return;
      }
      const start = Math.max(0, messages.length - n);
      const lines = messages.slice(start).map((m, i) => {
        const role = m.role === 'user' ? theme.cyan('you') : theme.magenta('assistant');
        return `  ${theme.dim(String(start + i + 1).padStart(3))} ${role}: ${truncate(describeMessage(m), MAX_HISTORY_LINE_CHARS)}`;
      });
      print(lines.join('\n'));
    },
  },
  {
    name: 'session',
    description: 'Show the current session',
    async run({ cli, print, theme }) {
      const info = cli.agent.sessionInfo() ?? (await cli.agent.loadSession());
      const usage = cli.agent.contextUsage();
      if (!info) {
        print('No session (memory only).');
        return;
      }
      const stored = await cli.store.getSession(info.id);
      print(
        [
          theme.bold('Session'),
          `  id        ${info.id}`,
          ...(info.title ? [`  title     ${info.title}`] : []),
          `  messages  ${info.messageCount}`,
          `  created   ${info.createdAt.toLocaleString()} (${timeAgo(info.createdAt)})`,
          `  context   ${formatTokens(usage.contextTokens)} / ${formatTokens(usage.maxContextTokens)} tokens (${Math.round(usage.usagePercentage * 100)}%)`,
          ...(stored?.usage
            ? [
                `  usage     ${formatTokens(stored.usage.inputTokens)} in · ${formatTokens(stored.usage.outputTokens)} out · ${formatCost(stored.usage.costUsd)}`,
              ]
            : []),
          ...(stored?.forkedFrom ? [`  forked    from ${shortId(stored.forkedFrom)}`] : []),
          `  model     ${cli.choice.info?.name ?? cli.choice.model} (${cli.choice.provider})`,
        ].join('\n'),
      );
    },
  },
  {
    name: 'sessions',
    description: 'List the sessions of this folder',
    async run({ cli, print, theme }) {
      const all = await cli.store.listSessions();
      if (!all.length) {
        print('No sessions yet.');
        return;
      }
      const current = cli.agent.sessionInfo()?.id;
      const lines = all.slice(0, MAX_SESSIONS_LISTED).map((s) => {
        const mark = s.id === current ? theme.green(theme.sym.current) : ' ';
        return `  ${mark} ${theme.cyan(shortId(s.id))}  ${plural(s.messageCount, 'message').padEnd(13)} ${timeAgo(s.updatedAt).padEnd(12)} ${s.title ?? ''}`;
      });
      if (all.length > MAX_SESSIONS_LISTED) lines.push(theme.dim(`  … and ${all.length - MAX_SESSIONS_LISTED} more`));
      print([theme.bold('Sessions'), ...lines, theme.dim('  /resume <id> switches to one.')].join('\n'));
    },
  },
  {
    name: 'new',
    description: 'Start a new session',
    async run({ cli, print }) {
      await cli.agent.switchSession();
      const info = await cli.agent.loadSession();
      print(`New session ${info ? shortId(info.id) : ''}.`);
    },
  },
  {
    name: 'resume',
    args: '<id>',
    description: 'Switch to another session (an id prefix is enough)',
    async run({ cli, print, theme }, args) {
      const wanted = args.trim();
      if (!wanted) {
        print(theme.yellow('Usage: /resume <id>. /sessions lists the sessions.'));
        return;
      }
      const id = await findSessionId(cli.store, wanted);
      await cli.agent.switchSession(id);
      const info = await cli.agent.loadSession();
      const usage = cli.agent.contextUsage();
      print(
        `Resumed session ${shortId(id)}${info?.title ? ` "${info.title}"` : ''}: ${plural(info?.messageCount ?? 0, 'message')}, context ${formatTokens(usage.contextTokens)} / ${formatTokens(usage.maxContextTokens)}.`,
      );
    },
  },
  {
    name: 'fork',
    description: 'Copy this session into a new one and switch to it',
    async run({ cli, print }) {
      const id = await currentSessionId(cli);
      if (!id) {
        print('No session to fork.');
        return;
      }
      const fork = await forkSession(cli.store, id);
      await cli.agent.switchSession(fork.id);
      await cli.agent.loadSession();
      print(
        `Forked session ${shortId(id)} into ${shortId(fork.id)} (${plural(fork.messages.length, 'message')}); now in ${shortId(fork.id)}.`,
      );
    },
  },
  {
    name: 'rename',
    args: '<title>',
    description: 'Give this session a title',
    async run({ cli, print, theme }, args) {
      const title = args.trim();
      if (!title) {
        print(theme.yellow('Usage: /rename <title>'));
        return;
      }
      const id = await currentSessionId(cli);
      if (!id || !cli.store.renameSession) {
        print('This session store cannot rename sessions.');
        return;
      }
      await cli.store.renameSession(id, title);
      await cli.agent.switchSession(id);
      await cli.agent.loadSession();
      print(`Session ${shortId(id)} is now "${title}".`);
    },
  },
  {
    name: 'clear',
    description: 'Forget this conversation (memory and the stored session)',
    async run({ cli, print }) {
      const id = cli.agent.sessionInfo()?.id;
      await cli.agent.clearSession();
      print(`Session ${id ? shortId(id) + ' ' : ''}cleared. The next message starts a new session.`);
    },
  },
  {
    name: 'cost',
    description: 'Tokens and cost of this session and of this run of mixtape',
    async run({ cli, print, theme, totals }) {
      const id = cli.agent.sessionInfo()?.id;
      const stored = id ? await cli.store.getSession(id) : null;
      const priced = cli.choice.info?.pricing !== undefined;
      const lines = [theme.bold('Cost')];
      lines.push(
        `  this run of mixtape  ${formatTokens(totals.usage.inputTokens)} in · ${formatTokens(totals.usage.outputTokens)} out · ${priced ? formatCost(totals.costUsd) : 'price unknown'} (${plural(totals.runs, 'answer')})`,
      );
      if (stored?.usage) {
        lines.push(
          `  this session         ${formatTokens(stored.usage.inputTokens)} in · ${formatTokens(stored.usage.outputTokens)} out · ${priced ? formatCost(stored.usage.costUsd) : 'price unknown'}`,
        );
      }
      const usage = cli.agent.contextUsage();
      lines.push(`  ${statusLine({ context: usage })}`);
      if (!priced) lines.push(theme.dim(`  ${cli.choice.model} has no known prices in the catalogue.`));
      print(lines.join('\n'));
    },
  },
  {
    name: 'permissions',
    args: '[revoke <id> | log]',
    description: 'What runs without asking; revoke a saved grant; the decisions of this session',
    run: (ctx, args) => permissionsCommand(ctx, args),
  },
  {
    name: 'mcp',
    description: 'The MCP servers: connected or not, their tools, sampling rule, OAuth sign-in',
    async run({ mcp, print }) {
      if (!mcp) return print('No MCP servers here.');
      await mcp.listServers();
    },
  },
  {
    name: 'resources',
    args: '[server]',
    description: 'List the resources of the MCP servers',
    async run({ mcp, print }, args) {
      if (!mcp) return print('No MCP servers here.');
      await mcp.listResources(args);
    },
  },
  {
    name: 'attach',
    args: '<server>:<uri>',
    description: 'Send an MCP resource with your next message (or write @server:uri in it)',
    async run({ mcp, print }, args) {
      if (!mcp) return print('No MCP servers here.');
      await mcp.attach(args);
    },
  },
  {
    name: 'thinking',
    description: "Show the model's last thinking in full (also Ctrl+O)",
    run({ print, theme, lastThinking }) {
      const text = lastThinking?.();
      print(text ? theme.dim(text.trimEnd()) : 'No thinking to show yet (the model has not shown its reasoning in this run of mixtape).');
    },
  },
  {
    name: 'exit',
    aliases: ['quit'],
    description: 'Leave mixtape',
    run: () => 'exit',
  },
];

/** Names of all commands (with aliases), for completion and tests. */
export const COMMAND_NAMES: readonly string[] = commands.flatMap((c) => [c.name, ...(c.aliases ?? [])]);

/** Runs a `/command args` line. Unknown commands print a hint. */
export async function runCommand(line: string, ctx: CommandContext): Promise<CommandResult> {
  const match = /^\/(\S*)\s*([\s\S]*)$/.exec(line.trim());
  const typed = match?.[1] ?? '';
  const name = typed.toLowerCase();
  const args = match?.[2] ?? '';
  const command = commands.find((c) => c.name === name || c.aliases?.includes(name));
  if (!command && ctx.mcp) {
    try {
      const prompt = await ctx.mcp.findPrompt(typed);
      if (prompt) {
        const text = await ctx.mcp.runPrompt(prompt, args);
        return text === undefined ? 'continue' : { send: text };
      }
    } catch (error) {
      ctx.print(ctx.theme.red(`/${typed}: ${(error as Error).message}`));
      return 'continue';
    }
  }
  if (!command) {
    ctx.print(ctx.theme.yellow(`Unknown command: /${name}. Type /help for the commands.`));
    return 'continue';
  }
  try {
    return (await command.run(ctx, args)) ?? 'continue';
  } catch (error) {
    ctx.print(ctx.theme.red(`/${command.name}: ${(error as Error).message}`));
    return 'continue';
  }
}
