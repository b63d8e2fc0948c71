/**
 * Opening, writing and renaming inside a root folder without following links at the last step,
 * and with the check and the use on the same file descriptor where Node allows it.
 *
 * Node has no `openat`, but on Linux `/proc/self/fd/N/name` resolves `name` inside the folder
 * that descriptor N holds, even if that folder has since been moved or swapped for a link. So:
 * - reads open the resolved path with O_NOFOLLOW | O_NONBLOCK (a FIFO cannot hang the tool),
 *   then verify the real path of the opened descriptor (`/proc/self/fd/N`) is inside the root
 *   (open-then-verify: a folder swapped for a link between the check and the open is caught);
 *   every later access goes through `/proc/self/fd/N`, the file that was checked;
 * - writes walk from the root one folder at a time, each opened with O_DIRECTORY | O_NOFOLLOW
 *   through the previous descriptor (missing folders are created the same way), and create or
 *   open the file with O_NOFOLLOW inside the last descriptor: a dangling link in the root that
 *   points outside is refused (ELOOP), never followed to create the outside file;
 * - an in-place write (append) refuses a file with more than one hard link, since its other
 *   names may be outside the root; a rewrite replaces the name atomically (temporary file +
 *   rename inside the same descriptor), so the shared inode is never written.
 * Elsewhere (no /proc), the same steps run on path names: O_NOFOLLOW still holds at the last
 * step, but a folder swapped between the check and the use is not detected.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { constants, existsSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, readlink, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isInsideRoot, resolveInRoot } from './confine.js';
import { PathOutsideRootError, ToolError } from './errors.js';
import { allowAllPaths, PathDeniedError, type PathGuard } from './path-guard.js';

/** True where `/proc/self/fd` lets a descriptor stand for a path (Linux). */
export const PROC_FD_AVAILABLE = existsSync('/proc/self/fd');

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const DIRECTORY = constants.O_DIRECTORY ?? 0;

/** A path that names exactly what `handle` holds (on Linux), or `fallback` elsewhere. */
export function descriptorPath(handle: FileHandle, fallback: string): string {
  return PROC_FD_AVAILABLE ? `/proc/self/fd/${handle.fd}` : fallback;
}

/** The real path of an open descriptor (Linux), or null when it cannot be known. */
async function realPathOf(handle: FileHandle): Promise<string | null> {
  if (!PROC_FD_AVAILABLE) return null;
  return readlink(`/proc/self/fd/${handle.fd}`);
}

function changedError(target: string, cause: unknown): ToolError {
  return new ToolError(
    'path_outside_root',
    `'${target}' changed while it was being opened (a folder or the file itself is now a link); nothing was done. Try again.`,
    { cause },
  );
}

/** Verifies the opened descriptor is inside the root and not denied; returns its real path. */
async function verifyOpened(
  handle: FileHandle,
  realRoot: string,
  target: string,
  resolved: string,
  guard: PathGuard,
  toolName: string,
): Promise<string> {
  const real = (await realPathOf(handle)) ?? resolved;
  if (!isInsideRoot(realRoot, real)) throw new PathOutsideRootError(target, realRoot, real);
  if (guard(real)) throw new PathDeniedError(target, toolName);
  return real;
}

/** An open, verified file inside the root. Close `handle` when done. */
export interface ConfinedFile {
  handle: FileHandle;
  /** Path that reaches exactly this file (`/proc/self/fd/N` on Linux). */
  path: string;
  /** Absolute real path of the file. */
  real: string;
  stats: Stats;
}

/**
 * Opens `target` for reading: resolved and checked against the root, opened without following
 * a final link and without blocking on a FIFO, verified after the open, and refused when it is
 * not a regular file or a deny rule covers it.
 * @throws PathOutsideRootError, PathDeniedError, ToolError ('not_found', 'invalid_input').
 */
export async function openConfinedFile(
  realRoot: string,
  target: string,
  guard: PathGuard = allowAllPaths,
  toolName = 'this tool',
): Promise<ConfinedFile> {
  const resolved = await resolveInRoot(realRoot, target);
  if (guard(resolved)) throw new PathDeniedError(target, toolName);
  let handle: FileHandle;
  try {
    handle = await open(resolved, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw changedError(target, error);
    throw error;
  }
  try {
    const real = await verifyOpened(handle, realRoot, target, resolved, guard, toolName);
    const stats = await handle.stat();
    if (stats.isDirectory()) throw new ToolError('invalid_input', `'${target}' is a directory.`);
    if (!stats.isFile())
      throw new ToolError('invalid_input', `'${target}' is not a regular file (a FIFO, socket or device); it is not read.`);
    return { handle, path: descriptorPath(handle, resolved), real, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Runs `fn` with a file opened by {@link openConfinedFile}, closing it afterwards. */
export async function withConfinedFile<T>(
  realRoot: string,
  target: string,
  guard: PathGuard,
  toolName: string,
  fn: (file: ConfinedFile) => Promise<T>,
): Promise<T> {
  const file = await openConfinedFile(realRoot, target, guard, toolName);
  try {
    return await fn(file);
  } finally {
    await file.handle.close();
  }
}

/**
 * Opens the folder `absDir` (a resolved path inside `realRoot`) by walking down from the root
 * one name at a time, never following a link; with `create`, missing folders are made on the way.
 */
export async function openConfinedDir(realRoot: string, absDir: string, target: string, create: boolean): Promise<FileHandle> {
  if (!isInsideRoot(realRoot, absDir)) throw new PathOutsideRootError(target, realRoot, absDir);
  const parts = path
    .relative(realRoot, absDir)
    .split(path.sep)
    .filter((p) => p !== '');
  let current = realRoot;
  if (create) await mkdir(realRoot, { recursive: true }); // the root itself is configuration, trusted
  let dir = await open(realRoot, constants.O_RDONLY | DIRECTORY);
  try {
    for (const part of parts) {
      current = path.join(current, part);
      const child = `${descriptorPath(dir, path.dirname(current))}/${part}`;
      if (create) {
        try {
          await mkdir(child);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      }
      let next: FileHandle;
      try {
        next = await open(child, constants.O_RDONLY | DIRECTORY | NOFOLLOW);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ELOOP' || code === 'ENOTDIR') throw changedError(target, error);
        throw error;
      }
      await dir.close();
      dir = next;
    }
    return dir;
  } catch (error) {
    await dir.close();
    throw error;
  }
}

/** Options of {@link writeConfined}. */
export interface WriteConfinedOptions {
  /** 'rewrite' replaces the file atomically; 'append' adds to its end (default 'rewrite'). */
  mode?: 'rewrite' | 'append';
  guard?: PathGuard;
  toolName?: string;
}

/**
 * Writes `content` to `target` inside the root, creating missing folders, never following a
 * link at any step (see the module description). Returns the resolved path.
 * @throws PathOutsideRootError, PathDeniedError, ToolError.
 */
export async function writeConfined(
  realRoot: string,
  target: string,
  content: string,
  options: WriteConfinedOptions = {},
): Promise<string> {
  const guard = options.guard ?? allowAllPaths;
  const resolved = await resolveInRoot(realRoot, target);
  if (guard(resolved)) throw new PathDeniedError(target, options.toolName ?? 'this tool');
  if (resolved === realRoot) throw new ToolError('invalid_input', `'${target}' is a directory.`);
  const dir = await openConfinedDir(realRoot, path.dirname(resolved), target, true);
  try {
    const base = descriptorPath(dir, path.dirname(resolved));
    const name = path.basename(resolved);
    const file = `${base}/${name}`;
    // No such file (or not readable): null means "nothing there" to the checks below.
    const existing = await lstat(file).catch(() => null);
    if (existing?.isDirectory()) throw new ToolError('invalid_input', `'${target}' is a directory.`);
    if (options.mode === 'append') {
      let handle: FileHandle;
      try {
        handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW | NONBLOCK, 0o666);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
          throw new ToolError(
            'path_outside_root',
            `'${target}' is a symbolic link; append does not follow links (it could create or change a file outside the root). Write to the file it points to instead.`,
            { cause: error },
          );
        }
        throw error;
      }
      try {
        const stats = await handle.stat();
        if (!stats.isFile()) throw new ToolError('invalid_input', `'${target}' is not a regular file.`);
        if (stats.nlink > 1)
          throw new ToolError(
            'permission_denied',
            `'${target}' has ${stats.nlink} hard links; appending would change the file under its other names too, which may be outside the root. Rewrite it instead (mode 'rewrite' replaces only this name).`,
          );
        await verifyOpened(handle, realRoot, target, resolved, guard, options.toolName ?? 'this tool');
        await handle.appendFile(content, 'utf8');
      } finally {
        await handle.close();
      }
      return resolved;
    }
    const mode = existing?.isFile() ? existing.mode & 0o7777 : 0o666;
    const temp = `${base}/.${name.slice(0, 100)}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, mode);
      try {
        await handle.writeFile(content, 'utf8');
        if (existing?.isFile()) await handle.chmod(mode);
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return resolved;
  } finally {
    await dir.close();
  }
}

/**
 * Renames `source` to `destination` (both inside the root) through descriptors of their
 * folders, so neither folder can be swapped for a link in between. Missing destination folders
 * are created. Returns the two descriptor-relative paths to the caller's `use`.
 */
export async function withConfinedPair<T>(
  realRoot: string,
  source: string,
  destination: string,
  guard: PathGuard,
  toolName: string,
  use: (from: string, to: string) => Promise<T>,
): Promise<T> {
  const from = await resolveInRoot(realRoot, source);
  const to = await resolveInRoot(realRoot, destination);
  if (guard(from)) throw new PathDeniedError(source, toolName);
  if (guard(to)) throw new PathDeniedError(destination, toolName);
  if (from === realRoot || to === realRoot) throw new ToolError('invalid_input', 'The root folder itself cannot be moved or replaced.');
  const fromDir = await openConfinedDir(realRoot, path.dirname(from), source, false);
  try {
    const toDir = await openConfinedDir(realRoot, path.dirname(to), destination, true);
    try {
      return await use(
        `${descriptorPath(fromDir, path.dirname(from))}/${path.basename(from)}`,
        `${descriptorPath(toDir, path.dirname(to))}/${path.basename(to)}`,
      );
    } finally {
      await toDir.close();
    }
  } finally {
    await fromDir.close();
  }
}
