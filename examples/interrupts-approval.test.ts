import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { SqliteSessionStore } from '@mixtape/sqlite';

const run = (args: string[]) =>
  execFileSync(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', 'examples/interrupts-approval.ts', ...args], {
    encoding: 'utf8',
  });

it('process A stops at the approval and exits; process B, started later, approves and the note is written once', async () => {
  const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'mixtape-interrupts-example-')), 'sessions.db');
  const a = run(['--step', 'ask', '--db', db]);
  expect(a).toContain('status: interrupted');
  expect(a).toMatch(/waiting: int_[0-9a-f-]+ — Allow write_note to run: "Buy milk"\?/);
  // Between the two processes nothing runs: the pending approval is only in the database.
  expect(existsSync(`${db}.notes.txt`)).toBe(false);
  const store = new SqliteSessionStore(db);
  expect((await store.loadRunState('notes-thread'))!.status).toBe('interrupted');
  await store.close();

  const b = run(['--step', 'approve', '--db', db]);
  expect(b).toContain('pending: write_note {"text":"Buy milk"}');
  expect(b).toContain('resumed with approve');
  expect(b).toContain('🛠  write_note → Saved (1 notes in the file).');
  expect(b).toContain('status: completed');
  expect(b).toContain('Saved your note: "Buy milk".');
  expect(b).toContain('replayed resume: completed, 0 model calls');
  expect(readFileSync(`${db}.notes.txt`, 'utf8')).toBe('Buy milk\n');
});

it('a denial from process B reaches the model as an error result; nothing is written', () => {
  const out = run(['--deny', 'not now']);
  expect(out).toContain('resumed with deny');
  expect(out).toContain('write_note ✗');
  expect(out).toContain('not now');
  expect(out).toContain('Understood, I did not save it.');
  expect(out).toContain('notes file: (empty)');
});
