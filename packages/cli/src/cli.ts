/**
 * The `mixtape` command line (commander). Everything heavy is imported inside the actions, so
 * `mixtape --help` and `--version` load only commander. Subcommands live in `commands/` and are
 * registered in `commands/registry.ts`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { exitCodeFor, messageFor } from './advice.js';
import { type CliIO, type GlobalOptions, type ProgramContext, resolveGlobals } from './commands/context.js';
import { SUBCOMMANDS } from './commands/registry.js';
import { runAction } from './commands/run-command.js';
import { CliUsageError, EXIT_OK, EXIT_USAGE } from './errors.js';
import { closestName } from './names.js';
import { watchOutput } from './output.js';
import { routeWarnings } from './debug-log.js';

export type { CliIO } from './commands/context.js';

/** The version of @mixtape/cli (from its package.json). */
export function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The error for `mixtape <words>`: a mistyped command, or a prompt meant for `mixtape run`. */
export function strayArgumentsError(words: string[], commands: readonly string[]): CliUsageError {
  const first = words[0]!;
  const close = !/\s/.test(first) && first.length > 1 ? closestName(first, commands, words.length === 1 ? 2 : 1) : undefined;
  if (close)
    return new CliUsageError(
      `mixtape: unknown command '${first}'. Did you mean: mixtape ${[close, ...words.slice(1)].join(' ')}?  (mixtape --help lists the commands.)`,
    );
  const prompt = words.join(' ');
  const quoted = JSON.stringify(prompt.length > 60 ? `${prompt.slice(0, 57)}...` : prompt);
  return new CliUsageError(
    `mixtape: '${truncateWord(first)}' is not a command. To answer one prompt and exit: mixtape run ${quoted}\n` +
      `To chat, start mixtape with no arguments and type the prompt. (mixtape --help lists the commands: ${commands.join(', ')}.)`,
  );
}

function truncateWord(s: string): string {
  return s.length > 30 ? `${s.slice(0, 27)}...` : s;
}

/** Builds the program; commands resolve their exit code into `setExit`. */
export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('mixtape')
    .description('An AI agent in your terminal: a REPL with tools, approvals and sessions saved per folder.')
    .version(cliVersion(), '-v, --version')
    .addOption(new Option('-p, --provider <name>', 'model provider').choices(['anthropic', 'bedrock', 'openai']))
    .option('-m, --model <id>', 'model id or catalogue name (default: a current Claude Sonnet)')
    .option('--base-url <url>', 'provider endpoint (a proxy, a local server, a fake server)')
    .option('-c, --config <file>', 'config file (default: mixtape.config.json/.ts/.mjs/.js in the folder)')
    .option('--replay <cassette>', "replay a recorded conversation: a name ('tour') or a file (no account, no network)")
    .option('--allow <tools>', 'tools (names or globs, comma-separated) that run without asking')
    .option('--tools <groups>', 'built-in tool groups, comma-separated (filesystem,edit,search,process,fetch) or none')
    .option('--system <prompt>', "system prompt (instead of the config file's)")
    .option('-C, --cwd <dir>', 'work in this (existing) folder instead of the current one')
    .option('--new', 'start a new session')
    .option('--continue', "continue this folder's newest session (the default)")
    .option('--session <id>', 'continue this session (an id prefix is enough)')
    .option('--fork', 'continue in a copy of the session (the newest, or --session <id>)')
    .option('--sandbox', 'run shell commands in a bubblewrap sandbox (Linux): writes only in the folder, no network')
    .option('--max-cost <usd>', 'stop a run before a model call that would take it past this cost (US dollars)')
    .option('--plain', 'plain output for screen readers: no colour, no animation, no redrawing (also MIXTAPE_PLAIN=1)')
    .allowExcessArguments(true)
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 the run failed, 2 usage or configuration error, 130 interrupted (Ctrl+C).

Environment:
  ANTHROPIC_API_KEY                  the Anthropic API (ANTHROPIC_BASE_URL for a proxy)
  AWS_PROFILE or AWS_ACCESS_KEY_ID   Amazon Bedrock (with AWS_REGION)
  OPENAI_API_KEY or OPENAI_BASE_URL  OpenAI or an OpenAI-compatible server (OPENAI_MODEL)
  MIXTAPE_PROVIDER, MIXTAPE_MODEL    override the choice
  NO_COLOR, MIXTAPE_PLAIN            no colours; plain output
  MIXTAPE_DEBUG                      print stack traces and library warnings on stderr

Examples:
  mixtape                                   chat in this folder (resumes the last session)
  mixtape --new                             chat in a new session
  mixtape run "What does this project do?"  answer once and exit
  git diff | mixtape run "Review this diff" --json
  mixtape --replay tour                     a recorded tour: no account, no network`,
    )
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  const context: ProgramContext = {
    io,
    setExit,
    globals: (command) => resolveGlobals(command.optsWithGlobals<GlobalOptions>(), io),
  };

  program.action(async (_opts: unknown, command: Command) => {
    if (command.args.length)
      throw strayArgumentsError(
        command.args,
        SUBCOMMANDS.map((s) => s.name),
      );
    const globals = context.globals(command);
    if (!io.stdin.isTTY) {
      // Piped input without a terminal: answer it once, like `mixtape run`.
      setExit(await runAction({ prompt: [], json: false }, globals, io));
      return;
    }
    // The prompt is shown first; the agent (framework, store, session) loads while the person types.
    const loaded: { close(): Promise<void> }[] = [];
    const load = async () => {
      const { createCliAgent } = await import('./setup.js');
      const cli = await createCliAgent({ cwd: globals.cwd, env: io.env, flags: globals.flags, interactive: true });
      loaded.push(cli);
      return cli;
    };
    try {
      const { runRepl } = await import('./repl/repl.js');
      setExit(
        await runRepl({
          cli: load,
          cwd: globals.cwd,
          replay: globals.flags.replay !== undefined,
          version: cliVersion(),
          input: io.stdin,
          output: io.stdout,
          env: io.env,
          plain: globals.plain,
        }),
      );
    } finally {
      for (const cli of loaded) await cli.close();
    }
  });

  for (const subcommand of SUBCOMMANDS) subcommand.register(program, context);
  return program;
}

/** Runs the command line; resolves with the exit code. */
export async function main(
  argv: string[],
  io: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  // A reader that goes away (`mixtape run --json hi | head -1`) ends the run quietly.
  const stopWatching = watchOutput(io);
  const stopRouting = routeWarnings(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_OK;
      return EXIT_USAGE;
    }
    const exit = exitCodeFor(error);
    io.stderr.write(`${messageFor(error)}\n`);
    if (io.env.MIXTAPE_DEBUG && exit !== EXIT_USAGE) io.stderr.write(`${(error as Error).stack}\n`);
    return exit;
  } finally {
    stopRouting();
    stopWatching();
  }
}
