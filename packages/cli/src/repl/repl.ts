/**
 * The interactive REPL: resumes the folder's last session, reads prompts, runs turns, slash
 * commands and `!shell` commands, until /exit, Ctrl+D or Ctrl+C twice.
 * @module
 */
import path from 'node:path';
import { emptyUsage } from '@mixtape/core';
import { formatTokens, plural, shortId } from '../render/format.js';
import { createMarkdownRenderer, type MarkdownRenderer, preloadMarkdown } from '../render/markdown.js';
import { createTheme } from '../render/theme.js';
import { addUsageTo, TurnView } from '../render/turn-view.js';
import { type CliAgent, HISTORY_FILE } from '../setup.js';
import { runTurn, toolInputFormatter } from '../turn.js';
import { type CommandContext, runCommand } from './commands.js';
import { TurnKeys } from './keys.js';
import { LineEditor } from './line-editor.js';
import { runShellCommand } from './shell.js';

import { appendFileSync } from 'node:fs';
const trace = (m: string) => process.env.MIXTAPE_TRACE && appendFileSync(process.env.MIXTAPE_TRACE, m + '\n');
/** Options of {@link runRepl}. */
export interface ReplOptions {
  cli: CliAgent;
  version: string;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

/** Runs the REPL until the user leaves; resolves with the exit code. */
export async function runRepl(options: ReplOptions): Promise<number> {
  const { cli, version } = options;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const theme = createTheme(output, options.env);
  const print = (text: string) => output.write(text + '\n');

  // Start loading what the first answer needs while the person reads and types.
  const markdownReady: Promise<MarkdownRenderer | undefined> = output.isTTY
    ? createMarkdownRenderer({ width: output.columns, colors: theme.enabled }).catch(() => undefined)
    : Promise.resolve(undefined);
  if (output.isTTY) void preloadMarkdown().catch(() => {});
  const modelReady = cli.model.load().then(
    () => undefined,
    (error: Error) => error,
  );

  const modelName = cli.choice.info?.name ?? cli.choice.model;
  print(`${theme.bold(theme.magenta('mixtape'))} ${theme.dim(`v${version}`)} · ${modelName} ${theme.dim(`(${cli.choice.provider})`)}${cli.replay ? theme.yellow(` · replay of ${path.basename(cli.replay.cassette)}`) : ''}`);

  const info = await cli.agent.loadSession();
  if (info) {
    const usage = cli.agent.contextUsage();
    if (info.messageCount > 0) {
      print(
        `Resumed session ${theme.cyan(shortId(info.id))}${info.title ? ` "${info.title}"` : ''}: ${plural(info.messageCount, 'message')}, context ${formatTokens(usage.contextTokens)} / ${formatTokens(usage.maxContextTokens)} (${Math.round(usage.usagePercentage * 100)}%). ${theme.dim('/new starts a new one.')}`,
      );
    } else {
      print(`New session ${theme.cyan(shortId(info.id))}.`);
    }
  }
  if (cli.replay) print(theme.yellow(`Replaying a recorded conversation: answers come from the cassette (${plural(cli.replay.remaining(), 'response')}), whatever you type.`));
  print(theme.dim('Type /help for commands, /tools for tools, \\ or Ctrl+J for a new line, Ctrl+C to cancel.'));

  const editor = new LineEditor({
    input,
    output,
    theme,
    ...(cli.replay ? {} : { historyFile: path.join(cli.cwd, HISTORY_FILE) }),
    onInterruptHint: () => print(theme.dim('(Ctrl+C again to exit, or type /exit)')),
  });
  await editor.loadHistory();
  const keys = new TurnKeys(input);
  const totals: CommandContext['totals'] = { usage: emptyUsage(), costUsd: 0, runs: 0 };
  const ctx: CommandContext = { cli, theme, print, totals };
  let shownWarnings = 0;
  const showWarnings = () => {
    for (; shownWarnings < cli.warnings.length; shownWarnings++) print(theme.yellow(`! ${cli.warnings[shownWarnings]}`));
  };

  for (;;) {
    const read = await editor.read();
    if (read.type === 'exit') break;
    const text = read.text;
    if (!text.trim()) continue;
    await editor.remember(text);
    const trimmed = text.trim();
    if (trimmed.startsWith('/') && !trimmed.startsWith('//')) {
      if ((await runCommand(trimmed, ctx)) === 'exit') break;
      continue;
    }
    if (trimmed.startsWith('!')) {
      const command = trimmed.slice(1).trim();
      if (!command) {
        print(theme.yellow('Type a shell command after !, e.g. !git status'));
        continue;
      }
      print(theme.dim(`$ ${command}`));
      const { code, signal } = await runShellCommand(command, cli.cwd);
      if (code !== 0) print(theme.red(`exit ${signal ?? code}`));
      continue;
    }
    if (cli.replay && cli.replay.remaining() === 0) {
      print(theme.yellow('The recorded conversation is over: the cassette has no more responses. /exit leaves; run mixtape without --replay to talk to a real model.'));
      continue;
    }
    trace('before model');
    const modelError = await modelReady;
    trace('after model');
    if (modelError) {
      print(theme.red(`✖ ${modelError.message}`));
      continue;
    }
    const view = new TurnView({ out: output, info: output, theme, formatInput: toolInputFormatter(cli), ...(await withMarkdown(markdownReady)) });
    trace('before turn');
    const outcome = await runTurn(cli, text, { view, theme, keys });
    if (outcome.status === 'completed') {
      totals.runs++;
      addUsageTo(totals.usage, outcome.result.usage);
      totals.costUsd += outcome.result.cost ?? 0;
      view.status({
        context: cli.agent.contextUsage(),
        usage: outcome.result.usage,
        ...(outcome.result.cost !== undefined && { costUsd: outcome.result.cost }),
        ...(cli.agent.sessionInfo() && { sessionId: cli.agent.sessionInfo()!.id, messageCount: cli.agent.sessionInfo()!.messageCount }),
      });
    }
    // The view showed failures and cancellations; tool-loading problems are shown here, between turns.
    showWarnings();
  }
  print(theme.dim('Goodbye.'));
  return 0;
}

async function withMarkdown(ready: Promise<MarkdownRenderer | undefined>): Promise<{ markdown?: MarkdownRenderer }> {
  const markdown = await ready;
  return markdown ? { markdown } : {};
}
