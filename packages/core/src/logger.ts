/**
 * Where errors go that are not thrown to the caller (a hook that throws, a failed background
 * save, a repair that could not be stored): the `logger` option of the Agent and the server.
 * @module
 */

/** Receives errors and warnings that are not thrown to the caller. */
export interface Logger {
  error(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  debug?(message: string, details?: Record<string, unknown>): void;
}

/** The default logger: one line to standard error per report, prefixed "mixtape:". */
// The default logger writes to the console on purpose: it is the last resort for errors nobody else hears.
/* eslint-disable no-console */
export const consoleLogger: Logger = {
  error: (message, details) => console.error(`mixtape: ${message}`, ...(details ? [details] : [])),
  warn: (message, details) => console.warn(`mixtape: ${message}`, ...(details ? [details] : [])),
};
/* eslint-enable no-console */

/** A logger that drops everything (for tests and programs that report errors themselves). */
export const silentLogger: Logger = {
  error: () => {},
  warn: () => {},
};

/** The message of any thrown value, without throwing (a getter may throw, a Proxy may be revoked). */
export function describeError(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return String(error);
  } catch {
    return 'an error that cannot be described (its message or toString threw)';
  }
}
