/**
 * Library warnings (process warnings such as the AWS SDK's Node-version notice) go to a debug log
 * instead of the middle of the answer: `.mixtape/debug.log` in the working folder, or the file
 * named by MIXTAPE_DEBUG_LOG. With MIXTAPE_DEBUG set they are printed on stderr too.
 * @module
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/** The debug log, relative to the working folder. */
export const DEBUG_LOG_FILE = '.mixtape/debug.log';

let folder: string | undefined;

/** Sets the working folder whose `.mixtape/debug.log` receives warnings. */
export function setDebugLogFolder(cwd: string): void {
  folder = cwd;
}

/** Where warnings are written now. */
export function debugLogPath(env: NodeJS.ProcessEnv, cwd: string): string {
  return env.MIXTAPE_DEBUG_LOG ? path.resolve(cwd, env.MIXTAPE_DEBUG_LOG) : path.join(folder ?? cwd, DEBUG_LOG_FILE);
}

/** Appends one entry to the debug log (best effort: a log that cannot be written is skipped). */
export function writeDebugLog(text: string, env: NodeJS.ProcessEnv, cwd: string): void {
  const file = debugLogPath(env, cwd);
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    appendFileSync(file, `${new Date().toISOString()} ${text.trimEnd()}\n`);
  } catch {
    // The debug log is a convenience; failing to write it must not disturb the session.
  }
}

/**
 * Records why the Markdown renderer could not be loaded (the answer is then shown as plain text);
 * returns undefined, the "no renderer" value, so it can end a `.catch()`.
 */
export function markdownUnavailable(error: unknown, env: NodeJS.ProcessEnv, cwd: string): undefined {
  const reason = error instanceof Error ? (error.stack ?? error.message) : String(error);
  writeDebugLog(`Markdown renderer unavailable, answers are shown as plain text: ${reason}`, env, cwd);
  return undefined;
}

/**
 * Replaces Node's printing of process warnings with the debug log for the duration of one
 * invocation; returns a function that puts the previous listeners back.
 */
export function routeWarnings(io: { env: NodeJS.ProcessEnv; cwd: string; stderr: NodeJS.WritableStream }): () => void {
  const previous = process.listeners('warning');
  process.removeAllListeners('warning');
  const onWarning = (warning: Error) => {
    const text = `${warning.name}: ${warning.message}`;
    writeDebugLog(text, io.env, io.cwd);
    if (io.env.MIXTAPE_DEBUG) io.stderr.write(`(debug) ${text}\n`);
  };
  process.on('warning', onWarning);
  return () => {
    process.off('warning', onWarning);
    for (const l of previous) process.on('warning', l);
  };
}
