import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  allTools,
  editTools,
  fetchTools,
  filesystemTools,
  processTools,
  readOnlyFilesystemTools,
  searchTools,
  sqliteTools,
} from '../src/index.js';

describe('tool groups', () => {
  it('have the Rust original names, unique, each with a JSON Schema object input and formatInput', () => {
    const all = allTools({ root: process.cwd() });
    expect(all.map((t) => t.name)).toEqual([
      'read_file',
      'read_multiple_files',
      'list_directory',
      'file_info',
      'write_file',
      'create_directory',
      'move_file',
      'edit_block',
      'search',
      'start_process',
      'read_process_output',
      'interact_with_process',
      'list_sessions',
      'list_processes',
      'kill_process',
      'force_terminate',
      'fetch',
    ]);
    const db = new Database(':memory:');
    const everything = [...all, ...sqliteTools(db)];
    expect(new Set(everything.map((t) => t.name)).size).toBe(everything.length);
    for (const t of everything) {
      expect(t.inputSchema.type, t.name).toBe('object');
      expect(typeof t.formatInput, t.name).toBe('function');
      expect(t.description.length, t.name).toBeGreaterThan(20);
    }
    db.close();
  });

  it('build each group on its own', () => {
    expect(readOnlyFilesystemTools()).toHaveLength(4);
    expect(filesystemTools()).toHaveLength(7);
    expect(editTools().map((t) => t.name)).toEqual(['edit_block']);
    expect(searchTools().map((t) => t.name)).toEqual(['search']);
    expect(processTools()).toHaveLength(7);
    expect(fetchTools().map((t) => t.name)).toEqual(['fetch']);
  });
});
