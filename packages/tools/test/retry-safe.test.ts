/**
 * Which built-in tools run again when a run cut off by a crash is resumed (`retrySafe`): the
 * read-only and idempotent ones, as the README's table says.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { allTools, sqliteTools } from '@mixtape/tools';

it('exactly the read-only and idempotent built-in tools are retry-safe', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mixtape-retry-safe-'));
  const tools = [...allTools({ root }), ...sqliteTools(path.join(root, 'db.sqlite'))];
  const safe = tools
    .filter((t) => t.retrySafe === true)
    .map((t) => t.name)
    .sort();
  expect(safe).toEqual(
    [
      'create_directory',
      'fetch',
      'file_info',
      'list_directory',
      'list_processes',
      'list_sessions',
      'read_file',
      'read_multiple_files',
      'search',
      'sqlite_describe_table',
      'sqlite_list_migrations',
      'sqlite_list_tables',
      'sqlite_query',
      'sqlite_schema',
    ].sort(),
  );
  const unsafe = tools.filter((t) => !t.retrySafe).map((t) => t.name);
  expect(unsafe).toEqual(
    expect.arrayContaining([
      'write_file',
      'edit_block',
      'move_file',
      'start_process',
      'interact_with_process',
      'kill_process',
      'sqlite_execute',
      'sqlite_run_migrations',
    ]),
  );
});
