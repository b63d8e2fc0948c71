/**
 * `write_file`, `create_directory` and `move_file`.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { chmod, cp, lstat, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tool, type Tool } from '@mixtape/core';
import { z } from 'zod';
import { resolveInRoot, rootOf, type RootOptions } from '../confine.js';
import { openConfinedDir, withConfinedPair, writeConfined } from '../confined-fs.js';
import { fsError, ToolError } from '../errors.js';
import { pathGuard, PathDeniedError } from '../path-guard.js';

/** Largest content `write_file` accepts in one call (characters). */
export const DEFAULT_MAX_WRITE_CHARS = 10 * 1024 * 1024;

function countLines(text: string): number {
  if (text.length === 0) return 0;
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n - 1 : n;
}

/**
 * Writes `content` to `file` atomically: a temporary file in the same folder, then rename, so a
 * reader never sees a half-written file. Keeps the permission bits of an existing file.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let mode: number | undefined;
  try {
    mode = (await stat(file)).mode & 0o7777;
  } catch {
    mode = undefined;
  }
  try {
    await writeFile(temp, content, { flag: 'wx', ...(mode !== undefined ? { mode } : {}) });
    if (mode !== undefined) await chmod(temp, mode);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

const writeInput = z.object({
  path: z.string().describe('File path, relative to the root folder'),
  content: z.string().describe('Text to write'),
  mode: z.enum(['rewrite', 'append']).default('rewrite').describe("'rewrite' replaces the file (atomically), 'append' adds to its end"),
});

/** `write_file`: creates or replaces a file (atomically), or appends to it. */
export function writeFileTool(options: RootOptions & { maxChars?: number } = {}): Tool<z.output<typeof writeInput>> {
  const root = rootOf(options);
  const maxChars = options.maxChars ?? DEFAULT_MAX_WRITE_CHARS;
  const guard = pathGuard(options.deny, 'write_file', root);
  return tool({
    name: 'write_file',
    description: `Write a text file inside ${root}. mode 'rewrite' (default) replaces the whole file atomically; 'append' adds to its end. Missing parent folders are created.`,
    input: writeInput,
    formatInput: (input) => `${input.mode === 'append' ? 'append to' : 'write'} ${input.path} (${input.content.length} chars)`,
    async execute(input) {
      if (input.content.length > maxChars)
        throw new ToolError(
          'too_large',
          `The content is ${input.content.length} characters; at most ${maxChars} can be written in one call. Write it in parts with mode 'append'.`,
        );
      try {
        await writeConfined(root, input.path, input.content, { mode: input.mode, guard, toolName: 'write_file' });
      } catch (error) {
        throw fsError(error, 'write', input.path);
      }
      const bytes = Buffer.byteLength(input.content, 'utf8');
      return `${input.mode === 'append' ? 'Appended' : 'Wrote'} ${bytes} bytes (${countLines(input.content)} lines) to ${input.path}`;
    },
  });
}

const createDirInput = z.object({ path: z.string().describe('Folder path, relative to the root folder') });

/** `create_directory`: creates a folder and its missing parents. */
export function createDirectoryTool(options: RootOptions = {}): Tool<z.output<typeof createDirInput>> {
  const root = rootOf(options);
  const guard = pathGuard(options.deny, 'create_directory', root);
  return tool({
    name: 'create_directory',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description: `Create a folder inside ${root}, with any missing parent folders. Succeeds if it already exists.`,
    input: createDirInput,
    formatInput: (input) => input.path,
    async execute(input) {
      const dir = await resolveInRoot(root, input.path);
      if (guard(dir)) throw new PathDeniedError(input.path, 'create_directory');
      try {
        await (await openConfinedDir(root, dir, input.path, true)).close();
      } catch (error) {
        throw fsError(error, 'create folder', input.path);
      }
      return `Created directory ${input.path}`;
    },
  });
}

const moveInput = z.object({
  source: z.string().describe('Existing file or folder, relative to the root folder'),
  destination: z.string().describe('New path, relative to the root folder'),
  overwrite: z.boolean().default(false).describe('Replace an existing destination file'),
});

/** `move_file`: moves or renames a file or folder; refuses to overwrite unless asked. */
export function moveFileTool(options: RootOptions = {}): Tool<z.output<typeof moveInput>> {
  const root = rootOf(options);
  const guard = pathGuard(options.deny, 'move_file', root);
  return tool({
    name: 'move_file',
    description: `Move or rename a file or folder inside ${root}. Parent folders of the destination are created. An existing destination is only replaced with overwrite=true.`,
    input: moveInput,
    formatInput: (input) => `${input.source} → ${input.destination}`,
    async execute(input) {
      try {
        await withConfinedPair(root, input.source, input.destination, guard, 'move_file', async (source, destination) => {
          try {
            await lstat(source);
          } catch (error) {
            throw fsError(error, 'move', input.source);
          }
          // No such file: null means the destination is free.
          const existing = await lstat(destination).catch(() => null);
          if (existing && !input.overwrite) {
            throw new ToolError(
              'invalid_input',
              `Cannot move to '${input.destination}': it already exists. Pass overwrite=true to replace it.`,
            );
          }
          try {
            await rename(source, destination);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
            // Different file systems: copy (links are copied as links), then remove the source.
            await cp(source, destination, {
              recursive: true,
              force: input.overwrite,
              errorOnExist: !input.overwrite,
              verbatimSymlinks: true,
            });
            await rm(source, { recursive: true, force: true });
          }
        });
      } catch (error) {
        throw fsError(error, 'move', `${input.source}' to '${input.destination}`);
      }
      return `Moved ${input.source} to ${input.destination}`;
    },
  });
}
