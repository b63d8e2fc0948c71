/**
 * Colours and symbols: colours only when the stream is a terminal and NO_COLOR is not set
 * (FORCE_COLOR forces them); plain mode (`--plain`, for screen readers) has no colours and says
 * in words what the symbols show.
 * @module
 */
import pc from 'picocolors';

/** The marks the CLI prints; words in plain mode (a screen reader reads "Tool:" better than "●"). */
export interface Symbols {
  prompt: string;
  continuation: string;
  tool: string;
  result: string;
  allowed: string;
  denied: string;
  error: string;
  cancelled: string;
  warning: string;
  question: string;
  thinking: string;
  current: string;
  separator: string;
}

const FANCY: Symbols = {
  prompt: '❯',
  continuation: '…',
  tool: '●',
  result: '└',
  allowed: '✓',
  denied: '✗',
  error: '✖',
  cancelled: '⏹',
  warning: '!',
  question: '?',
  thinking: '∴',
  current: '●',
  separator: '·',
};

const PLAIN: Symbols = {
  prompt: '>',
  continuation: '...',
  tool: 'Tool:',
  result: 'Result:',
  allowed: 'Allowed:',
  denied: 'Denied:',
  error: 'Error:',
  cancelled: 'Cancelled:',
  warning: 'Warning:',
  question: 'Question:',
  thinking: 'Thinking:',
  current: '*',
  separator: ',',
};

/** The colour functions the CLI uses (identity functions when colours are off), and its symbols. */
export type Theme = ReturnType<typeof pc.createColors> & {
  enabled: boolean;
  /** Screen-reader-friendly output: no colour, no animation, no redrawing, words for symbols. */
  plain: boolean;
  sym: Symbols;
};

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

/** A theme for `stream`; `plain` turns colours and symbols off. */
export function createTheme(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env, plain = false): Theme {
  const enabled = !plain && colorEnabled(stream, env);
  return { ...pc.createColors(enabled), enabled, plain, sym: plain ? PLAIN : FANCY };
}
