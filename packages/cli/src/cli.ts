/**
 * The `mixtape` command line (commander). Everything heavy is imported inside the actions, so
 * `mixtape --help` and `--version` load only commander.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { CliUsageError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './errors.js';
import type { CliFlags } from './setup.js';

/** Errors of other packages that mean the configuration is wrong (exit code 2, like CliUsageError). */
const CONFIG_ERROR_NAMES = new Set(['PermissionConfigError', 'McpConfigError', 'ToolDefinitionError', 'CassetteError']);

/** The version of @mixtape/cli (from its package.json). */
export function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Streams and environment of one invocation (tests pass their own). */
export interface CliIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

interface GlobalOptions {
  provider?: string;
  model?: string;
  baseUrl?: string;
  config?: string;
  replay?: string;
  allow?: string;
  tools?: string;
  system?: string;
  cwd?: string;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function flagsOf(o: GlobalOptions): CliFlags {
  return {
    ...(o.provider !== undefined && { provider: o.provider }),
    ...(o.model !== undefined && { model: o.model }),
    ...(o.baseUrl !== undefined && { baseUrl: o.baseUrl }),
    ...(o.config !== undefined && { config: o.config }),
    ...(o.replay !== undefined && { replay: o.replay }),
    ...(o.allow !== undefined && { allow: splitList(o.allow) }),
    ...(o.tools !== undefined && { tools: splitList(o.tools) }),
    ...(o.system !== undefined && { system: o.system }),
  };
}

/** Builds the program; `run` resolves the exit code into `setExit`. */
export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('mixtape')
    .description('An AI agent in your terminal: a REPL with tools, approvals and sessions saved per folder.')
    .version(cliVersion(), '-v, --version')
    .addOption(new Option('-p, --provider <name>', 'model provider').choices(['anthropic', 'bedrock', 'openai']))
    .option('-m, --model <id>', 'model id or catalogue name (default: a current Claude Sonnet)')
    .option('--base-url <url>', 'provider endpoint (a proxy, a local server, a fake server)')
    .option('-c, --config <file>', 'config file (default: mixtape.config.json/.ts/.mjs/.js in the folder)')
    .option('--replay <cassette>', 'replay a recorded conversation (no account, no network)')
    .option('--allow <tools>', 'tools (names or globs, comma-separated) that run without asking')
    .option('--tools <groups>', 'built-in tool groups, comma-separated (filesystem,edit,search,process,fetch) or none')
    .option('--system <prompt>', 'system prompt (instead of the config file\'s)')
    .option('-C, --cwd <dir>', 'work in this folder instead of the current one')
    .addHelpText(
      'after',
      `
Environment:
  ANTHROPIC_API_KEY                  the Anthropic API (ANTHROPIC_BASE_URL for a proxy)
  AWS_PROFILE or AWS_ACCESS_KEY_ID   Amazon Bedrock (with AWS_REGION)
  OPENAI_API_KEY or OPENAI_BASE_URL  OpenAI or an OpenAI-compatible server (OPENAI_MODEL)
  MIXTAPE_PROVIDER, MIXTAPE_MODEL    override the choice
  NO_COLOR                           no colours

Examples:
  mixtape                                   chat in this folder (resumes the last session)
  mixtape run "What does this project do?"  answer once and exit
  git diff | mixtape run "Review this diff" --json
  mixtape --replay examples/cassettes/tour.cassette.json`,
    )
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  program.action(async (_opts: unknown, command: Command) => {
    const o = command.optsWithGlobals<GlobalOptions>();
    const cwd = o.cwd ?? io.cwd;
    if (!io.stdin.isTTY) {
      // Piped input without a terminal: answer it once, like `mixtape run`.
      setExit(await runAction({ prompt: [], json: false }, o, { ...io, cwd }));
      return;
    }
    const { createCliAgent } = await import('./setup.js');
    const cli = await createCliAgent({ cwd, env: io.env, flags: flagsOf(o), interactive: true });
    try {
      const { runRepl } = await import('./repl/repl.js');
      setExit(await runRepl({ cli, version: cliVersion(), input: io.stdin, output: io.stdout, env: io.env }));
    } finally {
      await cli.close();
    }
  });

  program
    .command('run')
    .description('answer one prompt and exit (reads stdin when no prompt is given or input is piped)')
    .argument('[prompt...]', 'the prompt')
    .option('--json', 'print every event as a JSON line instead of the answer')
    .action(async (prompt: string[], opts: { json?: boolean }, command: Command) => {
      const o = command.optsWithGlobals<GlobalOptions>();
      setExit(await runAction({ prompt, json: Boolean(opts.json) }, o, { ...io, cwd: o.cwd ?? io.cwd }));
    });

  return program;
}

async function runAction(args: { prompt: string[]; json: boolean }, o: GlobalOptions, io: CliIO): Promise<number> {
  const { readStdin, runOnce } = await import('./run.js');
  let prompt = args.prompt.join(' ').trim();
  const piped = !io.stdin.isTTY;
  if (piped) {
    const input = (await readStdin(io.stdin)).trim();
    prompt = prompt && input ? `${prompt}\n\n${input}` : prompt || input;
  }
  if (!prompt) throw new CliUsageError('mixtape run: no prompt. Pass it as an argument (mixtape run "...") or on stdin (echo "..." | mixtape run).');
  const interactive = !piped && Boolean(io.stdout.isTTY);
  const { createCliAgent } = await import('./setup.js');
  const cli = await createCliAgent({ cwd: io.cwd, env: io.env, flags: flagsOf(o), interactive });
  try {
    return await runOnce({ cli, prompt, json: args.json, interactive, stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, env: io.env });
  } finally {
    await cli.close();
  }
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: string[], io: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_OK;
      return EXIT_USAGE;
    }
    if (error instanceof CliUsageError || CONFIG_ERROR_NAMES.has((error as Error).name)) {
      io.stderr.write(`${(error as Error).message}\n`);
      return EXIT_USAGE;
    }
    const e = error as Error;
    io.stderr.write(`mixtape: ${e.message}\n`);
    if (io.env.MIXTAPE_DEBUG) io.stderr.write(`${e.stack}\n`);
    return EXIT_FAILURE;
  }
}
