/**
 * The session tables and their migrations, oldest first.
 *
 * Version 1 is the schema of the Rust original (mixtape-cli's `SqliteStore`): a database it
 * wrote is a version-1 database, so opening it here upgrades it in place and its
 * conversations carry on. Version 2 is this store's schema: millisecond timestamps,
 * lowercase roles, camelCase tool records, lossless `blocks`, title, fork origin, usage totals,
 * an update sequence for exact newest-first order, and one unique row per (session, index).
 * @module
 */
import type { Migration, SqliteDatabase } from './database.js';

/** The `component` name of the session tables in `schema_migrations`. */
export const SESSION_SCHEMA_COMPONENT = 'sessions';

/** The Rust original's schema, exactly (mixtape-cli 0.4.0 `session/schema.sql`). */
const rustOriginal: Migration = {
  version: 1,
  name: 'rust-original-schema',
  up(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        directory TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS idx_sessions_directory ON sessions(directory);
      CREATE INDEX IF NOT EXISTS idx_sessions_updated_at ON sessions(updated_at DESC);
      CREATE TABLE IF NOT EXISTS messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        tool_calls TEXT NOT NULL DEFAULT '[]',
        tool_results TEXT NOT NULL DEFAULT '[]',
        timestamp INTEGER NOT NULL,
        FOREIGN KEY (session_id) REFERENCES sessions(id) ON DELETE CASCADE
      );
      CREATE INDEX IF NOT EXISTS idx_messages_session ON messages(session_id, idx);
    `);
  },
};

function roleV2(role: string): string {
  // The Rust original writes "User", "Assistant", "System" and reads unknown values as User.
  switch (role) {
    case 'Assistant':
    case 'assistant':
      return 'assistant';
    case 'System':
    case 'system':
      return 'system';
    default:
      return 'user';
  }
}

function jsonArray(text: string): unknown[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : [];
  } catch {
    // The Rust original reads unparseable tool JSON as an empty list; keep that behaviour.
    return [];
  }
}

function toolCallsV2(text: string): string {
  return JSON.stringify(
    jsonArray(text).map((c) => {
      const o = (c ?? {}) as Record<string, unknown>;
      return { id: String(o.id ?? ''), name: String(o.name ?? ''), input: typeof o.input === 'string' ? o.input : JSON.stringify(o.input ?? {}) };
    }),
  );
}

function toolResultsV2(text: string): string {
  return JSON.stringify(
    jsonArray(text).map((r) => {
      const o = (r ?? {}) as Record<string, unknown>;
      return {
        toolUseId: String(o.tool_use_id ?? o.toolUseId ?? ''),
        success: Boolean(o.success),
        content: typeof o.content === 'string' ? o.content : JSON.stringify(o.content ?? ''),
      };
    }),
  );
}

/** This store's schema; converts the Rust original's rows. */
const mixtapeTs: Migration = {
  version: 2,
  name: 'mixtape-ts-sessions',
  up(db: SqliteDatabase) {
    db.exec(`
      ALTER TABLE messages RENAME TO messages_v1;
      ALTER TABLE sessions RENAME TO sessions_v1;
      DROP INDEX IF EXISTS idx_sessions_directory;
      DROP INDEX IF EXISTS idx_sessions_updated_at;
      DROP INDEX IF EXISTS idx_messages_session;

      CREATE TABLE sessions (
        id TEXT PRIMARY KEY NOT NULL,
        directory TEXT NOT NULL,
        created_at INTEGER NOT NULL,          -- Unix milliseconds
        updated_at INTEGER NOT NULL,          -- Unix milliseconds
        update_seq INTEGER NOT NULL,          -- increases on every change: exact newest-first order
        title TEXT,
        forked_from TEXT,                     -- id of the session this one was forked from (kept if it is deleted)
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0
      );
      CREATE INDEX sessions_by_directory ON sessions(directory, updated_at DESC, update_seq DESC);
      CREATE INDEX sessions_by_update ON sessions(updated_at DESC, update_seq DESC);
      CREATE UNIQUE INDEX sessions_by_seq ON sessions(update_seq);

      CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,                 -- 0, 1, 2… without gaps within a session
        role TEXT NOT NULL,                   -- user | assistant | system
        -- The seed fields. NULL means "exactly what the blocks give" (text joined, tool_use
        -- blocks as calls, tool_result blocks as results), which saves about half the bytes.
        content TEXT,
        tool_calls TEXT,                      -- JSON [{id, name, input}]
        tool_results TEXT,                    -- JSON [{toolUseId, success, content}]
        blocks TEXT,                          -- JSON content blocks, bytes as {"$bytes": base64}; NULL when absent
        timestamp INTEGER NOT NULL,           -- Unix milliseconds
        UNIQUE (session_id, idx),
        CHECK (blocks IS NOT NULL OR (content IS NOT NULL AND tool_calls IS NOT NULL AND tool_results IS NOT NULL))
      );

      INSERT INTO sessions (id, directory, created_at, updated_at, update_seq)
        SELECT id, directory, created_at * 1000, updated_at * 1000, ROW_NUMBER() OVER (ORDER BY updated_at, rowid)
        FROM sessions_v1;
    `);
    // Rows are converted in JavaScript: the tool JSON changes shape, and unparseable JSON
    // must become an empty list as the Rust original read it. Orphan rows (the original never
    // enabled foreign keys, so deleting a session left its messages) are dropped.
    const insert = db.prepare(
      'INSERT INTO messages (session_id, idx, role, content, tool_calls, tool_results, blocks, timestamp) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)',
    );
    const rows = db
      .prepare(
        `SELECT m.session_id, m.role, m.content, m.tool_calls, m.tool_results, m.timestamp
         FROM messages_v1 m JOIN sessions s ON s.id = m.session_id
         ORDER BY m.session_id, m.idx, m.id`,
      )
      .all() as Array<{ session_id: string; role: string; content: string; tool_calls: string; tool_results: string; timestamp: number }>;
    // (all(), not iterate(): better-sqlite3 cannot write while a read cursor is open.)
    let session = '';
    let idx = 0;
    for (const r of rows) {
      if (r.session_id !== session) {
        session = r.session_id;
        idx = 0;
      }
      insert.run(r.session_id, idx++, roleV2(r.role), r.content ?? '', toolCallsV2(r.tool_calls ?? '[]'), toolResultsV2(r.tool_results ?? '[]'), Number(r.timestamp) * 1000);
    }
    db.exec('DROP TABLE messages_v1; DROP TABLE sessions_v1;');
  },
};

/** The session migrations, oldest first. Append new ones at the end; never change old ones. */
export const SESSION_MIGRATIONS: readonly Migration[] = [rustOriginal, mixtapeTs];
