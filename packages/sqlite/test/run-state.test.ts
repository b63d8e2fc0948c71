import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runResumeAcrossStores } from '@mixtape/core/testing';
import { SqliteSessionStore } from '@mixtape/sqlite';

// Each agent opens its own connection to one database file, as separate processes do.
const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mixtape-run-state-')), 'sessions.db');
runResumeAcrossStores('SqliteSessionStore', () => new SqliteSessionStore(file));
