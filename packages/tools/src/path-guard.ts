/**
 * Paths the confined tools refuse to touch or show, whatever name reaches them: deny globs (or a
 * permission authorizer's deny rules) are matched against the real path of what a tool opens,
 * after links are followed, and against every entry a folder-wide tool (search, list_directory)
 * would return.
 * @module
 */
import path from 'node:path';
import picomatch from 'picomatch';
import { ToolError } from './errors.js';

/**
 * Decides whether a tool may touch an absolute real path. `PermissionAuthorizer` from
 * `@mixtape/core` implements it with its configured deny rules that have a path matcher.
 */
export interface PathDenyPolicy {
  /** True when `toolName` must not touch `absolutePath`; relative globs are taken from `root`. */
  deniesPath(toolName: string, absolutePath: string, root: string): boolean;
}

/** Deny globs (relative to the root, or absolute) or a {@link PathDenyPolicy}. */
export type PathDeny = readonly string[] | PathDenyPolicy;

/** A path a deny rule covers. */
export class PathDeniedError extends ToolError {
  override name = 'PathDeniedError';
  constructor(
    readonly path: string,
    readonly toolName: string,
  ) {
    super('permission_denied', `Access to '${path}' is denied by a path rule; ${toolName} does not read, list or write it.`);
  }
}

/**
 * Tools that only read or show files. A deny rule written for any of them (a rule that forbids
 * `read_file` on `secrets/**`) also hides those paths from the others (search, list_directory…).
 */
export const READING_TOOLS: readonly string[] = ['read_file', 'read_multiple_files', 'list_directory', 'file_info', 'search'];

/** A compiled deny check bound to one tool and root: true when the real path is denied. */
export type PathGuard = (absolutePath: string) => boolean;

/** Never denies. */
export const allowAllPaths: PathGuard = () => false;

/**
 * Compiles {@link PathDeny} for one tool. A glob denies a path when it matches the path or any
 * folder above it (so `secrets` and `secrets/**` both cover `secrets/key.txt`); `*` matches
 * dot-files too.
 */
export function pathGuard(deny: PathDeny | undefined, toolName: string, root: string): PathGuard {
  if (deny === undefined) return allowAllPaths;
  if (!Array.isArray(deny)) {
    const policy = deny as PathDenyPolicy;
    const names = READING_TOOLS.includes(toolName) ? READING_TOOLS : [toolName];
    return (absolute) => names.some((name) => policy.deniesPath(name, absolute, root));
  }
  const globs = deny as readonly string[];
  if (globs.length === 0) return allowAllPaths;
  const matchers = globs.map((glob) =>
    picomatch(path.isAbsolute(glob) || glob.startsWith('**') ? glob : path.posix.join(root.split(path.sep).join('/'), glob), { dot: true }),
  );
  return (absolute) => {
    let p = path.resolve(absolute).split(path.sep).join('/');
    for (;;) {
      if (matchers.some((m) => m(p))) return true;
      const parent = path.posix.dirname(p);
      if (parent === p) return false;
      p = parent;
    }
  };
}
