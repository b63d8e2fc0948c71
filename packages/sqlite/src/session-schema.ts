/**
 * The session tables and their migrations, oldest first.
 *
 * The tables ARE the Rust original's (mixtape-cli 0.4.0 `session/schema.sql`, version 1), so
 * one database file can be shared with it: the columns it reads keep its formats (roles
 * `"User"`/`"Assistant"`/`"System"`, integer-second timestamps, serde JSON tool records with
 * `tool_use_id`) and everything this store adds is an extra column it never reads, with a
 * default its own INSERT statements live with (version 2):
 *
 * - `sessions`: `created_at_ms`, `updated_at_ms` (milliseconds), `update_seq` (exact newest-first
 *   order and the version `saveSession` checks), title, fork origin, usage totals. Two triggers
 *   fill them in for rows the Rust original inserts or touches (its `INSERT INTO sessions (id,
 *   directory, created_at, updated_at)` and `UPDATE sessions SET updated_at = ?`).
 * - `messages`: `blocks` (lossless content) and `timestamp_ms`; the seed columns are always
 *   written in full. A row without `timestamp_ms` was written by the Rust original.
 *
 * Version 3 converts databases written by earlier Mixtape for TypeScript releases (which
 * replaced the Rust tables with a layout the original could not read) back to this layout; the
 * store copies such a file to `<file>.before-rust-compatible-layout.bak` first.
 * @module
 */
import { decodeMessageRow, encodeMessageRow } from '@mixtape/core/session';
import type { Migration, SqliteDatabase } from './database.js';

/** The `component` name of the session tables in `schema_migrations`. */
export const SESSION_SCHEMA_COMPONENT = 'sessions';

/** The Rust original's schema, exactly (adlio/mixtape, mixtape-cli/src/session/schema.sql at 0.4.0). */
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

/** Columns, indexes and triggers this store adds to the Rust original's tables. */
function addExtensions(db: SqliteDatabase): void {
  db.exec(`
    ALTER TABLE sessions ADD COLUMN created_at_ms INTEGER;      -- Unix ms (NULL: created_at * 1000)
    ALTER TABLE sessions ADD COLUMN updated_at_ms INTEGER;      -- Unix ms (NULL: updated_at * 1000)
    ALTER TABLE sessions ADD COLUMN update_seq INTEGER;         -- grows on every change (triggers cover the Rust original's writes)
    ALTER TABLE sessions ADD COLUMN title TEXT;
    ALTER TABLE sessions ADD COLUMN forked_from TEXT;
    ALTER TABLE sessions ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN blocks TEXT;                -- JSON content blocks, bytes as {"$bytes": base64}
    ALTER TABLE messages ADD COLUMN timestamp_ms INTEGER;       -- Unix ms; NULL in rows the Rust original wrote
  `);
  db.exec(`
    UPDATE sessions SET created_at_ms = created_at * 1000, updated_at_ms = updated_at * 1000 WHERE created_at_ms IS NULL;
    UPDATE sessions SET update_seq = (SELECT COUNT(*) FROM sessions o WHERE o.updated_at < sessions.updated_at
                                      OR (o.updated_at = sessions.updated_at AND o.rowid <= sessions.rowid))
      WHERE update_seq IS NULL;
  `);
  // The original never turned foreign keys on, so deleting a session left its messages behind.
  // It never reads them (it loads messages by session id); drop them.
  db.exec('DELETE FROM messages WHERE session_id NOT IN (SELECT id FROM sessions)');
  renumber(db);
  db.exec(`
    CREATE UNIQUE INDEX IF NOT EXISTS mixtape_messages_by_position ON messages(session_id, idx);
    CREATE INDEX IF NOT EXISTS mixtape_sessions_by_directory ON sessions(directory, updated_at_ms DESC, update_seq DESC);
    CREATE INDEX IF NOT EXISTS mixtape_sessions_by_update ON sessions(updated_at_ms DESC, update_seq DESC);
    CREATE INDEX IF NOT EXISTS mixtape_sessions_by_seq ON sessions(update_seq);
    -- Rows the Rust original inserts (id, directory, created_at, updated_at) get the extra columns.
    CREATE TRIGGER IF NOT EXISTS mixtape_sessions_inserted AFTER INSERT ON sessions
    WHEN NEW.update_seq IS NULL OR NEW.created_at_ms IS NULL OR NEW.updated_at_ms IS NULL
    BEGIN
      UPDATE sessions SET
        update_seq = COALESCE(NEW.update_seq, (SELECT COALESCE(MAX(update_seq), 0) + 1 FROM sessions)),
        created_at_ms = COALESCE(NEW.created_at_ms, NEW.created_at * 1000),
        updated_at_ms = COALESCE(NEW.updated_at_ms, NEW.updated_at * 1000)
      WHERE id = NEW.id;
    END;
    -- Its save (UPDATE sessions SET updated_at = ?, then delete + insert the messages) moves the
    -- version too, so saveSession here sees that change. Our own writes set update_seq themselves.
    CREATE TRIGGER IF NOT EXISTS mixtape_sessions_touched AFTER UPDATE OF updated_at ON sessions
    WHEN NEW.update_seq IS OLD.update_seq
    BEGIN
      UPDATE sessions SET update_seq = (SELECT COALESCE(MAX(update_seq), 0) + 1 FROM sessions), updated_at_ms = NEW.updated_at * 1000 WHERE id = NEW.id;
    END;
  `);
}

/** Gives messages of sessions with gaps or repeated positions the positions 0, 1, 2… in their read order. */
function renumber(db: SqliteDatabase): void {
  const broken = db
    .prepare(
      'SELECT session_id FROM messages GROUP BY session_id HAVING COUNT(*) != MAX(idx) + 1 OR MIN(idx) != 0 OR COUNT(DISTINCT idx) != COUNT(*)',
    )
    .pluck()
    .all() as string[];
  const ids = db.prepare('SELECT id FROM messages WHERE session_id = ? ORDER BY idx, id').pluck();
  const set = db.prepare('UPDATE messages SET idx = ? WHERE id = ?');
  for (const session of broken) (ids.all(session) as number[]).forEach((id, i) => set.run(i, id));
}

/** Extra columns on the Rust original's tables (the layout it keeps reading and writing). */
const rustCompatibleExtensions: Migration = {
  version: 2,
  name: 'rust-compatible-extensions',
  up(db) {
    addExtensions(db);
  },
};

/** True when the `sessions` table has this store's extra columns (version 2's layout). */
export function hasCompatibleLayout(db: SqliteDatabase): boolean {
  return (db.prepare("SELECT COUNT(*) FROM pragma_table_info('sessions') WHERE name = 'created_at_ms'").pluck().get() as number) > 0;
}

interface OldMessageRow {
  id: number;
  session_id: string;
  idx: number;
  role: string;
  content: string | null;
  tool_calls: string | null;
  tool_results: string | null;
  blocks: string | null;
  timestamp: number;
}

/**
 * Converts the layout of earlier Mixtape for TypeScript releases (millisecond `created_at`,
 * lowercase roles, camelCase tool results, NULL seed columns) to the Rust-compatible one.
 * A database already in that layout is left alone.
 */
const rustCompatibleLayout: Migration = {
  version: 3,
  name: 'rust-compatible-layout',
  up(db) {
    if (hasCompatibleLayout(db)) return;
    // Keep references from other tables pointing at "sessions" (the new table) while renaming.
    db.pragma('legacy_alter_table = ON');
    try {
      db.exec(`
        ALTER TABLE messages RENAME TO mixtape_old_messages;
        ALTER TABLE sessions RENAME TO mixtape_old_sessions;
        DROP INDEX IF EXISTS sessions_by_directory;
        DROP INDEX IF EXISTS sessions_by_update;
        DROP INDEX IF EXISTS sessions_by_seq;
      `);
    } finally {
      db.pragma('legacy_alter_table = OFF');
    }
    rustOriginal.up(db);
    addExtensions(db);
    db.exec(`
      INSERT INTO sessions (id, directory, created_at, updated_at, created_at_ms, updated_at_ms, update_seq, title, forked_from,
                            input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd)
        SELECT id, directory, created_at / 1000, updated_at / 1000, created_at, updated_at, update_seq, title, forked_from,
               input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd
        FROM mixtape_old_sessions;
    `);
    const insert = db.prepare(
      'INSERT INTO messages (session_id, idx, role, content, tool_calls, tool_results, blocks, timestamp, timestamp_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const rows = db.prepare('SELECT * FROM mixtape_old_messages ORDER BY session_id, idx').all() as OldMessageRow[];
    for (const r of rows) {
      const seconds = Math.floor(r.timestamp / 1000);
      let columns: [string, string, string, string, string | null];
      try {
        const m = decodeMessageRow(
          {
            idx: r.idx,
            role: r.role,
            content: r.content,
            toolCalls: r.tool_calls,
            toolResults: r.tool_results,
            blocks: r.blocks,
            timestampMs: r.timestamp,
          },
          r.session_id,
          'messages',
        );
        const e = encodeMessageRow(m, { sessionId: r.session_id, position: r.idx, ...SQLITE_ROW_STYLE, maxBytes: Number.MAX_SAFE_INTEGER });
        columns = [e.role, e.content, e.toolCalls, e.toolResults, e.blocks];
      } catch {
        // A damaged row is copied as it is: loading its session reports it, naming the row.
        columns = [r.role, r.content ?? '', r.tool_calls ?? '[]', r.tool_results ?? '[]', r.blocks];
      }
      insert.run(r.session_id, r.idx, ...columns, seconds, r.timestamp);
    }
    db.exec('DROP TABLE mixtape_old_messages; DROP TABLE mixtape_old_sessions;');
  },
};

/** How the SQLite store writes rows: as the Rust original does (roles "User"…, `tool_use_id`). */
export const SQLITE_ROW_STYLE = { roleStyle: 'rust', resultKeys: 'snake' } as const;

/** The session migrations, oldest first. Append new ones at the end; never change old ones. */
/** Summaries of the oldest messages of a session (SummarizingConversationManager); the Rust original ignores the table. */
const conversationSummaries: Migration = {
  version: 4,
  name: 'conversation-summaries',
  up(db) {
    db.exec(`
      CREATE TABLE mixtape_conversation_summaries (
        session_id TEXT PRIMARY KEY NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        through_idx INTEGER NOT NULL,         -- messages 0 … through_idx - 1 are summarized
        text TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        model TEXT
      );
    `);
  },
};

/**
 * Each message's estimated tokens (`sessionMessageTokens`), so a resume picks the tail its
 * window needs in SQL. NULL until a resume reads the row (rows the Rust original writes, and
 * rows rewritten by either side, are estimated then); the Rust original never reads it, and its
 * INSERT (which names its columns) leaves it NULL.
 */
const messageTokenEstimates: Migration = {
  version: 5,
  name: 'message-token-estimates',
  up(db) {
    db.exec('ALTER TABLE messages ADD COLUMN mixtape_tokens INTEGER;');
  },
};

export const SESSION_MIGRATIONS: readonly Migration[] = [
  rustOriginal,
  rustCompatibleExtensions,
  rustCompatibleLayout,
  conversationSummaries,
  messageTokenEstimates,
];
