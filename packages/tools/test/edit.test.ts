import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { editBlockTool, findBestFuzzyMatch } from '../src/index.js';
import { call, callText, tempDir } from './helpers.js';

let root: string;
let cleanup: () => Promise<void>;
let edit: ReturnType<typeof editBlockTool>;
const file = () => path.join(root, 'f.txt');

beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir());
  edit = editBlockTool({ root });
});
afterEach(() => cleanup());

describe('edit_block', () => {
  it('replaces an exact occurrence and reports the line change without ANSI codes', async () => {
    await writeFile(file(), 'alpha\nbeta\ngamma\n');
    const text = await callText(edit, { file_path: 'f.txt', old_string: 'beta\n', new_string: 'BETA\nBETA2\n' });
    expect(await readFile(file(), 'utf8')).toBe('alpha\nBETA\nBETA2\ngamma\n');
    expect(text).toContain('using exact matching');
    expect(text).toContain('+2 line(s) / -1 line(s)');
    expect(text).not.toMatch(/\u001b\[/);
  });

  it('refuses when the count differs from expected_replacements and writes nothing', async () => {
    await writeFile(file(), 'x = 1\nx = 1\n');
    await expect(call(edit, { file_path: 'f.txt', old_string: 'x = 1', new_string: 'x = 2' })).rejects.toThrow(
      /Expected 1 replacement\(s\) but found 2/,
    );
    expect(await readFile(file(), 'utf8')).toBe('x = 1\nx = 1\n');
    await call(edit, { file_path: 'f.txt', old_string: 'x = 1', new_string: 'x = 2', expected_replacements: 2 });
    expect(await readFile(file(), 'utf8')).toBe('x = 2\nx = 2\n');
  });

  it('keeps CRLF line endings, matching an LF old_string against a CRLF file', async () => {
    await writeFile(file(), 'one\r\ntwo\r\nthree\r\n');
    await call(edit, { file_path: 'f.txt', old_string: 'one\ntwo\n', new_string: 'uno\ndos\n' });
    expect(await readFile(file(), 'utf8')).toBe('uno\r\ndos\r\nthree\r\n');
  });

  it('falls back to a fuzzy match above the threshold, slicing multi-byte text by characters', async () => {
    await writeFile(file(), 'début 🎉\nfunction grüßen(name) {\n  return "Hallo " + name;\n}\nfin ✓\n');
    const text = await callText(edit, {
      file_path: 'f.txt',
      old_string: 'function grussen(name) {\n  return "Hallo " + name\n}',
      new_string: 'const grüßen = (name) => `Hallo ${name}`;',
    });
    expect(text).toMatch(/fuzzy matching \(similarity 9\d\.\d%\)/);
    expect(await readFile(file(), 'utf8')).toBe('début 🎉\nconst grüßen = (name) => `Hallo ${name}`;\nfin ✓\n');
  });

  it('refuses a fuzzy match below the threshold, and when fuzzy is off', async () => {
    await writeFile(file(), 'completely different content\n');
    await expect(call(edit, { file_path: 'f.txt', old_string: 'nothing like this at all!!', new_string: 'x' })).rejects.toThrow(
      /No match .*threshold 70.0%/,
    );
    await expect(
      call(edit, { file_path: 'f.txt', old_string: 'completely diferent', new_string: 'x', enable_fuzzy: false }),
    ).rejects.toThrow(/fuzzy matching is disabled/);
    expect(await readFile(file(), 'utf8')).toBe('completely different content\n');
  });

  it('refuses files that are not UTF-8', async () => {
    await writeFile(file(), Buffer.from([0x66, 0xff, 0xfe, 0x00]));
    await expect(call(edit, { file_path: 'f.txt', old_string: 'f', new_string: 'g' })).rejects.toThrow(/not valid UTF-8/);
  });

  it('formats its input as a diff for UIs', () => {
    const shown = edit.formatInput?.({
      file_path: 'f.txt',
      old_string: 'a\n',
      new_string: 'b\n',
      expected_replacements: 1,
      enable_fuzzy: true,
      fuzzy_threshold: 0.7,
    });
    expect(shown).toContain('-a');
    expect(shown).toContain('+b');
  });
});

describe('findBestFuzzyMatch', () => {
  it('never splits a surrogate pair', () => {
    const text = '😀😀😀abc😀😀😀';
    const match = findBestFuzzyMatch(text, '😀abd', 0.5);
    expect(match).not.toBeNull();
    expect(match?.text).toBe(text.slice(match?.start, match?.end));
    expect(() => encodeURIComponent(match?.text ?? '')).not.toThrow();
  });

  it('finds a block in a large file through the coarse-then-refine path', () => {
    const lines = Array.from({ length: 2_000 }, (_, i) => `const value${i} = compute(${i}, "padding text here");`);
    const text = lines.join('\n');
    const target = lines[1_210]?.replace('compute', 'computer') ?? '';
    const match = findBestFuzzyMatch(text, `${target}\n${lines[1_211]}`, 0.8);
    expect(match?.text.startsWith('const value1210 ')).toBe(true);
  });
});
