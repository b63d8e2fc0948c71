/**
 * Argument matchers: rules that look inside a tool call's input (a path glob, a command prefix
 * on parsed argv, an exact value).
 * @module
 */
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as ShellQuote from 'shell-quote';
import { z } from 'zod';
import { picomatch, shellQuote } from '../lazy-require.js';
import { canonicalJson } from './canonical-json.js';
import { analyseShellCommand } from './shell-command.js';

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
 *   array — starts with `prefix` word by word. An allow rule matches only a single simple
 *   command: `git status` covers `git status -s` but not `git statusx`, `git status; rm -rf /`,
 *   `git status && x`, `git status | sh`, `git status > f`, `env git status`, `$(...)`,
 *   backticks, variables or several lines. A deny rule matches if any command the string would
 *   run starts with the prefix — after `;`, `&&`, `||`, `|`, `!`, `{ }`, if/while bodies, inside
 *   substitutions, behind wrappers (env, command, exec, nice, nohup, timeout, xargs, sudo,
 *   sh/bash -c, eval, find -exec) and by base name (`/bin/rm` is `rm`; `unlink` and
 *   `find -delete` count as `rm`) — and a command that cannot be analysed (an expansion or glob
 *   in command position, a function, a heredoc, backslash-newline, inline interpreter code, a
 *   shell reading a script) counts as matching (fail closed). See {@link analyseShellCommand}.
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
type ShellToken = ReturnType<typeof ShellQuote.parse>[number];

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
    tokens = shellQuote().parse(command, keepVariables);
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

/**
 * Every command a shell string would run, as argv lists (see {@link analyseShellCommand}), or
 * null when the string cannot be fully analysed.
 */
export function commandSegments(command: string): string[][] | null {
  const analysis = analyseShellCommand(command);
  return analysis.opaque === null ? analysis.commands : null;
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
    return argv !== null && analyseShellCommand(value).simple && startsWith(argv, prefix);
  }
  const analysis = analyseShellCommand(value);
  if (analysis.opaque !== null) return true;
  const byName = (argv: readonly string[]) => argv.map((word, i) => (i === 0 ? path.posix.basename(word) : word));
  const wanted = byName(prefix);
  return analysis.commands.some((argv) => startsWith(byName(argv), wanted));
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
    m = picomatch()(glob, { dot });
    if (globCache.size >= MATCHER_CACHE_SIZE) globCache.clear();
    globCache.set(key, m);
  }
  return m;
}

/**
 * The real path of `absolute`: symbolic links of its nearest existing ancestor resolved, the
 * rest joined as is (bounded by the number of path components).
 */
function realPathOrSelf(absolute: string): string {
  let existing = absolute;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...rest);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return absolute;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/**
 * True when the path matcher's globs cover one path. Relative paths and globs are taken from
 * `ctx.base`; the path is tested as written (normalised) and as its real path (links
 * followed), so an in-root link `alias -> secrets` is covered by `secrets/**`. A deny rule
 * matches if either form matches; an allow rule needs both.
 */
export function pathMatches(matcher: Extract<ArgumentMatcher, { kind: 'path' }>, value: string, ctx: MatchContext): boolean {
  const globs = (Array.isArray(matcher.glob) ? matcher.glob : [matcher.glob]).map((glob) => {
    const g = expandHome(glob);
    return path.isAbsolute(g) || g.startsWith('**') ? g : path.posix.join(ctx.base, g);
  });
  const dot = ctx.effect === 'deny';
  const absolute = path.resolve(ctx.base, expandHome(value));
  const real = realPathOrSelf(absolute);
  const test = (p: string) => globs.some((g) => globMatcher(g, dot)(p));
  return ctx.effect === 'allow' ? test(absolute) && test(real) : test(absolute) || test(real);
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
  const test = (value: string) => pathMatches(matcher, value, ctx);
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
