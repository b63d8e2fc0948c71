import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';

it('the tools example writes, lists, reads, edits and searches inside its root and refuses escapes', () => {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'mixtape-tools-ex-'));
  const root = path.join(parent, 'work');
  const out = execFileSync(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', 'examples/tools-filesystem.ts', root], {
    encoding: 'utf8',
  });
  expect(out).toContain('Wrote 38 bytes (4 lines) to notes/todo.md');
  expect(out).toContain('[DIR]  notes/\n  [FILE] todo.md (38 B)');
  expect(out).toContain('     3\t- write the report\n     4\t- call Ada');
  expect(out).toContain('Edited src/greet.ts using exact matching');
  expect(out).toContain('src/greet.ts:2:   return `Hello, ${name}!`;');
  expect(out).toContain("Found 1 file(s) matching '*.md':\nnotes/todo.md");
  expect(out).toContain('MIME Type: text/plain');
  expect(out).toMatch(/✗ Path '..\/..\/etc\/passwd' is outside the root folder '.*work'/);
  expect(out).toMatch(/✗ Path 'missing\/..\/..\/outside.txt' is outside the root folder/);
  expect(out).toContain('✗ Invalid input for tool "read_file": offset:');
  expect(readFileSync(path.join(root, 'src/greet.ts'), 'utf8')).toContain('`Hello, ${name}!`');
  expect(existsSync(path.join(parent, 'outside.txt'))).toBe(false);
});
