/**
 * `mixtape run "prompt"`: answers once and exits. The prompt comes from the argument, from
 * stdin, or both (`cat notes.md | mixtape run "summarise this"`). `--json` prints every event as
 * one JSON line on stdout instead of the answer.
 * @module
 */
import { createMarkdownRenderer } from './render/markdown.js';
import { createTheme } from './render/theme.js';
import { TurnView } from './render/turn-view.js';
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
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

/** Runs one prompt; resolves with the exit code (0 done, 1 failed, 130 cancelled). */
export async function runOnce(options: RunOnceOptions): Promise<number> {
  const { cli, prompt, json } = options;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const theme = createTheme(stdout, options.env);
  const markdown = stdout.isTTY && !json ? await createMarkdownRenderer({ width: stdout.columns, colors: theme.enabled }).catch(() => undefined) : undefined;
  const view = new TurnView({
    out: stdout,
    info: stderr,
    theme: stdout.isTTY ? theme : createTheme(stderr, options.env),
    formatInput: toolInputFormatter(cli),
    silent: json,
    ...(markdown && { markdown }),
  });
  const keys = options.interactive && (options.stdin ?? process.stdin).isTTY ? new TurnKeys(options.stdin ?? process.stdin) : undefined;
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(EXIT_INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const outcome = await runTurn(cli, prompt, {
      view,
      theme,
      ...(keys && { keys }),
      signal: controller.signal,
      ...(json && { onEvent: (event) => stdout.write(eventToJson(event) + '\n') }),
    });
    for (const w of cli.warnings) stderr.write(`mixtape: ${w}\n`);
    switch (outcome.status) {
      case 'completed':
        if (stdout.isTTY && !json) {
          view.status({
            context: cli.agent.contextUsage(),
            usage: outcome.result.usage,
            ...(outcome.result.cost !== undefined && { costUsd: outcome.result.cost }),
            ...(outcome.result.sessionId !== undefined && { sessionId: outcome.result.sessionId }),
          });
        }
        return EXIT_OK;
      case 'cancelled':
        return EXIT_INTERRUPTED;
      case 'failed':
      default:
        if (json) stderr.write(`mixtape: ${outcome.error.message}\n`);
        return EXIT_FAILURE;
    }
  } finally {
    keys?.restore();
    process.off('SIGINT', onSigint);
  }
}
