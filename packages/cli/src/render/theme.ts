/**
 * Colours: on only when the stream is a terminal and NO_COLOR is not set (FORCE_COLOR forces them).
 * @module
 */
import pc from 'picocolors';

/** The colour functions the CLI uses; identity functions when colours are off. */
export type Theme = ReturnType<typeof pc.createColors> & { enabled: boolean };

/**
 * Whether to colour output written to `stream`: FORCE_COLOR (not '0') forces colours on;
 * NO_COLOR (any non-empty value, see no-color.org) turns them off; otherwise only on a TTY
 * whose TERM is not 'dumb'.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return Boolean(stream.isTTY);
}

/** A theme for `stream`. */
export function createTheme(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Theme {
  const enabled = colorEnabled(stream, env);
  return { ...pc.createColors(enabled), enabled };
}
