/**
 * The `search` tool: content search (regular expression or literal, context lines, case) and
 * file-name search (glob), over files git would see.
 * @module
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { tool, type Tool } from '@mixtape/core';
import picomatch from 'picomatch';
import { RE2JS } from 're2js';
import { z } from 'zod';
import { resolveInRoot, rootOf, type RootOptions } from '../confine.js';
import { openConfinedFile } from '../confined-fs.js';
import { fsError, ToolError } from '../errors.js';
import { pathGuard, PathDeniedError } from '../path-guard.js';
import { walkFiles } from './walk.js';

/** Default number of matches (content) or files (file names) returned. */
export const DEFAULT_SEARCH_MAX_RESULTS = 100;
/** Largest `max_results` accepted. */
export const MAX_SEARCH_RESULTS = 5_000;
/** Files larger than this are skipped by content search. */
export const DEFAULT_SEARCH_MAX_FILE_BYTES = 2 * 1024 * 1024;
/** Most files a search looks at. */
export const DEFAULT_SEARCH_MAX_FILES = 50_000;
/** Most context lines around a content match. */
export const MAX_CONTEXT_LINES = 20;
/** A matched line longer than this is shortened in the output. */
export const MAX_LINE_CHARS = 500;
/** Default time a search may take before it stops with a 'timeout' error. */
export const DEFAULT_SEARCH_TIMEOUT_MS = 30_000;
/**
 * Longest stretch of matching work between two turns of the event loop, so a timeout or a
 * cancellation is noticed (the regular expressions themselves run in linear time: RE2).
 */
export const SEARCH_SLICE_MS = 20;

const searchInput = z.object({
  pattern: z
    .string()
    .min(1)
    .describe(
      "content mode: a regular expression (or literal text with literal=true); files mode: a glob such as '*.ts' or 'src/**/*.{js,ts}'",
    ),
  path: z.string().default('.').describe('Folder to search, relative to the root folder'),
  mode: z.enum(['content', 'files']).default('content').describe("'content' searches inside files, 'files' matches file paths"),
  file_pattern: z.string().optional().describe("content mode: only search files matching this glob, e.g. '*.{ts,tsx}'"),
  ignore_case: z.boolean().default(false),
  literal: z.boolean().default(false).describe('Treat pattern as plain text, not a regular expression'),
  context_lines: z.number().int().min(0).max(MAX_CONTEXT_LINES).default(0),
  max_results: z.number().int().min(1).max(MAX_SEARCH_RESULTS).default(DEFAULT_SEARCH_MAX_RESULTS),
  include_hidden: z.boolean().default(false).describe('Also search dot-files and dot-folders (.git is always skipped)'),
});

/** Options of the search tool. */
export interface SearchOptions extends RootOptions {
  maxFileBytes?: number;
  maxFiles?: number;
  /** Respect .gitignore files (default true). */
  respectGitignore?: boolean;
  /** Time a search may take (default {@link DEFAULT_SEARCH_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/**
 * Compiles a search pattern with RE2 (re2js), whose matching time is linear in the text: no
 * backtracking, so `(a+)+$` cannot freeze the process. RE2 has no lookaround or backreferences.
 */
export function compileSearchPattern(pattern: string, options: { literal?: boolean; ignoreCase?: boolean } = {}): RE2JS {
  try {
    return RE2JS.compile(options.literal ? RE2JS.quote(pattern) : pattern, options.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    throw new ToolError(
      'invalid_input',
      `Invalid regular expression '${pattern}': ${(error as Error).message}. Search uses RE2 syntax (no lookaround or backreferences); pass literal=true to search for the text as is.`,
    );
  }
}

/** A glob matcher on paths relative to the search folder; a pattern without `/` matches the name. */
function globMatcher(pattern: string, ignoreCase: boolean): (rel: string) => boolean {
  const options = { dot: true, nocase: ignoreCase };
  if (!pattern.includes('/')) {
    const m = picomatch(pattern, options);
    return (rel) => m(path.posix.basename(rel));
  }
  const m = picomatch(pattern, options);
  return (rel) => m(rel);
}

/** Reads a confined, non-binary text file of at most `maxBytes`, or null to skip it. */
async function readSearchable(root: string, file: string, maxBytes: number, guard: (p: string) => boolean): Promise<string | null> {
  let opened;
  try {
    opened = await openConfinedFile(root, file, guard, 'search');
  } catch {
    return null; // vanished, swapped for a link, denied or unreadable: not searched
  }
  try {
    if (opened.stats.size > maxBytes) return null;
    const bytes = await opened.handle.readFile();
    if (bytes.subarray(0, 4096).includes(0)) return null;
    return bytes.toString('utf8');
  } finally {
    await opened.handle.close();
  }
}

function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}… (${line.length} chars)` : line;
}

/** `search`: grep-like content search and glob file search, respecting .gitignore. */
export function searchTool(options: SearchOptions = {}): Tool<z.output<typeof searchInput>> {
  const root = rootOf(options);
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_SEARCH_MAX_FILE_BYTES;
  const maxFiles = options.maxFiles ?? DEFAULT_SEARCH_MAX_FILES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SEARCH_TIMEOUT_MS;
  const guard = pathGuard(options.deny, 'search', root);
  return tool({
    name: 'search',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description:
      `Search files inside ${root}, skipping what .gitignore ignores. mode 'content' (default) finds lines matching a regular expression ` +
      "(ignore_case, literal, context_lines, file_pattern glob) and prints 'path:line: text'; mode 'files' lists files whose path matches a glob.",
    input: searchInput,
    formatInput: (input) => `${input.mode === 'files' ? 'files' : 'content'} '${input.pattern}' in ${input.path}`,
    async execute(input, ctx) {
      const base = await resolveInRoot(root, input.path);
      if (guard(base)) throw new PathDeniedError(input.path, 'search');
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
      let sliceStart = performance.now();
      /** Gives timers a turn when this slice of work is long enough; stops when aborted. */
      const checkpoint = async (): Promise<void> => {
        if (performance.now() - sliceStart >= SEARCH_SLICE_MS) {
          await nextTurn();
          sliceStart = performance.now();
        }
        if (signal.aborted) {
          throw ctx.signal.aborted
            ? new ToolError('timeout', `Search for '${input.pattern}' was cancelled.`)
            : new ToolError('timeout', `Search for '${input.pattern}' stopped after ${timeoutMs} ms; narrow it with path or file_pattern.`);
        }
      };
      try {
        if (!(await stat(base)).isDirectory())
          throw new ToolError('invalid_input', `'${input.path}' is not a folder; give the folder to search in.`);
      } catch (error) {
        throw fsError(error, 'search', input.path);
      }
      await checkpoint();
      const walk = walkFiles(base, {
        includeHidden: input.include_hidden,
        respectGitignore: options.respectGitignore ?? true,
        signal,
        skip: (full) => guard(full),
      });
      const rel = (file: string): string => path.relative(base, file).split(path.sep).join('/');
      let scanned = 0;
      let limitHit = false;

      if (input.mode === 'files') {
        const matches = globMatcher(input.pattern, input.ignore_case);
        const found: string[] = [];
        for await (const file of walk) {
          await checkpoint();
          if (++scanned > maxFiles) {
            limitHit = true;
            break;
          }
          if (!matches(rel(file))) continue;
          if (found.length >= input.max_results) {
            limitHit = true;
            break;
          }
          found.push(rel(file));
        }
        await checkpoint();
        if (found.length === 0) return `No files matching '${input.pattern}' in ${input.path}`;
        return `Found ${found.length} file(s) matching '${input.pattern}'${limitHit ? ' (limit reached; narrow the search)' : ''}:\n${found.join('\n')}`;
      }

      const regex = compileSearchPattern(input.pattern, { literal: input.literal, ignoreCase: input.ignore_case });
      const fileFilter = input.file_pattern ? globMatcher(input.file_pattern, input.ignore_case) : null;
      const out: string[] = [];
      let matchCount = 0;
      let filesWithMatches = 0;
      outer: for await (const file of walk) {
        await checkpoint();
        if (++scanned > maxFiles) {
          limitHit = true;
          break;
        }
        const relative = rel(file);
        if (fileFilter && !fileFilter(relative)) continue;
        const text = await readSearchable(root, file, maxFileBytes, guard);
        if (text === null) continue;
        const lines = text.split(/\r?\n/);
        let lastPrinted = -1;
        let fileHasMatch = false;
        for (let i = 0; i < lines.length; i++) {
          if ((i & 255) === 255) await checkpoint();
          if (!regex.test(lines[i] as string)) continue;
          if (matchCount >= input.max_results) {
            limitHit = true;
            break outer;
          }
          matchCount++;
          if (!fileHasMatch) {
            fileHasMatch = true;
            filesWithMatches++;
          } else if (input.context_lines > 0 && i - input.context_lines > lastPrinted + 1) out.push('--');
          const from = Math.max(lastPrinted + 1, i - input.context_lines);
          for (let j = from; j < i; j++) out.push(`${relative}-${j + 1}- ${clip(lines[j] as string)}`);
          out.push(`${relative}:${i + 1}: ${clip(lines[i] as string)}`);
          const to = Math.min(lines.length - 1, i + input.context_lines);
          let j = i + 1;
          for (; j <= to; j++) {
            if (regex.test(lines[j] as string)) break; // printed as a match by the next iteration
            out.push(`${relative}-${j + 1}- ${clip(lines[j] as string)}`);
          }
          lastPrinted = j - 1;
        }
      }
      await checkpoint(); // a walk cut short by the signal must not read as "no matches"
      if (matchCount === 0)
        return `No matches for '${input.pattern}' in ${input.path}${limitHit ? ` (stopped after ${maxFiles} files)` : ''}`;
      const note = limitHit ? ` (limit reached: max_results=${input.max_results}; narrow the search or raise max_results)` : '';
      return `Found ${matchCount} match(es) in ${filesWithMatches} file(s) for '${input.pattern}'${note}:\n${out.join('\n')}`;
    },
  });
}

/** The search tools: search. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a group holds tools of different input types
export function searchTools(options: SearchOptions = {}): Tool<any>[] {
  return [searchTool(options)];
}
