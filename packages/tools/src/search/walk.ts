/**
 * Walking a folder tree the way git sees it: `.gitignore` files (root and nested, parsed by the
 * `ignore` package) prune ignored files and folders, and `.git` is never entered. The walk is
 * hand-written (readdir) rather than a glob so ignored folders such as node_modules are pruned
 * instead of listed and then filtered.
 * @module
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** Deepest folder level the walk enters. */
export const DEFAULT_WALK_MAX_DEPTH = 50;

/** Options of {@link walkFiles}. */
export interface WalkOptions {
  /** Include files and folders whose name starts with a dot (default false). `.git` is always skipped. */
  includeHidden?: boolean;
  /** Respect `.gitignore` files (default true). */
  respectGitignore?: boolean;
  maxDepth?: number;
  signal?: AbortSignal;
  /** Files and folders to leave out (a denied folder is not entered). */
  skip?: (full: string, isDir: boolean) => boolean;
}

interface Rules {
  /** Folder the rules belong to. */
  dir: string;
  ig: Ignore;
}

async function loadRules(dir: string): Promise<Rules | null> {
  try {
    const text = await readFile(path.join(dir, '.gitignore'), 'utf8');
    return { dir, ig: ignore().add(text) };
  } catch {
    return null;
  }
}

function ignoredBy(rules: readonly Rules[], full: string, isDir: boolean): boolean {
  for (const r of rules) {
    const rel = path.relative(r.dir, full).split(path.sep).join('/');
    if (rel === '' || rel.startsWith('..')) continue;
    if (r.ig.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

/** Yields absolute paths of the files under `root`, sorted by name within each folder. */
export async function* walkFiles(root: string, options: WalkOptions = {}): AsyncGenerator<string> {
  const maxDepth = options.maxDepth ?? DEFAULT_WALK_MAX_DEPTH;
  const respect = options.respectGitignore ?? true;
  async function* visit(dir: string, depth: number, inherited: readonly Rules[]): AsyncGenerator<string> {
    if (options.signal?.aborted) return;
    const own = respect ? await loadRules(dir) : null;
    const rules = own ? [...inherited, own] : inherited;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name === '.git') continue;
      if (!options.includeHidden && entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      const isDir = entry.isDirectory();
      if (respect && ignoredBy(rules, full, isDir)) continue;
      if (options.skip?.(full, isDir)) continue;
      if (isDir) {
        if (depth < maxDepth) yield* visit(full, depth + 1, rules);
      } else if (entry.isFile()) {
        yield full;
      }
    }
  }
  yield* visit(root, 0, []);
}
