import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { searchTool } from '../src/index.js';
import { call, callText, tempDir } from './helpers.js';

let root: string;
let cleanup: () => Promise<void>;
let search: ReturnType<typeof searchTool>;

beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir());
  search = searchTool({ root });
  const files: Record<string, string> = {
    '.gitignore': 'dist/\n*.log\n',
    'src/app.ts': 'import x from "y";\n\nexport function Hello() {\n  return "hello world";\n}\n',
    'src/util.js': 'const a = 1;\n// TODO: hello again\nconst b = 2;\n',
    'src/nested/.gitignore': 'generated.ts\n',
    'src/nested/generated.ts': 'hello from generated\n',
    'src/nested/kept.ts': 'hello kept\n',
    'dist/bundle.js': 'hello from dist\n',
    'debug.log': 'hello log\n',
    '.hidden/secret.ts': 'hello hidden\n',
    '.git/config': 'hello git\n',
    'image.bin': '\u0000hello binary',
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
});
afterEach(() => cleanup());

describe('search, content mode', () => {
  it('finds matching lines, skipping gitignored, hidden, .git and binary files', async () => {
    const text = await callText(search, { pattern: 'hello' });
    expect(text).toContain('Found 3 match(es) in 3 file(s)');
    expect(text).toContain('src/app.ts:4:   return "hello world";');
    expect(text).toContain('src/util.js:2: // TODO: hello again');
    expect(text).toContain('src/nested/kept.ts:1: hello kept');
    for (const hidden of ['dist', 'debug.log', 'generated', '.hidden', '.git', 'image.bin']) expect(text).not.toContain(hidden);
  });

  it('is case-sensitive by default, with ignore_case, literal, file_pattern and include_hidden', async () => {
    expect(await callText(search, { pattern: 'HELLO' })).toContain('No matches');
    expect(await callText(search, { pattern: 'HELLO', ignore_case: true })).toContain('Found 4 match(es)');
    expect(await callText(search, { pattern: 'y";', literal: true })).toContain('src/app.ts:1:');
    expect(await callText(search, { pattern: 'hello', file_pattern: '*.js' })).toContain('Found 1 match(es)');
    expect(await callText(search, { pattern: 'hello', include_hidden: true })).toContain('.hidden/secret.ts:1:');
  });

  it('prints context lines and stops at max_results', async () => {
    const text = await callText(search, { pattern: 'TODO', context_lines: 1 });
    expect(text).toContain('src/util.js-1- const a = 1;\nsrc/util.js:2: // TODO: hello again\nsrc/util.js-3- const b = 2;');
    const limited = await callText(search, { pattern: 'hello', max_results: 1 });
    expect(limited).toContain('Found 1 match(es)');
    expect(limited).toContain('limit reached');
  });

  it('explains an invalid regular expression', async () => {
    await expect(call(search, { pattern: '(unclosed' })).rejects.toThrow(/Invalid regular expression.*literal=true/);
  });
});

describe('search, files mode', () => {
  it('matches globs against names or paths, respecting .gitignore', async () => {
    expect(await callText(search, { pattern: '*.ts', mode: 'files' })).toBe(
      "Found 2 file(s) matching '*.ts':\nsrc/app.ts\nsrc/nested/kept.ts",
    );
    expect(await callText(search, { pattern: 'src/*.{js,ts}', mode: 'files' })).toBe(
      "Found 2 file(s) matching 'src/*.{js,ts}':\nsrc/app.ts\nsrc/util.js",
    );
    expect(await callText(search, { pattern: '*.log', mode: 'files' })).toContain('No files matching');
  });
});
