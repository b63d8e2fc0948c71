/**
 * The interactive REPL: resumes the folder's last session, reads prompts, runs turns, slash
 * commands and `!shell` commands, until /exit, Ctrl+D or Ctrl+C twice.
 * @module
 */
import path from 'node:path';
import { failureText } from '../advice.js';
import { markdownUnavailable } from '../debug-log.js';
import { formatTokens, plural, shortId } from '../render/format.js';
import type { MarkdownRenderer } from '../render/markdown.js';
import { createTheme } from '../render/theme.js';
import { widthOf, wrapText } from '../render/wrap.js';
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON } from './paste.js';
import { HISTORY_FILE } from '../paths.js';
import type { CliAgent } from '../setup.js';
import type { CommandContext } from './commands.js';
import { McpCommands } from './mcp-commands.js';
import { TurnKeys } from './keys.js';
import { LineEditor, type LineResult } from './line-editor.js';
import { runShellCommand } from './shell.js';
import type * as TurnViewModule from '../render/turn-view.js';
import type * as TurnModule from '../turn.js';

/** What the first answer needs, loaded in the background once the prompt is shown. */
interface TurnModules {
  view: typeof TurnViewModule;
  turn: typeof TurnModule;
  markdown: MarkdownRenderer | undefined;
  /** The provider failed to load (e.g. its package is missing). */
  modelError: Error | undefined;
}

/** Characters per token of the start-up estimate. */
export const CHARS_PER_TOKEN_ESTIMATE = 4;

/**
 * A quick estimate of the context a resumed session takes (characters / 4), for the start-up
 * line: the agent's own count loads a BPE tokenizer, which would delay the prompt by tens of
 * milliseconds. The status line after each answer gives the agent's count.
 */
export function quickContextEstimate(cli: CliAgent): { tokens: number; max: number } {
  let chars = JSON.stringify(cli.agent.messages).length;
  chars += (cli.config.config.systemPrompt ?? '').length;
  return { tokens: Math.ceil(chars / CHARS_PER_TOKEN_ESTIMATE), max: cli.model.info?.contextWindow ?? 200_000 };
}

function loadTurnModules(
  cli: CliAgent,
  output: NodeJS.WriteStream,
  colors: boolean,
  plain: boolean,
  env: NodeJS.ProcessEnv,
): Promise<TurnModules> {
  const markdown =
    output.isTTY && !plain
      ? import('../render/markdown.js')
          .then((m) => m.createMarkdownRenderer({ width: () => widthOf(output), colors }))
          .catch(
            // Without the renderer answers are still readable as plain text; the reason goes to the debug log.
            (error: unknown) => markdownUnavailable(error, env, cli.cwd),
          )
      : Promise.resolve(undefined);
  const modelError = cli.model.load().then(
    () => undefined,
    (error: Error) => error,
  );
  // Tools load too (cli.ready starts them); their problems are shown between turns.
  void cli.ready;
  return Promise.all([import('../render/turn-view.js'), import('../turn.js'), markdown, modelError]).then(([view, turn, md, err]) => ({
    view,
    turn,
    markdown: md,
    modelError: err,
  }));
}
/** Tab completion of a slash command (built-in names and MCP prompt commands); readline's completer shape. */
export function completeCommand(line: string, commandNames: readonly string[], promptCommands: readonly string[]): [string[], string] {
  if (!/^\/\S*$/.test(line)) return [[], line];
  const all = [...commandNames.map((n) => `/${n}`), ...promptCommands];
  const hits = all.filter((c) => c.startsWith(line));
  return [hits, line];
}

/** Options of {@link runRepl}. */
export interface ReplOptions {
  /**
   * The agent, or a function creating it: called once the prompt is on screen, so the person can
   * start typing while the agent (the framework, the session store) loads. Its failure ends the REPL.
   */
  cli: CliAgent | (() => Promise<CliAgent>);
  /** The working folder (for the input history when `cli` is a function; default: `cli.cwd`). */
  cwd?: string;
  /** A replay keeps no input history (when `cli` is a function; default: whether `cli.replay` is set). */
  replay?: boolean;
  version: string;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  /** Plain output for screen readers (no colour, animation or redrawing; words for symbols). */
  plain?: boolean;
}

/** Runs the REPL until the user leaves; resolves with the exit code. */
export async function runRepl(options: ReplOptions): Promise<number> {
  const { version } = options;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const plain = Boolean(options.plain);
  const theme = createTheme(output, options.env, plain);
  const dot = theme.plain ? ',' : ' ·';
  const given = typeof options.cli === 'function' ? undefined : options.cli;
  const cwd = options.cwd ?? given?.cwd ?? process.cwd();
  const replay = options.replay ?? Boolean(given?.replay);

  let lastThinking: string | undefined;
  const editor = new LineEditor({
    input,
    output,
    theme,
    ...(replay ? {} : { historyFile: path.join(cwd, HISTORY_FILE) }),
    onInterruptHint: () => output.write(wrapText(theme.dim('(Ctrl+C again to exit, or type /exit)'), widthOf(output)) + '\n'),
    onExpand: () => wrapText(theme.dim(lastThinking?.trimEnd() ?? 'No thinking to show yet.'), widthOf(output)),
    complete: async (line) => completeCommand(line, (await import('./commands.js')).COMMAND_NAMES, mcp.commands?.promptNames ?? []),
  });
  // Set once the agent is there (the editor, made before it, completes with its prompt commands).
  const mcp: { commands?: McpCommands } = {};
  // Every line is wrapped to the terminal's width at the time it is printed (above the prompt
  // while one is shown).
  const print = (text: string) => editor.printAbove(wrapText(text, widthOf(output)));
  await editor.loadHistory();

  // The prompt first; the agent loads while the person types.
  let firstRead: Promise<LineResult> | undefined;
  let cli: CliAgent;
  if (given) {
    cli = given;
  } else {
    firstRead = editor.read();
    try {
      cli = await (options.cli as () => Promise<CliAgent>)();
    } catch (error) {
      editor.cancel();
      await firstRead;
      if (output.isTTY) output.write(BRACKETED_PASTE_OFF);
      if (input.isTTY) input.setRawMode(false);
      throw error;
    }
  }

  const modelName = cli.choice.info?.name ?? cli.choice.model;
  print(
    `${theme.bold(theme.magenta('mixtape'))} ${theme.dim(`v${version}`)}${dot} ${modelName} ${theme.dim(`(${cli.choice.provider})`)}${cli.replay ? theme.yellow(`${dot} replay of ${path.basename(cli.replay.cassette)}`) : ''}`,
  );
  // Config entries that were left out, named, before anything else happens.
  for (const problem of cli.config.problems)
    print(
      theme.yellow(
        `${theme.sym.warning} ${cli.config.file ? path.basename(cli.config.file) : 'config'}: ${problem} (left out; the rest of the config applies)`,
      ),
    );
  if (cli.sessionNote) print(cli.sessionNote);

  const info = await cli.agent.loadSession();
  if (info) {
    if (info.messageCount > 0) {
      const { tokens, max } = quickContextEstimate(cli);
      print(
        `Resumed session ${theme.cyan(shortId(info.id))}${info.title ? ` "${info.title}"` : ''}: ${plural(info.messageCount, 'message')}, context ~${formatTokens(tokens)} / ${formatTokens(max)} (${Math.round((tokens / max) * 100)}%). ${theme.dim('/new (or mixtape --new) starts a new one.')}`,
      );
    } else {
      print(`New session ${theme.cyan(shortId(info.id))}.`);
    }
  }
  if (cli.replay)
    print(
      theme.yellow(
        `Replaying a recorded conversation: answers come from the cassette (${plural(cli.replay.remaining(), 'response')}), whatever you type.`,
      ),
    );
  print(theme.dim('Type /help for commands, /tools for tools, \\ or Ctrl+J for a new line, Ctrl+C to cancel.'));

  const keys = new TurnKeys(input);
  const totals: CommandContext['totals'] = { usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0, runs: 0 };
  const mcpCommands = new McpCommands(cli, print, theme, options.env ?? process.env);
  mcp.commands = mcpCommands;
  const ctx: CommandContext = { cli, theme, print, totals, lastThinking: () => lastThinking, mcp: mcpCommands };
  // Between turns, what MCP servers say (sign-in URLs, warnings) is printed above the prompt.
  const giveNotices = cli.mcp.ui.lendNotices((text, level) =>
    print(level === 'warn' ? theme.yellow(`${theme.sym.warning} ${text}`) : level === 'dim' ? theme.dim(text) : text),
  );
  // Prompt commands complete with Tab once the servers are up.
  if (cli.config.config.mcpServers) void mcpCommands.prompts().catch(() => undefined); // listed again when used
  let shownWarnings = 0;
  const showWarnings = () => {
    for (; shownWarnings < cli.warnings.length; shownWarnings++) print(theme.yellow(`${theme.sym.warning} ${cli.warnings[shownWarnings]}`));
  };

  let modules: Promise<TurnModules> | undefined;
  for (;;) {
    const typed = keys.takeTypeahead();
    const reading = firstRead ?? editor.read(typed.text, typed.pastes);
    firstRead = undefined;
    // The prompt is on screen: load what the first answer needs while the person types.
    modules ??= loadTurnModules(cli, output, theme.enabled, plain, options.env ?? process.env);
    const read = await reading;
    if (read.type === 'exit') break;
    let text = read.text;
    if (!text.trim()) continue;
    await editor.remember(text);
    const trimmed = text.trim();
    if (trimmed.startsWith('/') && !trimmed.startsWith('//')) {
      const { runCommand } = await import('./commands.js');
      const result = await runCommand(trimmed, ctx);
      if (result === 'exit') break;
      if (result === 'continue') continue;
      // An MCP prompt: its text is sent as the message.
      text = result.send;
    }
    if (trimmed.startsWith('!')) {
      const command = trimmed.slice(1).trim();
      if (!command) {
        print(theme.yellow('Type a shell command after !, e.g. !git status'));
        continue;
      }
      print(theme.dim(`$ ${command}`));
      keys.restore();
      if (output.isTTY) output.write(BRACKETED_PASTE_OFF);
      const { code, signal } = await runShellCommand(command, cli.cwd);
      if (output.isTTY) output.write(BRACKETED_PASTE_ON);
      if (code !== 0) print(theme.red(`exit ${signal ?? code}`));
      continue;
    }
    if (cli.replay && cli.replay.remaining() === 0) {
      print(
        theme.yellow(
          'The recorded conversation is over: the cassette has no more responses. /exit leaves; run mixtape without --replay to talk to a real model.',
        ),
      );
      continue;
    }
    const prepared = await mcpCommands.prepare(text);
    if (!prepared) continue;
    const { view: viewModule, turn, markdown, modelError } = await modules;
    if (modelError) {
      print(theme.red(`${theme.sym.error} ${modelError.message}`));
      modules = undefined;
      continue;
    }
    const view = new viewModule.TurnView({
      out: output,
      info: output,
      theme,
      formatInput: turn.toolInputFormatter(cli),
      describeError: (event) => failureText(cli.choice.provider, event),
      onThinking: (t) => (lastThinking = t),
      ...(markdown && { markdown }),
    });
    const outcome = await turn.runTurn(cli, prepared.text, {
      view,
      theme,
      keys,
      lastThinking: () => lastThinking,
      ...(prepared.context.length && { context: prepared.context }),
    });
    // Sampling by MCP servers that no run counted: in this answer's status and the totals.
    const sampling = cli.mcp.ledger.take();
    viewModule.addUsageTo(totals.usage, sampling.usage);
    totals.costUsd += sampling.costUsd;
    if (outcome.status === 'completed') {
      totals.runs++;
      viewModule.addUsageTo(totals.usage, outcome.result.usage);
      totals.costUsd += outcome.result.cost ?? 0;
      view.status({
        context: cli.agent.contextUsage(),
        ...viewModule.withExtraUsage(outcome.result, sampling),
        ...(cli.budget?.run && { budget: cli.budget.run }),
        ...(cli.agent.sessionInfo() && { sessionId: cli.agent.sessionInfo()!.id, messageCount: cli.agent.sessionInfo()!.messageCount }),
      });
    }
    // The view showed failures and cancellations; tool-loading problems are shown here, between turns.
    showWarnings();
  }
  giveNotices();
  keys.restore();
  if (output.isTTY) output.write(BRACKETED_PASTE_OFF);
  print(theme.dim('Goodbye.'));
  return 0;
}
