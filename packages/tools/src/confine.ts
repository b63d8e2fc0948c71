/**
 * Confinement of paths to a root folder. Every filesystem, edit and search tool resolves the
 * model's paths through {@link resolveInRoot}.
 *
 * Fixes over the Rust original's `validate_path`: the target is normalised lexically first, so
 * `missing/../../x` cannot escape through a component that does not exist yet, and the nearest
 * existing ancestor is resolved with realpath so symlinks that point outside are refused too.
 * @module
 */
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { PathOutsideRootError, ToolError } from './errors.js';
import type { PathDeny } from './path-guard.js';

/** Options shared by all tools confined to a folder. */
export interface RootOptions {
  /** Folder the tools may touch (default: `process.cwd()` when the tools are created). */
  root?: string;
  /**
   * Paths the tools refuse to read, write or show, matched on real paths after links are
   * followed: globs relative to `root` (or absolute), or a `PermissionAuthorizer` (its deny
   * rules with a path matcher that cover the tool). Search and list_directory leave them out.
   */
  deny?: PathDeny;
}

/** The absolute root of a tool group. */
export function rootOf(options: RootOptions | undefined): string {
  const abs = path.resolve(options?.root ?? process.cwd());
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}

/** True when `candidate` is `root` or below it (both absolute, normalised). */
export function isInsideRoot(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function realpathOrNull(p: string): Promise<string | null> {
  try {
    return await realpath(p);
  } catch {
    return null;
  }
}

/**
 * Resolves `target` (relative to `root`, or absolute) and checks it stays inside `root`.
 * Returns the absolute real path (symlinks resolved; for a path that does not exist yet, the
 * real path of its nearest existing ancestor joined with the rest).
 * @throws PathOutsideRootError when the path or anything it links to is outside the root.
 */
export async function resolveInRoot(root: string, target: string): Promise<string> {
  if (typeof target !== 'string' || target.length === 0)
    throw new ToolError('invalid_input', 'The path is empty. Give a path inside the root folder.');
  if (target.includes('\0')) throw new ToolError('invalid_input', `Path '${target.replace(/\0/g, '\\0')}' contains a NUL character.`);
  const absRoot = path.resolve(root);
  const realRoot = (await realpathOrNull(absRoot)) ?? absRoot;
  // path.resolve normalises `.` and `..` lexically before anything touches the disk.
  const lexical = path.resolve(absRoot, target);
  if (!isInsideRoot(absRoot, lexical) && !isInsideRoot(realRoot, lexical)) throw new PathOutsideRootError(target, absRoot, lexical);

  // Walk up to the nearest existing ancestor and resolve symlinks from there.
  let existing = lexical;
  const rest: string[] = [];
  let real: string | null;
  for (;;) {
    real = await realpathOrNull(existing);
    if (real !== null) break;
    const parent = path.dirname(existing);
    if (parent === existing) break;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  if (real === null) throw new ToolError('invalid_input', `Path '${target}' has no existing parent folder.`);
  const resolved = path.join(real, ...rest);
  if (!isInsideRoot(realRoot, resolved)) throw new PathOutsideRootError(target, absRoot, resolved);
  return resolved;
}

/** A path as shown to the model: relative to the root when inside it. */
export function displayPath(root: string, absolute: string): string {
  const rel = path.relative(root, absolute);
  if (rel === '') return '.';
  return rel.startsWith('..') || path.isAbsolute(rel) ? absolute : rel;
}
