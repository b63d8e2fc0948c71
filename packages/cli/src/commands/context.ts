/**
 * What every `mixtape` command shares: the streams of the invocation, the global options (read
 * from any subcommand), and how a command reports its exit code.
 * @module
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliUsageError } from '../errors.js';
import type { CliFlags, SessionChoice } from '../setup.js';

/** Streams and environment of one invocation (tests pass their own). */
export interface CliIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** The global options as commander parses them. */
export interface GlobalOptions {
  provider?: string;
  model?: string;
  baseUrl?: string;
  config?: string;
  replay?: string;
  allow?: string;
  tools?: string;
  system?: string;
  cwd?: string;
  new?: boolean;
  continue?: boolean;
  session?: string;
  fork?: boolean;
  plain?: boolean;
  sandbox?: boolean;
  maxCost?: string;
}

/** What a subcommand gets to do its work. */
export interface ProgramContext {
  io: CliIO;
  /** Sets the exit code of this invocation. */
  setExit(code: number): void;
  /** The global options given anywhere on the command line, checked (folder exists, no conflicting flags). */
  globals(command: Command): ResolvedGlobals;
}

/** Checked global options. */
export interface ResolvedGlobals {
  flags: CliFlags;
  /** The folder to work in (absolute, exists). */
  cwd: string;
  /** Screen-reader-friendly output: no colour, no animation, no redrawing, words for symbols. */
  plain: boolean;
}

/** A `mixtape <name>` subcommand: adds itself to the program. */
export interface Subcommand {
  name: string;
  register(program: Command, context: ProgramContext): void;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Which session to use, from --new / --continue / --session / --fork. */
export function sessionChoiceOf(o: GlobalOptions): SessionChoice {
  const picked = [o.new && '--new', o.continue && '--continue', o.session !== undefined && '--session'].filter(Boolean);
  if (picked.length > 1)
    throw new CliUsageError(
      `${picked.join(' and ')} cannot be used together: pick one (--new starts a session, --continue resumes the newest, --session <id> resumes that one).`,
    );
  if (o.fork && o.new)
    throw new CliUsageError('--fork copies an existing session: use it with --continue or --session <id>, not with --new.');
  if (o.session !== undefined && !o.session.trim())
    throw new CliUsageError('--session needs a session id (or the start of one); /sessions in the REPL lists them.');
  if (o.new) return { mode: 'new' };
  return { mode: 'continue', ...(o.session !== undefined && { session: o.session.trim() }), ...(o.fork && { fork: true }) };
}

/** Checks `-C <dir>`: it must be an existing folder (nothing is created). */
export function checkFolder(dir: string, base: string): string {
  const resolved = path.resolve(base, dir);
  let isDir: boolean;
  try {
    isDir = statSync(resolved).isDirectory();
  } catch {
    throw new CliUsageError(
      `mixtape: -C ${dir}: no such folder. mixtape works in an existing folder and creates nothing there until you use it: create it first (mkdir -p ${resolved}) or pass another folder.`,
    );
  }
  if (!isDir)
    throw new CliUsageError(`mixtape: -C ${dir}: not a folder. Pass the folder to work in (for a config file use --config ${dir}).`);
  return resolved;
}

/** Checks `--max-cost <usd>`: a positive number of US dollars. */
export function parseMaxCost(value: string): number {
  const usd = Number(value.trim().replace(/^\$/, ''));
  if (value.trim() === '' || !Number.isFinite(usd) || usd <= 0)
    throw new CliUsageError(
      `mixtape: --max-cost ${JSON.stringify(value)}: expected a positive number of US dollars, e.g. --max-cost 0.50 (or "budget": { "run": { "maxCostUsd": 0.5 } } in mixtape.config.json).`,
    );
  return usd;
}

/** Turns commander's options into checked globals. */
export function resolveGlobals(o: GlobalOptions, io: CliIO): ResolvedGlobals {
  const cwd = o.cwd !== undefined ? checkFolder(o.cwd, io.cwd) : io.cwd;
  const flags: CliFlags = {
    ...(o.provider !== undefined && { provider: o.provider }),
    ...(o.model !== undefined && { model: o.model }),
    ...(o.baseUrl !== undefined && { baseUrl: o.baseUrl }),
    ...(o.config !== undefined && { config: o.config }),
    ...(o.replay !== undefined && { replay: o.replay }),
    ...(o.allow !== undefined && { allow: splitList(o.allow) }),
    ...(o.tools !== undefined && { tools: splitList(o.tools) }),
    ...(o.system !== undefined && { system: o.system }),
    ...(o.sandbox && { sandbox: true }),
    ...(o.maxCost !== undefined && { maxCostUsd: parseMaxCost(o.maxCost) }),
    session: sessionChoiceOf(o),
  };
  return { flags, cwd, plain: Boolean(o.plain) || isPlainEnv(io.env) };
}

/** MIXTAPE_PLAIN=1 turns plain output on, like --plain. */
export function isPlainEnv(env: NodeJS.ProcessEnv): boolean {
  const v = env.MIXTAPE_PLAIN;
  return v !== undefined && v !== '' && v !== '0';
}
