import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesystemTools, readFileTool, readMultipleFilesTool, readOnlyFilesystemTools } from '../src/index.js';
import { byName, call, callText, tempDir } from './helpers.js';

// A real 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

let root: string;
let cleanup: () => Promise<void>;
let tools: ReturnType<typeof filesystemTools>;
const t = (name: string) => byName(tools, name);

beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir());
  tools = filesystemTools({ root });
});
afterEach(() => cleanup());

describe('read_file', () => {
  it('returns a file verbatim, CRLF and UTF-8 included', async () => {
    await writeFile(path.join(root, 'a.txt'), 'héllo 🌍\r\nsecond\r\n');
    expect(await callText(t('read_file'), { path: 'a.txt' })).toBe('héllo 🌍\r\nsecond\r\n');
  });

  it('reads a line range, with optional line numbers, and says how to continue', async () => {
    await writeFile(path.join(root, 'lines.txt'), Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n'));
    const text = await callText(t('read_file'), { path: 'lines.txt', offset: 2, length: 3 });
    expect(text).toMatch(/^line 3\nline 4\nline 5\n/);
    expect(text).toContain('offset=5');
    const numbered = await callText(t('read_file'), { path: 'lines.txt', offset: 8, line_numbers: true });
    expect(numbered).toBe('     9\tline 9\n    10\tline 10\n');
  });

  it('caps the size of what it returns and points to offset', async () => {
    await writeFile(path.join(root, 'big.txt'), 'x'.repeat(99) + '\n'.repeat(1) + ('y'.repeat(99) + '\n').repeat(2000));
    const text = await callText(readFileTool({ root, maxChars: 1_000 }), { path: 'big.txt' });
    expect(text.length).toBeLessThan(1_200);
    expect(text).toMatch(/Showing lines 1-10 .*1000-character limit.*offset=10/);
  });

  it('shows the start of a single line longer than the limit instead of nothing', async () => {
    await writeFile(path.join(root, 'min.js'), `${'m'.repeat(5_000)}\nnext line\n`);
    const text = await callText(readFileTool({ root, maxChars: 1_000 }), { path: 'min.js' });
    expect(text).toContain('Line 1 is 5000 characters long; only its first 1000 characters are shown.');
    expect(text).toContain('offset=1');
  });

  it('returns images as image content and refuses other binary files', async () => {
    await writeFile(path.join(root, 'dot.png'), PNG);
    const result = await call(t('read_file'), { path: 'dot.png' });
    expect(result).toMatchObject({ type: 'image', mediaType: 'image/png' });
    expect(Buffer.from((result as { data: Uint8Array }).data).equals(PNG)).toBe(true);
    await writeFile(path.join(root, 'blob.bin'), Buffer.from([0, 1, 2, 0, 3]));
    await expect(call(t('read_file'), { path: 'blob.bin' })).rejects.toThrow(/binary/);
  });

  it('names a missing file and rejects bad input through validate', async () => {
    await expect(call(t('read_file'), { path: 'nope.txt' })).rejects.toThrow(/'nope.txt': no such file/);
    expect(t('read_file').validate({ path: 'a', offset: -1 }).ok).toBe(false);
  });
});

describe('read_multiple_files', () => {
  it('returns the full content of each file (not a 200-byte preview) and reports failures inline', async () => {
    const long = 'abcdefghij'.repeat(100);
    await writeFile(path.join(root, 'one.txt'), long);
    await writeFile(path.join(root, 'two.txt'), 'short');
    const text = await callText(t('read_multiple_files'), { paths: ['one.txt', 'two.txt', 'missing.txt'] });
    expect(text).toContain('2 succeeded, 1 failed');
    expect(text).toContain(`=== one.txt ===\n${long}\n`);
    expect(text).toContain('=== two.txt ===\nshort');
    expect(text).toMatch(/=== missing.txt ===\nError: .*no such file/);
  });

  it('caps each file separately', async () => {
    await writeFile(path.join(root, 'one.txt'), ('z'.repeat(49) + '\n').repeat(100));
    const text = await callText(readMultipleFilesTool({ root, maxCharsPerFile: 500 }), { paths: ['one.txt'] });
    expect(text).toContain('offset=10');
  });
});

describe('write_file', () => {
  it('creates parents, rewrites atomically (no temp files left, mode kept) and appends', async () => {
    expect(await callText(t('write_file'), { path: 'deep/new/file.txt', content: 'one\ntwo\n' })).toBe(
      'Wrote 8 bytes (2 lines) to deep/new/file.txt',
    );
    const file = path.join(root, 'deep/new/file.txt');
    const { chmod } = await import('node:fs/promises');
    await chmod(file, 0o640);
    await call(t('write_file'), { path: 'deep/new/file.txt', content: 'replaced' });
    expect(await readFile(file, 'utf8')).toBe('replaced');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    await call(t('write_file'), { path: 'deep/new/file.txt', content: '+more', mode: 'append' });
    expect(await readFile(file, 'utf8')).toBe('replaced+more');
    expect(await readdir(path.dirname(file))).toEqual(['file.txt']);
  });

  it('refuses to write over a directory', async () => {
    await mkdir(path.join(root, 'd'));
    await expect(call(t('write_file'), { path: 'd', content: 'x' })).rejects.toThrow(/directory/);
  });
});

describe('list_directory', () => {
  beforeEach(async () => {
    await mkdir(path.join(root, '.git/objects'), { recursive: true });
    await mkdir(path.join(root, 'src/deep/deeper'), { recursive: true });
    await writeFile(path.join(root, 'src/b.ts'), 'x'.repeat(2048));
    await writeFile(path.join(root, 'src/a.ts'), 'a');
    await writeFile(path.join(root, 'src/deep/deeper/z.txt'), 'z');
    await writeFile(path.join(root, 'README.md'), '# hi');
  });

  it('prints a sorted tree to the given depth, skipping .git', async () => {
    const text = await callText(t('list_directory'), { path: '.', depth: 2 });
    expect(text).toBe(
      [
        'Contents of . (depth=2):',
        '[FILE] README.md (4 B)',
        '[DIR]  src/',
        '  [FILE] a.ts (1 B)',
        '  [FILE] b.ts (2.0 KB)',
        '  [DIR]  deep/ (1 entry)',
      ].join('\n'),
    );
    expect(await callText(t('list_directory'), { path: 'src', depth: 5 })).toContain('\n    [FILE] z.txt (1 B)');
  });

  it('stops at the line limit and says how many were left out', async () => {
    const text = await callText(t('list_directory'), { path: '.', depth: 3, limit: 2 });
    expect(text.split('\n').slice(1, 3)).toEqual(['[FILE] README.md (4 B)', '[DIR]  src/']);
    expect(text).toMatch(/\[MORE\] \d+ more entries/);
    expect(t('list_directory').validate({ path: '.', limit: 20_000 }).ok).toBe(false);
  });
});

describe('move_file, create_directory, file_info', () => {
  it('moves, refuses to overwrite unless asked', async () => {
    await writeFile(path.join(root, 'a.txt'), 'A');
    await writeFile(path.join(root, 'b.txt'), 'B');
    await expect(call(t('move_file'), { source: 'a.txt', destination: 'b.txt' })).rejects.toThrow(/already exists.*overwrite=true/);
    await call(t('move_file'), { source: 'a.txt', destination: 'b.txt', overwrite: true });
    expect(await readFile(path.join(root, 'b.txt'), 'utf8')).toBe('A');
    await call(t('move_file'), { source: 'b.txt', destination: 'x/y/c.txt' });
    expect(await readFile(path.join(root, 'x/y/c.txt'), 'utf8')).toBe('A');
    await expect(call(t('move_file'), { source: 'gone.txt', destination: 'd.txt' })).rejects.toThrow(/gone.txt/);
  });

  it('creates folders and describes files, folders and links', async () => {
    await call(t('create_directory'), { path: 'n/e/s/t' });
    expect((await stat(path.join(root, 'n/e/s/t'))).isDirectory()).toBe(true);
    await writeFile(path.join(root, 'dot.png'), PNG);
    await symlink('dot.png', path.join(root, 'link.png'));
    const file = await callText(t('file_info'), { path: 'dot.png' });
    expect(file).toContain('Type: File');
    expect(file).toContain('MIME Type: image/png');
    expect(file).toContain(`Size: ${PNG.length} B (${PNG.length} bytes)`);
    expect(await callText(t('file_info'), { path: 'n' })).toMatch(/Type: Directory[\s\S]*MIME Type: N\/A/);
    expect(await callText(t('file_info'), { path: 'link.png' })).toMatch(/Type: Symbolic Link\nTarget: dot.png/);
  });
});

describe('groups', () => {
  it('read-only group has no mutating tools; every tool has formatInput', () => {
    expect(readOnlyFilesystemTools({ root }).map((x) => x.name)).toEqual([
      'read_file',
      'read_multiple_files',
      'list_directory',
      'file_info',
    ]);
    expect(tools.map((x) => x.name)).toEqual([
      'read_file',
      'read_multiple_files',
      'list_directory',
      'file_info',
      'write_file',
      'create_directory',
      'move_file',
    ]);
    for (const x of tools) expect(typeof x.formatInput).toBe('function');
  });
});
