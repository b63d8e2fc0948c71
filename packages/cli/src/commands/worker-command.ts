/**
 * `mixtape worker`: executes durable runs (`@mixtape/runs`) from PostgreSQL until SIGINT/SIGTERM,
 * then shuts down gracefully (runs in flight finish, or are handed back to the queue after the
 * grace period). The agents are configured like the CLI's (provider, model, config, tools,
 * permissions of this folder); their sessions live in the same PostgreSQL (thread id = session id).
 * Approvals become interrupts: a run that needs one ends `interrupted`, and its resume is a new run.
 * @module
 */
import type { Command } from 'commander';
import { CliUsageError } from '../errors.js';
import type { CliIO, ResolvedGlobals, Subcommand } from './context.js';

/** Options of `mixtape worker`. */
export interface WorkerArgs {
  databaseUrl?: string;
  concurrency: string;
  graceMs: string;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliUsageError(`mixtape worker: ${flag} must be a positive whole number, got "${value}".`);
  return n;
}

/** Runs a worker until a stop signal; resolves with the exit code. */
export async function workerAction(
  args: WorkerArgs,
  globals: ResolvedGlobals,
  io: CliIO,
  signals: NodeJS.EventEmitter = process,
): Promise<number> {
  const url = args.databaseUrl ?? io.env.DATABASE_URL;
  if (!url)
    throw new CliUsageError(
      'mixtape worker: no database. Pass --database-url postgres://user:pass@host:5432/db or set DATABASE_URL (the PostgreSQL the runs and sessions live in).',
    );
  const concurrency = positiveInt(args.concurrency, '--concurrency');
  const graceMs = positiveInt(args.graceMs, '--grace-ms');
  const [{ Agent }, { PostgresSessionStore }, { startWorker }, { createCliAgent, defaultSystemPrompt }] = await Promise.all([
    import('@mixtape/core'),
    import('@mixtape/postgres'),
    import('@mixtape/runs'),
    import('../setup.js'),
  ]);
  const cli = await createCliAgent({ cwd: globals.cwd, env: io.env, flags: globals.flags, interactive: true });
  const store = new PostgresSessionStore({ connectionString: url });
  try {
    await cli.ready;
    for (const w of cli.warnings) io.stderr.write(`mixtape worker: ${w}\n`);
    const tools = cli.agent.tools;
    const authorizer = cli.agent.toolAuthorizer;
    const systemPrompt = globals.flags.system ?? cli.config.config.systemPrompt ?? defaultSystemPrompt(cli.cwd);
    const worker = await startWorker({
      connectionString: url,
      sessionStore: store,
      concurrency,
      shutdownGraceMs: graceMs,
      onError: (e) => io.stderr.write(`mixtape worker: ${(e as Error)?.message ?? String(e)}\n`),
      agentFactory: ({ threadId }) =>
        new Agent({
          model: cli.model,
          systemPrompt,
          tools,
          sessionStore: store,
          sessionId: threadId,
          ...(authorizer ? { authorizer } : {}),
          interactive: true,
          approvals: 'interrupt',
          cwd: cli.cwd,
        }),
    });
    io.stdout.write(`mixtape worker ${worker.id} ready (concurrency ${concurrency}); stop with Ctrl+C\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        signals.off('SIGINT', stop);
        signals.off('SIGTERM', stop);
        resolve();
      };
      signals.on('SIGINT', stop);
      signals.on('SIGTERM', stop);
    });
    io.stdout.write(`mixtape worker: stopping (runs in flight: ${worker.activeRuns().length})\n`);
    await worker.stop({ graceMs });
    io.stdout.write('mixtape worker: stopped\n');
    return 0;
  } finally {
    await store.close();
    await cli.close();
  }
}

/** The `worker` subcommand. */
export const workerSubcommand: Subcommand = {
  name: 'worker',
  register(program, context) {
    program
      .command('worker')
      .description('execute durable runs (@mixtape/runs) from PostgreSQL until stopped')
      .option('--database-url <url>', 'PostgreSQL connection string (default: $DATABASE_URL)')
      .option('--concurrency <n>', 'runs executed at once', '4')
      .option('--grace-ms <ms>', 'on stop, how long runs in flight may finish before they are handed back', '10000')
      .action(async (opts: WorkerArgs, command: Command) => {
        context.setExit(await workerAction(opts, context.globals(command), context.io));
      });
  },
};
