/**
 * Argument matchers: rules that look inside a tool call's input (a path glob, a command prefix
 * on parsed argv, an exact value).
 * @module
 */
import os from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import { parse as parseShell } from 'shell-quote';
import { z } from 'zod';
import { canonicalJson } from './canonical-json.js';

/**
 * A rule on a call's arguments (top-level properties of the input object).
 *
 * - `path`: the named argument(s) — a string or an array of strings — match a glob (picomatch).
 *   Relative globs and paths are taken from the project folder; `~/` is the home folder; globs
 *   starting with `**` match anywhere. Paths are normalised first, so `src/../../etc/passwd` is
 *   `/etc/passwd`, not inside `src/**`. An allow rule needs every path to match and does not
 *   let `*`/`**` match dot-files (write `.*` or `**\/.env` to allow them); a deny rule matches if
 *   any path matches and `*` matches dot-files too. Symbolic links are not resolved here
 *   (the filesystem tools confine paths to their root).
 * - `command`: the named argument (default `command`) — a shell command string, or an argv
 *   array — starts with `prefix` word by word. A string is parsed like a POSIX shell would split
 *   it (shell-quote). An allow rule matches only a single simple command: `git status` covers
 *   `git status -s` but not `git statusx`, `git status; rm -rf /`, `git status && x`,
 *   `git status | sh`, `git status > f`, `$(...)`, backticks, variables or several lines.
 *   A deny rule matches if any command in the string (after `;`, `&&`, `|`, inside `$(...)` or
 *   backticks, on any line, after `VAR=value` assignments) starts with the prefix, and a
 *   command that cannot be parsed counts as matching (fail closed).
 * - `value`: the named argument equals `equals` (compared as canonical JSON).
 */
export type ArgumentMatcher =
  | { kind: 'path'; argument: string | string[]; glob: string | string[] }
  | { kind: 'command'; argument?: string; prefix: string | string[] }
  | { kind: 'value'; argument: string; equals: unknown };

const nonEmpty = z.string().min(1);
const oneOrMany = z.union([nonEmpty, z.array(nonEmpty).min(1)]);

/** zod schema of an {@link ArgumentMatcher}. */
export const argumentMatcherSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('path'), argument: oneOrMany, glob: oneOrMany }),
  z.object({
    kind: z.literal('command'),
    argument: nonEmpty.optional(),
    prefix: oneOrMany.refine((p) => Array.isArray(p) || simpleArgv(p) !== null, {
      message: 'prefix must be plain words (no operators, substitutions or variables)',
    }),
  }),
  z
    .object({ kind: z.literal('value'), argument: nonEmpty, equals: z.unknown() })
    .refine((m) => 'equals' in m, { message: 'a value matcher needs "equals"', path: ['equals'] }),
]);

/** Whether a matcher is used in an allow rule (must match strictly) or a deny rule (matches broadly). */
export interface MatchContext {
  effect: 'allow' | 'deny';
  /** Folder that relative paths and globs are taken from (the project folder). */
  base: string;
}

/** The parsed token list of shell-quote (words, operators, globs, comments). */
type ShellToken = ReturnType<typeof parseShell>[number];

/**
 * True when a quote is left open. shell-quote accepts `git status "; rm -rf /` as two words;
 * a shell refuses it. This small scan (not in shell-quote's API) lets us refuse it too.
 */
function hasOpenQuote(command: string): boolean {
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote === "'") {
      if (c === "'") quote = null;
    } else if (c === '\\') {
      i++;
    } else if (quote === '"') {
      if (c === '"') quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    }
  }
  return quote !== null;
}

// Variables are kept as opaque tokens instead of being expanded from this process's environment.
const keepVariables = (name: string) => ({ op: `$${name}` }) as unknown as string;

/**
 * The argv of a single simple shell command, or null when the string is anything more
 * (operators, redirections, substitutions, variables, comments, several lines).
 */
export function simpleArgv(command: string): string[] | null {
  if (/[\r\n`]|\$\(/.test(command) || hasOpenQuote(command)) return null;
  let tokens: ShellToken[];
  try {
    tokens = parseShell(command, keepVariables);
  } catch {
    return null;
  }
  const argv: string[] = [];
  for (const token of tokens) {
    if (typeof token === 'string') argv.push(token);
    else if ('op' in token && token.op === 'glob') argv.push((token as { pattern: string }).pattern);
    else return null;
  }
  return argv;
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Every command in a shell string, as argv lists: split at operators and lines, including the
 * commands inside `$(...)` and backticks, with leading `VAR=value` assignments removed.
 * Returns null when the string cannot be parsed.
 */
export function commandSegments(command: string): string[][] | null {
  const segments: string[][] = [];
  const pushSegment = (argv: string[]) => {
    let i = 0;
    while (i < argv.length && ASSIGNMENT.test(argv[i] ?? '')) i++;
    if (i < argv.length) segments.push(argv.slice(i));
  };
  const nested = (text: string): boolean => {
    for (const m of text.matchAll(/`([^`]*)`|\$\(([^()]*)\)/g)) {
      const inner = commandSegments(m[1] ?? m[2] ?? '');
      if (inner === null) return false;
      segments.push(...inner);
    }
    return true;
  };
  if (hasOpenQuote(command) || !nested(command)) return null;
  for (const line of command.split(/[\r\n]+/)) {
    let tokens: ShellToken[];
    try {
      tokens = parseShell(line, keepVariables);
    } catch {
      return null;
    }
    let current: string[] = [];
    for (const token of tokens) {
      if (typeof token === 'string') current.push(token);
      else if ('op' in token && token.op === 'glob') current.push((token as { pattern: string }).pattern);
      else if ('op' in token && token.op.startsWith('$') && token.op.length > 1) current.push(token.op);
      else if ('comment' in token) break;
      else {
        pushSegment(current);
        current = [];
      }
    }
    pushSegment(current);
  }
  return segments;
}

function prefixTokens(prefix: string | string[]): string[] {
  if (Array.isArray(prefix)) return prefix;
  return simpleArgv(prefix) ?? [prefix];
}

function startsWith(argv: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length > 0 && prefix.length <= argv.length && prefix.every((word, i) => argv[i] === word);
}

function argumentOf(input: unknown, name: string): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  return Object.hasOwn(input, name) ? (input as Record<string, unknown>)[name] : undefined;
}

function matchCommand(matcher: Extract<ArgumentMatcher, { kind: 'command' }>, input: unknown, ctx: MatchContext): boolean {
  const value = argumentOf(input, matcher.argument ?? 'command');
  const prefix = prefixTokens(matcher.prefix);
  if (Array.isArray(value)) {
    // An argv array runs without a shell: compare word by word.
    if (!value.every((v): v is string => typeof v === 'string')) return ctx.effect === 'deny';
    return startsWith(value, prefix);
  }
  if (typeof value !== 'string') return false;
  if (ctx.effect === 'allow') {
    const argv = simpleArgv(value);
    return argv !== null && startsWith(argv, prefix);
  }
  const segments = commandSegments(value);
  if (segments === null) return true;
  return segments.some((argv) => startsWith(argv, prefix));
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** How many compiled globs (path and tool patterns) are kept; the cache starts over beyond it. */
export const MATCHER_CACHE_SIZE = 1_000;

const globCache = new Map<string, (p: string) => boolean>();

function globMatcher(glob: string, dot: boolean): (p: string) => boolean {
  const key = `${dot ? 1 : 0}\0${glob}`;
  let m = globCache.get(key);
  if (!m) {
    m = picomatch(glob, { dot });
    if (globCache.size >= MATCHER_CACHE_SIZE) globCache.clear();
    globCache.set(key, m);
  }
  return m;
}

function matchPath(matcher: Extract<ArgumentMatcher, { kind: 'path' }>, input: unknown, ctx: MatchContext): boolean {
  const names = Array.isArray(matcher.argument) ? matcher.argument : [matcher.argument];
  const values: string[] = [];
  for (const name of names) {
    const value = argumentOf(input, name);
    if (value === undefined) continue;
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (typeof item === 'string') values.push(item);
      else if (ctx.effect === 'allow') return false; // a path we cannot read is not allowed
    }
  }
  if (values.length === 0) return false;
  const globs = (Array.isArray(matcher.glob) ? matcher.glob : [matcher.glob]).map((glob) => {
    const g = expandHome(glob);
    return path.isAbsolute(g) || g.startsWith('**') ? g : path.posix.join(ctx.base, g);
  });
  const dot = ctx.effect === 'deny';
  const test = (value: string) => {
    const absolute = path.resolve(ctx.base, expandHome(value));
    return globs.some((g) => globMatcher(g, dot)(absolute));
  };
  return ctx.effect === 'allow' ? values.every(test) : values.some(test);
}

/** True when a call's input matches an argument matcher, under allow or deny semantics. */
export function matchesArguments(matcher: ArgumentMatcher, input: unknown, ctx: MatchContext): boolean {
  switch (matcher.kind) {
    case 'command':
      return matchCommand(matcher, input, ctx);
    case 'path':
      return matchPath(matcher, input, ctx);
    case 'value': {
      const value = argumentOf(input, matcher.argument);
      return value !== undefined && canonicalJson(value) === canonicalJson(matcher.equals);
    }
  }
}
