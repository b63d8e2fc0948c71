/**
 * Errors of the CLI and the exit codes they map to.
 * @module
 */

/** Exit code of a successful run. */
export const EXIT_OK = 0;
/** Exit code when a run failed (provider error, tool loop limit, ...). */
export const EXIT_FAILURE = 1;
/** Exit code for usage and configuration errors (no provider configured, bad flag or config). */
export const EXIT_USAGE = 2;
/** Exit code when the user cancelled with Ctrl+C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** A mistake in how mixtape was called or configured; the message says what to change (exit 2). */
export class CliUsageError extends Error {
  override readonly name: string = 'CliUsageError';
  readonly exitCode = EXIT_USAGE;
}

/** The config file cannot be read or is invalid (exit 2). */
export class ConfigError extends CliUsageError {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    /** The config file concerned. */
    readonly file?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
