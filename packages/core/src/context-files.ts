/**
 * Context files (AGENTS.md and friends): inline text, required and optional files, globs,
 * `~` / `$HOME` / `$CWD` expansion, size limits per file and in total. Resolved on every run.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A source of context for the system prompt. A plain string is an optional file path. */
export type ContextSource =
  | string
  | { content: string; label?: string }
  | { path: string; required?: boolean }
  | { paths: string[]; required?: boolean }
  | { glob: string };

/** Largest context file read, in bytes. */
export const DEFAULT_MAX_CONTEXT_FILE_BYTES = 1_048_576;
/** Largest total of all context, in bytes. */
export const DEFAULT_MAX_CONTEXT_TOTAL_BYTES = 10 * 1_048_576;

/** Limits of context loading. */
export interface ContextLimits {
  maxFileBytes?: number;
  maxTotalBytes?: number;
}

/** One piece of resolved context. */
export interface ResolvedContext {
  /** Absolute path, or undefined for inline content. */
  path?: string;
  label: string;
  content: string;
  bytes: number;
}

/** What a run loaded: files in order, optional files skipped, total size. */
export interface ContextLoadResult {
  files: ResolvedContext[];
  skipped: string[];
  totalBytes: number;
}

/** Why context could not be loaded. */
export class ContextError extends Error {
  override name = 'ContextError';
  constructor(
    readonly kind: 'not_found' | 'too_large' | 'total_too_large' | 'not_utf8' | 'read_failed',
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/** Expands `~`, `$HOME` and `$CWD` in a path and makes it absolute against `cwd`. */
export function expandContextPath(p: string, cwd: string = process.cwd(), home: string = os.homedir()): string {
  let out = p;
  if (out === '~') out = home;
  else if (out.startsWith('~/')) out = path.join(home, out.slice(2));
  out = out.replaceAll('$HOME', home).replaceAll('$CWD', cwd);
  return path.resolve(cwd, out);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Loads context sources in declaration order. */
export async function loadContext(
  sources: readonly ContextSource[],
  options: ContextLimits & { cwd?: string } = {},
): Promise<ContextLoadResult> {
  const maxFile = options.maxFileBytes ?? DEFAULT_MAX_CONTEXT_FILE_BYTES;
  const maxTotal = options.maxTotalBytes ?? DEFAULT_MAX_CONTEXT_TOTAL_BYTES;
  const cwd = options.cwd ?? process.cwd();
  const result: ContextLoadResult = { files: [], skipped: [], totalBytes: 0 };

  const add = (item: ResolvedContext) => {
    result.totalBytes += item.bytes;
    if (result.totalBytes > maxTotal) {
      throw new ContextError(
        'total_too_large',
        `Total context size exceeds the limit (${result.totalBytes} bytes > ${maxTotal} bytes). Remove context files or raise contextLimits.maxTotalBytes.`,
      );
    }
    result.files.push(item);
  };

  const readOne = async (file: string, required: boolean) => {
    let size: number;
    try {
      const s = await stat(file);
      if (!s.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      size = s.size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
        if (required) throw new ContextError('not_found', `Required context file not found: ${file}`, file);
        result.skipped.push(file);
        return;
      }
      throw new ContextError('read_failed', `Failed to read context file ${file}: ${(error as Error).message}`, file);
    }
    if (size > maxFile) {
      throw new ContextError(
        'too_large',
        `Context file exceeds the size limit (${size} bytes > ${maxFile} bytes): ${file}. Shorten it or raise contextLimits.maxFileBytes.`,
        file,
      );
    }
    let content: string;
    try {
      content = utf8.decode(await readFile(file));
    } catch (error) {
      if (error instanceof TypeError) throw new ContextError('not_utf8', `Context file is not valid UTF-8: ${file}`, file);
      throw new ContextError('read_failed', `Failed to read context file ${file}: ${(error as Error).message}`, file);
    }
    add({ path: file, label: file, content, bytes: size });
  };

  for (const source of sources) {
    if (typeof source === 'string') await readOne(expandContextPath(source, cwd), false);
    else if ('content' in source)
      add({ label: source.label ?? 'inline', content: source.content, bytes: Buffer.byteLength(source.content) });
    else if ('path' in source) await readOne(expandContextPath(source.path, cwd), source.required ?? true);
    else if ('paths' in source) for (const p of source.paths) await readOne(expandContextPath(p, cwd), source.required ?? true);
    else {
      const pattern = expandContextPath(source.glob, cwd);
      // tinyglobby is imported on the first glob source, not with @mixtape/core.
      const { glob } = await import('tinyglobby');
      const matches = (await glob(pattern, { absolute: true, onlyFiles: true, dot: false, expandDirectories: false })).sort();
      for (const m of matches) await readOne(m, false);
    }
  }
  return result;
}

/** Builds the effective system prompt: the base prompt followed by one part per context item. */
export function buildSystemPrompt(base: string | undefined, context: ContextLoadResult): string | undefined {
  const parts = context.files.map((f) =>
    f.path
      ? `\n---\n<!-- Context from: ${f.path} -->\n${f.content}`
      : `\n---\n<!-- Inline context${f.label !== 'inline' ? `: ${f.label}` : ''} -->\n${f.content}`,
  );
  if (!parts.length) return base;
  return (base ?? '') + parts.join('\n');
}
