/**
 * `list_directory` and `file_info`.
 * @module
 */
import { access, constants, lstat, readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { tool, type Tool } from '@mixtape/core';
import { z } from 'zod';
import { resolveInRoot, rootOf, type RootOptions } from '../confine.js';
import { descriptorPath, openConfinedDir } from '../confined-fs.js';
import { fsError, ToolError } from '../errors.js';
import { pathGuard, PathDeniedError } from '../path-guard.js';
import { mediaTypeOf } from './media-type.js';

/** Default depth of `list_directory`. */
export const DEFAULT_LIST_DEPTH = 2;
/** Default number of lines `list_directory` prints. */
export const DEFAULT_LIST_LIMIT = 500;
/** Largest `limit` `list_directory` accepts. */
export const MAX_LIST_LIMIT = 10_000;
/** Folders `list_directory` never descends into. */
export const LIST_SKIPPED_NAMES: readonly string[] = ['.git'];

/** Human size: bytes, KB, MB, GB. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

const listInput = z.object({
  path: z.string().default('.').describe('Folder, relative to the root folder'),
  depth: z.number().int().min(1).max(20).default(DEFAULT_LIST_DEPTH).describe('How many levels to show'),
  limit: z.number().int().min(1).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT).describe('Most lines to print'),
});

/** `list_directory`: a tree of a folder, sorted by name, skipping `.git`, bounded by depth and lines. */
export function listDirectoryTool(options: RootOptions = {}): Tool<z.output<typeof listInput>> {
  const root = rootOf(options);
  const guard = pathGuard(options.deny, 'list_directory', root);
  return tool({
    name: 'list_directory',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description: `List a folder inside ${root} as a tree ([DIR] and [FILE] lines with sizes), sorted by name, ${DEFAULT_LIST_DEPTH} levels deep by default, skipping .git.`,
    input: listInput,
    formatInput: (input) => `${input.path} (depth ${input.depth})`,
    async execute(input) {
      const dir = await resolveInRoot(root, input.path);
      if (guard(dir)) throw new PathDeniedError(input.path, 'list_directory');
      try {
        if (!(await stat(dir)).isDirectory()) throw new ToolError('invalid_input', `'${input.path}' is not a directory.`);
      } catch (error) {
        throw fsError(error, 'list', input.path);
      }
      const lines: string[] = [];
      let omitted = 0;
      // Each folder is opened through its parent's descriptor without following links, and read
      // through its own descriptor, so a folder swapped for a link cannot be listed.
      const walk = async (folder: string, level: number): Promise<void> => {
        // A folder that cannot be opened confined (gone, a link, no permission) is left out of the listing.
        const handle = await openConfinedDir(root, folder, input.path, false).catch(() => null);
        // Its entries, unreadable (removed meanwhile, no permission): the folder is listed empty.
        let entries = handle ? await readdir(descriptorPath(handle, folder), { withFileTypes: true }).catch(() => null) : null;
        if (entries === null || handle === null) {
          await handle?.close();
          if (lines.length < input.limit) lines.push(`${'  '.repeat(level)}[ERROR] cannot read this folder`);
          return;
        }
        try {
          const here = descriptorPath(handle, folder);
          entries = entries
            .filter((e) => !LIST_SKIPPED_NAMES.includes(e.name) && !guard(path.join(folder, e.name)))
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
          for (const entry of entries) {
            if (lines.length >= input.limit) {
              omitted++;
              continue;
            }
            const indent = '  '.repeat(level);
            const full = path.join(folder, entry.name);
            const inside = path.join(here, entry.name);
            if (entry.isDirectory()) {
              if (level + 1 >= input.depth) {
                const count = (await readdir(inside).catch(() => [])).length;
                lines.push(`${indent}[DIR]  ${entry.name}/ (${count} ${count === 1 ? 'entry' : 'entries'})`);
              } else {
                lines.push(`${indent}[DIR]  ${entry.name}/`);
                await walk(full, level + 1);
              }
            } else if (entry.isSymbolicLink()) {
              const target = await readlink(inside).catch(() => '?');
              lines.push(`${indent}[LINK] ${entry.name} -> ${target}`);
            } else {
              const size = await lstat(inside).then(
                (s) => s.size,
                () => 0,
              );
              lines.push(`${indent}[FILE] ${entry.name} (${formatSize(size)})`);
            }
          }
        } finally {
          await handle.close();
        }
      };
      await walk(dir, 0);
      if (lines.length === 0) return `Directory ${input.path} is empty`;
      const more = omitted > 0 ? `\n[MORE] ${omitted} more entries not shown (limit ${input.limit}); list a subfolder or raise limit.` : '';
      return `Contents of ${input.path} (depth=${input.depth}):\n${lines.join('\n')}${more}`;
    },
  });
}

const infoInput = z.object({ path: z.string().describe('File or folder, relative to the root folder') });

/** `file_info`: type, size, media type, times and permissions of a path (symlinks detected). */
export function fileInfoTool(options: RootOptions = {}): Tool<z.output<typeof infoInput>> {
  const root = rootOf(options);
  const guard = pathGuard(options.deny, 'file_info', root);
  return tool({
    name: 'file_info',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description: `Show information about a file or folder inside ${root}: type, size, media type, modification time, permissions.`,
    input: infoInput,
    formatInput: (input) => input.path,
    async execute(input) {
      // Confine the path itself without following a final symlink, so the link can be described.
      const normalised = path.normalize(input.path);
      const base = path.basename(normalised);
      const target =
        base === '..' || base === '.' || base === '' || (path.isAbsolute(normalised) && path.dirname(normalised) === normalised)
          ? await resolveInRoot(root, normalised)
          : path.join(await resolveInRoot(root, path.dirname(normalised)), base);
      if (guard(target) || guard(await resolveInRoot(root, normalised).catch(() => target)))
        throw new PathDeniedError(input.path, 'file_info');
      let info;
      try {
        info = await lstat(target);
      } catch (error) {
        throw fsError(error, 'inspect', input.path);
      }
      const type = info.isSymbolicLink() ? 'Symbolic Link' : info.isDirectory() ? 'Directory' : info.isFile() ? 'File' : 'Other';
      const lines = [`File Information: ${input.path}`, `Type: ${type}`];
      if (info.isSymbolicLink()) lines.push(`Target: ${await readlink(target)}`);
      lines.push(`Size: ${formatSize(info.size)} (${info.size} bytes)`);
      lines.push(`MIME Type: ${info.isFile() ? ((await mediaTypeOf(target)) ?? 'application/octet-stream') : 'N/A'}`);
      lines.push(`Modified: ${info.mtime.toISOString()}`);
      lines.push(`Permissions: ${(info.mode & 0o777).toString(8).padStart(3, '0')}`);
      const writable = await access(target, constants.W_OK).then(
        () => true,
        () => false,
      );
      lines.push(`Read-only: ${!writable}`);
      return lines.join('\n');
    },
  });
}
