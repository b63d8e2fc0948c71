import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const folder = mkdtempSync(join(tmpdir(), 'mixtape-example-sessions-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const db = join(folder, 'nested', 'sessions.db');
const run = () =>
  execFileSync(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', 'examples/sqlite-sessions.ts', db], {
    encoding: 'utf8',
  });

it('the SQLite sessions example stores, forks, exports and imports a session, and resumes it on the next run', () => {
  const first = run();
  const id = /New session ([0-9a-f]{8})/.exec(first)?.[1];
  expect(id, first).toBeDefined();
  expect(first).toContain('Appended 4 messages; the session now holds 4');
  expect(first).toMatch(/Conflict caught: Session [0-9a-f-]{36} holds 4 messages, the caller expected 0/);
  expect(first).toMatch(new RegExp(`${id}\\s+4 messages\\s+Screenshots\\s+\\$0\\.0051`));
  expect(first).toMatch(new RegExp(`Forked [0-9a-f]{8} from ${id} at message 1: 1 message, "Screenshots, another way"`));
  expect(first).toContain('Exported mixtape.session v1 with 4 messages');
  expect(first).toMatch(/Imported as [0-9a-f]{8} in \/home\/someone\/demo: 4 messages, title "Screenshots", \$0\.005055/);
  expect(first).toContain('Image bytes identical after export and import: yes');
  expect(first).toContain('Timestamps keep milliseconds: yes');
  const exported = JSON.parse(readFileSync(join(folder, 'nested', `session-${id}.json`), 'utf8')) as { format: string; version: number };
  expect(exported).toMatchObject({ format: 'mixtape.session', version: 1 });

  // A second process with the same file resumes the same session (the fork lives elsewhere).
  const second = run();
  expect(second).toContain(`Resumed session ${id} ("Screenshots") with 4 messages`);
  expect(second).toContain('Appended 4 messages; the session now holds 8');
  expect(second).toMatch(new RegExp(`${id}\\s+8 messages\\s+Screenshots\\s+\\$0\\.0101`));
  expect(second).toContain('Image bytes identical after export and import: yes');
});
