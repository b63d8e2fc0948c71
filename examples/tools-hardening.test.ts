import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';

it('the hardening example refuses the wrapped rm, the linked secret and the escape, and finds only the public match', () => {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'mixtape-hardening-ex-')), 'work');
  const out = execFileSync(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', 'examples/tools-hardening.ts', root], {
    encoding: 'utf8',
  });
  expect(out).toContain('(sandbox on)');
  expect(out.match(/No deleting — denied by rule/g)).toHaveLength(2);
  expect(out).toContain('Secrets stay secret — denied by rule');
  expect(out).toContain("Found 1 match(es) in 1 file(s) for 'API_KEY':\n  notes.txt:1:");
  expect(out).not.toContain('sk-live');
  expect(out).toContain("No matches for '(a+)+$'");
  expect(out).toContain('Read-only file system');
  expect(readFileSync(path.join(root, 'victim.txt'), 'utf8')).toBe('keep me\n');
  expect(readFileSync(path.join(root, 'made-here.txt'), 'utf8')).toBe('inside\n');
  expect(existsSync('/var/tmp/mixtape-escape.txt')).toBe(false);
});
