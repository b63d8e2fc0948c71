import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { editBlockTool, filesystemTools, PathOutsideRootError, resolveInRoot, searchTool } from '../src/index.js';
import { byName, call, tempDir } from './helpers.js';

let dir: string;
let root: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  root = path.join(dir, 'root');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await writeFile(path.join(dir, 'secret.txt'), 'top secret');
  await writeFile(path.join(root, 'inside.txt'), 'hello');
  await symlink(dir, path.join(root, 'escape-link'));
  await symlink(path.join(dir, 'secret.txt'), path.join(root, 'secret-link.txt'));
  await symlink(path.join(root, 'inside.txt'), path.join(root, 'ok-link.txt'));
});
afterEach(() => cleanup());

describe('resolveInRoot', () => {
  const escapes = [
    '../secret.txt',
    'sub/../../secret.txt',
    'missing/../../secret.txt',
    'missing/deeper/../../../x',
    '/etc/passwd',
    'escape-link/secret.txt',
    'secret-link.txt',
    'escape-link/new-file.txt',
  ];
  for (const attempt of escapes) {
    it(`refuses ${attempt}`, async () => {
      const error = await resolveInRoot(root, attempt).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PathOutsideRootError);
      expect((error as Error).message).toContain(attempt);
      expect((error as Error).message).toContain(root);
    });
  }

  it('accepts paths inside, including not-yet-existing ones and links that stay inside', async () => {
    expect(await resolveInRoot(root, 'inside.txt')).toBe(path.join(root, 'inside.txt'));
    expect(await resolveInRoot(root, 'new/dir/file.txt')).toBe(path.join(root, 'new/dir/file.txt'));
    expect(await resolveInRoot(root, 'sub/../inside.txt')).toBe(path.join(root, 'inside.txt'));
    expect(await resolveInRoot(root, path.join(root, 'sub'))).toBe(path.join(root, 'sub'));
    expect(await resolveInRoot(root, 'ok-link.txt')).toBe(path.join(root, 'inside.txt'));
  });
});

describe('every confined tool refuses escapes', () => {
  it('read_file, write_file, move_file, list_directory, file_info, create_directory, edit_block, search', async () => {
    const tools = filesystemTools({ root });
    const attempts: [string, unknown][] = [
      ['read_file', { path: '../secret.txt' }],
      ['read_file', { path: 'secret-link.txt' }],
      ['read_multiple_files', { paths: ['../secret.txt'] }],
      ['write_file', { path: 'missing/../../pwned.txt', content: 'x' }],
      ['write_file', { path: 'escape-link/pwned.txt', content: 'x' }],
      ['create_directory', { path: '../newdir' }],
      ['list_directory', { path: '..' }],
      ['file_info', { path: '../secret.txt' }],
      ['file_info', { path: '..' }],
      ['move_file', { source: 'inside.txt', destination: '../moved.txt' }],
      ['move_file', { source: '../secret.txt', destination: 'stolen.txt' }],
    ];
    for (const [name, input] of attempts) {
      const result = await call(byName(tools, name), input).catch((e: unknown) => e);
      if (name === 'read_multiple_files') {
        expect(result).toMatch(/outside the root folder/);
        continue;
      }
      expect(result, `${name} ${JSON.stringify(input)}`).toBeInstanceOf(PathOutsideRootError);
    }
    await expect(call(editBlockTool({ root }), { file_path: '../secret.txt', old_string: 'top', new_string: 'no' })).rejects.toBeInstanceOf(
      PathOutsideRootError,
    );
    await expect(call(searchTool({ root }), { pattern: 'secret', path: '..' })).rejects.toBeInstanceOf(PathOutsideRootError);
    // Nothing outside changed.
    expect(await readFile(path.join(dir, 'secret.txt'), 'utf8')).toBe('top secret');
    await expect(readFile(path.join(dir, 'pwned.txt'))).rejects.toThrow();
  });
});
