/**
 * `mixtape run [prompt...]`: answers one prompt and exits (also what `mixtape` does when its
 * input is piped).
 * @module
 */
import type { Command } from 'commander';
import { CliUsageError, ConfigError } from '../errors.js';
import type { CliIO, ResolvedGlobals, Subcommand } from './context.js';

/** Answers one prompt (argument, stdin, or both); resolves with the exit code. */
export async function runAction(args: { prompt: string[]; json: boolean }, globals: ResolvedGlobals, io: CliIO): Promise<number> {
  const { readStdin, runOnce } = await import('../run.js');
  let prompt = args.prompt.join(' ').trim();
  const piped = !io.stdin.isTTY;
  if (piped) {
    const input = (await readStdin(io.stdin)).trim();
    prompt = prompt && input ? `${prompt}\n\n${input}` : prompt || input;
  }
  if (!prompt)
    throw new CliUsageError('mixtape run: no prompt. Pass it as an argument (mixtape run "...") or on stdin (echo "..." | mixtape run).');
  const interactive = !piped && Boolean(io.stdout.isTTY);
  const { createCliAgent } = await import('../setup.js');
  const cli = await createCliAgent({ cwd: globals.cwd, env: io.env, flags: globals.flags, interactive });
  try {
    // A one-shot run does what the config says or nothing: a bad entry is an error, not a warning.
    if (cli.config.problems.length)
      throw new ConfigError(
        `${cli.config.problemReport()}\nmixtape run does not run with a broken config: fix or remove these entries (the REPL starts without them and warns).`,
        cli.config.file,
      );
    return await runOnce({
      cli,
      prompt,
      json: args.json,
      interactive,
      plain: globals.plain,
      stdin: io.stdin,
      stdout: io.stdout,
      stderr: io.stderr,
      env: io.env,
    });
  } finally {
    await cli.close();
  }
}

/** The `run` subcommand. */
export const runSubcommand: Subcommand = {
  name: 'run',
  register(program, context) {
    program
      .command('run')
      .description('answer one prompt and exit (reads stdin when no prompt is given or input is piped)')
      .argument('[prompt...]', 'the prompt')
      .option('--json', 'print every event as a JSON line instead of the answer')
      .action(async (prompt: string[], opts: { json?: boolean }, command: Command) => {
        context.setExit(await runAction({ prompt, json: Boolean(opts.json) }, context.globals(command), context.io));
      });
  },
};
