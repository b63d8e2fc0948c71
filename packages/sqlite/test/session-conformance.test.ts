import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSessionStoreConformance } from '@mixtape/core/testing';
import { SqliteSessionStore } from '@mixtape/sqlite';

// Every store of the suite opens the same real database file, as processes of one project do.
const folder = mkdtempSync(join(tmpdir(), 'mixtape-sqlite-conformance-'));
const file = join(folder, 'sessions.db');
runSessionStoreConformance('SqliteSessionStore', ({ directory }) => new SqliteSessionStore(file, { directory }), {
  teardown: () => rmSync(folder, { recursive: true, force: true }),
});
