/**
 * `edit_block`: replace text in a file, exactly or (failing that) by fuzzy match.
 * @module
 */
import { tool, type Tool } from '@mixtape/core';
import { createRequire } from 'node:module';
import type * as Diff from 'diff';
import { z } from 'zod';
import { rootOf, type RootOptions } from '../confine.js';
import { withConfinedFile, writeConfined } from '../confined-fs.js';
import { fsError, ToolError } from '../errors.js';
import { pathGuard } from '../path-guard.js';
import { DEFAULT_FUZZY_MAX_FILE_CHARS, DEFAULT_FUZZY_THRESHOLD, findBestFuzzyMatch } from './fuzzy.js';

let diffModule: typeof Diff | undefined;
/** The diff package, loaded on first use (keeps `import '@mixtape/tools'` fast). */
function diff(): typeof Diff {
  diffModule ??= createRequire(import.meta.url)('diff') as typeof Diff;
  return diffModule;
}

const editInput = z.object({
  file_path: z.string().describe('File to edit, relative to the root folder'),
  old_string: z.string().min(1).describe('Text to replace'),
  new_string: z.string().describe('Replacement text'),
  expected_replacements: z.number().int().min(1).default(1).describe('How many exact occurrences must be replaced'),
  enable_fuzzy: z.boolean().default(true).describe('Try a fuzzy match when there is no exact one'),
  fuzzy_threshold: z.number().min(0).max(1).default(DEFAULT_FUZZY_THRESHOLD).describe('Lowest similarity (0..1) for a fuzzy match'),
});

/** Options of `edit_block`. */
export interface EditOptions extends RootOptions {
  /** Largest file fuzzy matching searches (default {@link DEFAULT_FUZZY_MAX_FILE_CHARS}). */
  fuzzyMaxFileChars?: number;
}

function countOccurrences(text: string, pattern: string): number {
  let count = 0;
  for (let i = text.indexOf(pattern); i !== -1; i = text.indexOf(pattern, i + pattern.length)) count++;
  return count;
}

/** Makes `text`'s line endings `\r\n` (for files that use CRLF), leaving existing `\r\n` alone. */
function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

function lineChangeSummary(before: string, after: string): string {
  let added = 0;
  let removed = 0;
  for (const part of diff().diffLines(before, after)) {
    if (part.added) added += part.count ?? 0;
    if (part.removed) removed += part.count ?? 0;
  }
  return `+${added} line(s) / -${removed} line(s)`;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** `edit_block`: exact replacement (with an expected count), else a fuzzy match above a threshold. */
export function editBlockTool(options: EditOptions = {}): Tool<z.output<typeof editInput>> {
  const root = rootOf(options);
  const fuzzyMax = options.fuzzyMaxFileChars ?? DEFAULT_FUZZY_MAX_FILE_CHARS;
  const guard = pathGuard(options.deny, 'edit_block', root);
  return tool({
    name: 'edit_block',
    description:
      `Replace text in a file inside ${root}. Every exact occurrence of old_string is replaced, and their number must equal expected_replacements (default 1); ` +
      `otherwise nothing is written. With no exact occurrence, the most similar block (similarity >= fuzzy_threshold, default ${DEFAULT_FUZZY_THRESHOLD}) is replaced once. ` +
      'Line endings (CRLF) and UTF-8 text are kept.',
    input: editInput,
    formatInput: (input) => {
      const patch = diff().structuredPatch(input.file_path, input.file_path, input.old_string, input.new_string, '', '', { context: 0 });
      return [input.file_path, ...patch.hunks.flatMap((h) => h.lines)].join('\n');
    },
    async execute(input) {
      let original: string;
      try {
        original = decoder.decode(await withConfinedFile(root, input.file_path, guard, 'edit_block', (opened) => opened.handle.readFile()));
      } catch (error) {
        if (error instanceof TypeError)
          throw new ToolError('invalid_input', `'${input.file_path}' is not valid UTF-8 text; edit_block only edits text files.`);
        throw fsError(error, 'read', input.file_path);
      }
      const crlf = original.includes('\r\n');
      const oldString = crlf ? toCrlf(input.old_string) : input.old_string;
      const newString = crlf ? toCrlf(input.new_string) : input.new_string;

      let updated: string;
      let how: string;
      let replacements: number;
      const exact = countOccurrences(original, oldString);
      if (exact > 0) {
        if (exact !== input.expected_replacements) {
          throw new ToolError(
            'replacement_count',
            `Expected ${input.expected_replacements} replacement(s) but found ${exact} exact occurrence(s) of old_string in ${input.file_path}; nothing was written. ` +
              'Set expected_replacements to that number to replace them all, or add surrounding lines to old_string to pick one.',
          );
        }
        updated = original.split(oldString).join(newString);
        how = 'exact matching';
        replacements = exact;
      } else {
        if (!input.enable_fuzzy)
          throw new ToolError('no_match', `No exact match for old_string in ${input.file_path}, and fuzzy matching is disabled.`);
        if (original.length > fuzzyMax) {
          throw new ToolError(
            'no_match',
            `No exact match for old_string in ${input.file_path}; the file is too large (${original.length} characters > ${fuzzyMax}) for fuzzy matching. Copy the exact text with read_file.`,
          );
        }
        const match = findBestFuzzyMatch(original, oldString, input.fuzzy_threshold);
        if (match === null) {
          throw new ToolError(
            'no_match',
            `No match for old_string in ${input.file_path} (tried exact and fuzzy matching with threshold ${(input.fuzzy_threshold * 100).toFixed(1)}%). Read the file and copy the exact text.`,
          );
        }
        if (input.expected_replacements !== 1) {
          throw new ToolError(
            'replacement_count',
            `Expected ${input.expected_replacements} replacement(s) but fuzzy matching replaces exactly 1; nothing was written.`,
          );
        }
        updated = original.slice(0, match.start) + newString + original.slice(match.end);
        how = `fuzzy matching (similarity ${(match.similarity * 100).toFixed(1)}%)\nMatched text:\n${match.text}`;
        replacements = 1;
      }
      try {
        await writeConfined(root, input.file_path, updated, { guard, toolName: 'edit_block' });
      } catch (error) {
        throw fsError(error, 'write', input.file_path);
      }
      return `Edited ${input.file_path} using ${how}\n${replacements} replacement(s), ${lineChangeSummary(original, updated)}`;
    },
  });
}

/** The edit tools: edit_block. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a group holds tools of different input types
export function editTools(options: EditOptions = {}): Tool<any>[] {
  return [editBlockTool(options)];
}
