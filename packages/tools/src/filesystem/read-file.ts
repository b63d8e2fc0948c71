/**
 * `read_file` and `read_multiple_files`.
 * @module
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { toolResult, tool, type Tool, type ToolResultContent } from '@mixtape/core';
import { z } from 'zod';
import { displayPath, rootOf, type RootOptions } from '../confine.js';
import { withConfinedFile } from '../confined-fs.js';
import { fsError, errorMessage, ToolError } from '../errors.js';
import { pathGuard } from '../path-guard.js';
import { mediaTypeOf } from './media-type.js';

/** Most characters of text `read_file` returns in one call; use `offset`/`length` for more. */
export const DEFAULT_MAX_READ_CHARS = 100_000;
/** Largest image or PDF `read_file` returns as image/document content. */
export const DEFAULT_MAX_BINARY_BYTES = 5 * 1024 * 1024;
/** Most characters `read_multiple_files` returns per file. */
export const DEFAULT_MAX_CHARS_PER_FILE = 20_000;
/** Most files `read_multiple_files` reads in one call. */
export const MAX_FILES_PER_CALL = 50;
/** Files `read_multiple_files` reads at the same time. */
export const DEFAULT_READ_CONCURRENCY = 8;

/** Options of the read tools. */
export interface ReadFileOptions extends RootOptions {
  /** Most characters of text per call (default {@link DEFAULT_MAX_READ_CHARS}). */
  maxChars?: number;
  /** Largest image/PDF returned as content (default {@link DEFAULT_MAX_BINARY_BYTES}). */
  maxBinaryBytes?: number;
}

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** Result of reading a text file's lines. */
interface TextSlice {
  text: string;
  firstLine: number; // 0-based
  linesShown: number;
  truncatedByChars: boolean;
  moreLines: boolean;
}

async function looksBinary(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).includes(0);
  } finally {
    await handle.close();
  }
}

/**
 * Reads lines [offset, offset+length) of a text file, streaming, stopping at `maxChars`.
 * Selected lines are joined with `\n` (a whole file read without a range is returned verbatim).
 */
async function readLines(
  file: string,
  offset: number,
  length: number | undefined,
  maxChars: number,
  lineNumbers: boolean,
): Promise<TextSlice> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let index = 0;
  let out = '';
  let shown = 0;
  let truncatedByChars = false;
  let moreLines = false;
  try {
    for await (const line of lines) {
      if (index < offset) {
        index++;
        continue;
      }
      if (length !== undefined && shown >= length) {
        moreLines = true;
        break;
      }
      const rendered = (lineNumbers ? `${String(index + 1).padStart(6)}\t${line}` : line) + '\n';
      if (out.length + rendered.length > maxChars) {
        if (shown === 0) {
          // A single line longer than the whole budget (minified code, logs): show its start.
          out = `${rendered.slice(0, maxChars)}\n[Line ${index + 1} is ${line.length} characters long; only its first ${maxChars} characters are shown.]\n`;
          shown = 1;
          index++;
        }
        truncatedByChars = true;
        moreLines = true;
        break;
      }
      out += rendered;
      shown++;
      index++;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  return { text: out, firstLine: offset, linesShown: shown, truncatedByChars, moreLines };
}

/** Reads a text file within the char budget; verbatim when the whole file fits. */
async function readText(
  file: string,
  input: { offset?: number; length?: number; line_numbers?: boolean },
  maxChars: number,
  shown: string = file,
): Promise<string> {
  const info = await stat(file);
  if (info.isDirectory()) throw new ToolError('invalid_input', `'${shown}' is a directory; use list_directory.`);
  if (await looksBinary(file)) {
    throw new ToolError('invalid_input', `'${shown}' looks like a binary file (it contains NUL bytes); use file_info to see what it is.`);
  }
  const whole = input.offset === undefined && input.length === undefined && !input.line_numbers;
  if (whole && info.size <= maxChars) {
    const text = await readFile(file, 'utf8');
    if (text.length <= maxChars) return text;
  }
  const slice = await readLines(file, input.offset ?? 0, input.length, maxChars, input.line_numbers ?? false);
  let text = slice.text;
  if (slice.linesShown === 0 && slice.firstLine > 0 && !slice.truncatedByChars) {
    return `(no lines at offset ${slice.firstLine}: the file has fewer lines)`;
  }
  if (slice.moreLines) {
    const next = slice.firstLine + slice.linesShown;
    const why = slice.truncatedByChars ? `the ${maxChars}-character limit was reached` : `length=${input.length} lines were shown`;
    text += `\n[Showing lines ${slice.firstLine + 1}-${next} (${why}). Call read_file again with offset=${next} to read more.]`;
  }
  return text;
}

const readFileInput = z.object({
  path: z.string().describe('File path, relative to the root folder'),
  offset: z.number().int().min(0).optional().describe('First line to read, 0-based'),
  length: z.number().int().min(1).optional().describe('Number of lines to read'),
  line_numbers: z.boolean().optional().describe('Prefix each line with its 1-based number'),
});

/** `read_file`: reads a text file (line ranges, size cap) or returns an image/PDF as content. */
export function readFileTool(options: ReadFileOptions = {}): Tool<z.output<typeof readFileInput>> {
  const root = rootOf(options);
  const maxChars = options.maxChars ?? DEFAULT_MAX_READ_CHARS;
  const maxBinary = options.maxBinaryBytes ?? DEFAULT_MAX_BINARY_BYTES;
  const guard = pathGuard(options.deny, 'read_file', root);
  return tool({
    name: 'read_file',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description:
      `Read a file inside ${root}. Text is returned verbatim, or the lines offset..offset+length (0-based) when given, ` +
      `at most ${maxChars} characters per call. PNG/JPEG/GIF/WebP images and PDFs are returned as image/document content.`,
    input: readFileInput,
    formatInput: (input) =>
      `${input.path}${input.offset !== undefined || input.length !== undefined ? ` [lines ${(input.offset ?? 0) + 1}${input.length !== undefined ? `-${(input.offset ?? 0) + input.length}` : '+'}]` : ''}`,
    async execute(input): Promise<string | ToolResultContent> {
      return withConfinedFile(root, input.path, guard, 'read_file', async (opened) => {
        const file = opened.path;
        try {
          const mediaType = await mediaTypeOf(file, opened.real);
          if (mediaType && (IMAGE_TYPES.has(mediaType) || mediaType === 'application/pdf')) {
            const info = await stat(file);
            if (info.size > maxBinary) {
              throw new ToolError(
                'too_large',
                `'${input.path}' is ${info.size} bytes; images and PDFs larger than ${maxBinary} bytes are not returned.`,
              );
            }
            const bytes = new Uint8Array(await readFile(file));
            return mediaType === 'application/pdf'
              ? toolResult.document(mediaType, bytes, displayPath(root, opened.real))
              : toolResult.image(mediaType, bytes);
          }
          return await readText(file, input, maxChars, input.path);
        } catch (error) {
          throw fsError(error, 'read', input.path);
        }
      }).catch((error: unknown) => {
        throw fsError(error, 'read', input.path);
      });
    },
  });
}

const readMultipleInput = z.object({
  paths: z.array(z.string()).min(1).max(MAX_FILES_PER_CALL).describe('File paths, relative to the root folder'),
});

/** Runs `fn` over `items` with at most `limit` at a time, keeping order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

/** `read_multiple_files`: the full text of several files (each up to a per-file cap). */
export function readMultipleFilesTool(
  options: ReadFileOptions & { maxCharsPerFile?: number } = {},
): Tool<z.output<typeof readMultipleInput>> {
  const root = rootOf(options);
  const perFile = options.maxCharsPerFile ?? DEFAULT_MAX_CHARS_PER_FILE;
  const guard = pathGuard(options.deny, 'read_multiple_files', root);
  return tool({
    name: 'read_multiple_files',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description: `Read several text files inside ${root} at once. Each file's full content is returned (at most ${perFile} characters per file; use read_file with offset for the rest).`,
    input: readMultipleInput,
    formatInput: (input) => input.paths.join(', '),
    async execute(input) {
      const parts = await mapLimited(input.paths, DEFAULT_READ_CONCURRENCY, async (p) => {
        try {
          const text = await withConfinedFile(root, p, guard, 'read_multiple_files', (opened) =>
            readText(opened.path, {}, perFile, p),
          ).catch((e: unknown) => {
            throw fsError(e, 'read', p);
          });
          return { ok: true, text: `=== ${p} ===\n${text}${text.endsWith('\n') ? '' : '\n'}` };
        } catch (error) {
          return { ok: false, text: `=== ${p} ===\nError: ${errorMessage(error)}\n` };
        }
      });
      const ok = parts.filter((p) => p.ok).length;
      return `Read ${input.paths.length} file(s): ${ok} succeeded, ${input.paths.length - ok} failed.\n\n${parts.map((p) => p.text).join('\n')}`;
    },
  });
}
