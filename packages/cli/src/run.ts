/**
 * `mixtape run "prompt"`: answers once and exits. The prompt comes from the argument, from
 * stdin, or both (`cat notes.md | mixtape run "summarise this"`). `--json` prints every event as
 * one JSON line on stdout instead of the answer.
 * @module
 */
import { failureText, messageFor } from './advice.js';
import { markdownUnavailable } from './debug-log.js';
import { outputClosed } from './output.js';
import { createMarkdownRenderer } from './render/markdown.js';
import { createTheme } from './render/theme.js';
import { TurnView, withExtraUsage } from './render/turn-view.js';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK } from './errors.js';
import { TurnKeys } from './repl/keys.js';
import type { CliAgent } from './setup.js';
import { runTurn, toolInputFormatter } from './turn.js';

/** Largest prompt read from stdin (bytes). */
export const MAX_STDIN_PROMPT_BYTES = 10 * 1024 * 1024;

/** Reads all of stdin as UTF-8 text (up to {@link MAX_STDIN_PROMPT_BYTES}). */
export async function readStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_STDIN_PROMPT_BYTES) throw new Error(`The prompt on stdin is larger than ${MAX_STDIN_PROMPT_BYTES} bytes.`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Encodes an event as one JSON line (bytes as base64). */
export function eventToJson(event: unknown): string {
  return JSON.stringify(event, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
    return value;
  });
}

/** Options of {@link runOnce}. */
export interface RunOnceOptions {
  cli: CliAgent;
  prompt: string;
  json: boolean;
  /** Whether approval questions can be answered on this terminal. */
  interactive: boolean;
  /** Plain output for screen readers (no colour, animation or redrawing). */
  plain?: boolean;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs one prompt; resolves with the exit code (0 done, 1 failed, 130 cancelled). When the reader
 * of stdout goes away (`| head -1`), the run stops and the exit code is 0.
 */
export async function runOnce(options: RunOnceOptions): Promise<number> {
  const { cli, prompt, json } = options;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const plain = Boolean(options.plain);
  const theme = createTheme(stdout, options.env, plain);
  const markdown =
    stdout.isTTY && !json && !plain
      ? await createMarkdownRenderer({ width: () => stdout.columns, colors: theme.enabled }).catch(
          // Without the renderer the answer is still readable as plain text; the reason goes to the debug log.
          (error: unknown) => markdownUnavailable(error, options.env ?? process.env, cli.cwd),
        )
      : undefined;
  let lastThinking: string | undefined;
  const view = new TurnView({
    out: stdout,
    info: stderr,
    theme: stdout.isTTY ? theme : createTheme(stderr, options.env, plain),
    formatInput: toolInputFormatter(cli),
    silent: json,
    describeError: (event) => failureText(cli.choice.provider, event),
    onThinking: (t) => (lastThinking = t),
    ...(markdown && { markdown }),
  });
  const closed = outputClosed(stdout);
  const keys = options.interactive && (options.stdin ?? process.stdin).isTTY ? new TurnKeys(options.stdin ?? process.stdin) : undefined;
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(EXIT_INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const onClosed = () => {
    view.mute();
    controller.abort();
  };
  closed.addEventListener('abort', onClosed, { once: true });
  try {
    const outcome = await runTurn(cli, prompt, {
      view,
      theme,
      ...(keys && { keys }),
      signal: controller.signal,
      lastThinking: () => lastThinking,
      ...(json && { onEvent: (event) => !closed.aborted && stdout.write(eventToJson(event) + '\n') }),
    });
    // Nobody reads the output any more: the run was stopped on purpose, quietly.
    if (closed.aborted) return EXIT_OK;
    for (const w of cli.warnings) stderr.write(`mixtape: ${w}\n`);
    switch (outcome.status) {
      case 'completed':
        if (stdout.isTTY && !json) {
          // Sampling by MCP servers that the run could not count is shown with it.
          view.status({
            context: cli.agent.contextUsage(),
            ...withExtraUsage(outcome.result, cli.mcp.ledger.take()),
            ...(cli.budget?.run && { budget: cli.budget.run }),
            ...(outcome.result.sessionId !== undefined && { sessionId: outcome.result.sessionId }),
          });
        }
        return EXIT_OK;
      case 'cancelled':
        return EXIT_INTERRUPTED;
      case 'failed':
      default:
        if (json) {
          const cause = (outcome.error as Error & { cause?: unknown }).cause;
          stderr.write(`${messageFor((cause as Error | undefined)?.name === 'ProviderError' ? cause : outcome.error)}\n`);
        }
        return EXIT_FAILURE;
    }
  } finally {
    keys?.restore();
    process.off('SIGINT', onSigint);
    closed.removeEventListener('abort', onClosed);
  }
}
