/**
 * The Rust original's SQLite session store (adlio/mixtape, mixtape-cli 0.4.0), emulated for tests
 * that share a database file with it. Re-typed as a fixture from its sources:
 * - schema: mixtape-cli/src/session/schema.sql (verbatim);
 * - statements: mixtape-cli/src/session/store.rs (`SqliteStore::new`, `get_or_create_session`,
 *   `get_session`, `save_session`, `list_sessions`, `delete_session`), on a connection with
 *   foreign keys off, as rusqlite opens it;
 * - decoding: `row.get::<_, String>` / `row.get::<_, i64>` (NULL or another type is an error),
 *   roles "User"/"Assistant"/"System" (anything else read as User), serde JSON of `ToolCall {id,
 *   name, input}` and `ToolResult {tool_use_id, success, content}` (mixtape-core/src/session.rs,
 *   `unwrap_or_default` on failure), `DateTime::from_timestamp(secs, 0)`.
 * - the agent's layout: one User row and one Assistant row per run, the Assistant row carrying
 *   every tool call, every result and the final text (mixtape-core/src/agent/run.rs, `finalize_run`).
 * @module
 */
import Database from 'better-sqlite3';

/** mixtape-cli/src/session/schema.sql, verbatim. */
export const RUST_SCHEMA = `CREATE TABLE IF NOT EXISTS sessions (
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
`;

export interface RustToolCall {
  id: string;
  name: string;
  input: string;
}
export interface RustToolResult {
  tool_use_id: string;
  success: boolean;
  content: string;
}
export interface RustMessage {
  role: 'User' | 'Assistant' | 'System';
  content: string;
  tool_calls: RustToolCall[];
  tool_results: RustToolResult[];
  timestamp: number;
}

/** serde_json::from_str::<Vec<ToolCall>> — strict: a missing or mistyped field fails (the original then reads []). */
export function serdeToolCalls(text: string): RustToolCall[] | 'default' {
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return 'default';
    for (const c of v) if (typeof c?.id !== 'string' || typeof c?.name !== 'string' || typeof c?.input !== 'string') return 'default';
    return v as RustToolCall[];
  } catch {
    return 'default';
  }
}

export function serdeToolResults(text: string): RustToolResult[] | 'default' {
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return 'default';
    for (const r of v)
      if (typeof r?.tool_use_id !== 'string' || typeof r?.success !== 'boolean' || typeof r?.content !== 'string') return 'default';
    return v as RustToolResult[];
  } catch {
    return 'default';
  }
}

/** `row.get::<_, i64>` then `DateTime::from_timestamp(secs, 0)`: the seconds must be an integer and a sane date. */
function rustDate(v: unknown): Date {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`Rust reads an i64 here, found ${typeof v} ${String(v)}`);
  return new Date(v * 1000);
}

function rustString(v: unknown, column: string): string {
  if (typeof v !== 'string') throw new Error(`Rust reads a String from ${column}, found ${v === null ? 'NULL' : typeof v}`);
  return v;
}

/** The Rust original's SqliteStore, statement for statement (mixtape-cli/src/session/store.rs). */
export class RustStore {
  readonly db: Database.Database;
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('foreign_keys = OFF'); // rusqlite's default
    this.db.exec(RUST_SCHEMA); // SqliteStore::new runs schema.sql on every open
  }
  create(id: string, directory: string, now: number): void {
    this.db.prepare('INSERT INTO sessions (id, directory, created_at, updated_at) VALUES (?, ?, ?, ?)').run(id, directory, now, now);
  }
  newest(directory: string): string | undefined {
    return this.db.prepare('SELECT id FROM sessions WHERE directory = ? ORDER BY updated_at DESC LIMIT 1').pluck().get(directory) as
      string | undefined;
  }
  get(id: string): {
    id: string;
    directory: string;
    createdAt: Date;
    updatedAt: Date;
    messages: (Omit<RustMessage, 'timestamp'> & { timestamp: Date; defaulted: string[] })[];
  } | null {
    const row = this.db.prepare('SELECT id, directory, created_at, updated_at FROM sessions WHERE id = ?').raw().get(id) as
      unknown[] | undefined;
    if (!row) return null;
    const rows = this.db
      .prepare('SELECT role, content, tool_calls, tool_results, timestamp FROM messages WHERE session_id = ? ORDER BY idx')
      .raw()
      .all(id) as unknown[][];
    const messages = rows.map(([role, content, calls, results, ts]) => {
      const r = rustString(role, 'role');
      const toolCalls = serdeToolCalls(rustString(calls, 'tool_calls'));
      const toolResults = serdeToolResults(rustString(results, 'tool_results'));
      return {
        // The assertion keeps the literal type through the array's inference (eslint sees it per expression).
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
        role: (r === 'Assistant' || r === 'System' ? r : 'User') as RustMessage['role'],
        rawRole: r,
        content: rustString(content, 'content'),
        tool_calls: toolCalls === 'default' ? [] : toolCalls,
        tool_results: toolResults === 'default' ? [] : toolResults,
        timestamp: rustDate(ts),
        defaulted: [
          ...(toolCalls === 'default' ? ['tool_calls'] : []),
          ...(toolResults === 'default' ? ['tool_results'] : []),
          ...(['User', 'Assistant', 'System'].includes(r) ? [] : ['role']),
        ],
      };
    });
    return {
      id: rustString(row[0], 'id'),
      directory: rustString(row[1], 'directory'),
      createdAt: rustDate(row[2]),
      updatedAt: rustDate(row[3]),
      messages,
    };
  }
  save(id: string, messages: RustMessage[], now: number): void {
    this.db.transaction(() => {
      const changed = this.db.prepare('UPDATE sessions SET updated_at = ? WHERE id = ?').run(now, id).changes;
      if (changed === 0) throw new Error('NotFound');
      this.db.prepare('DELETE FROM messages WHERE session_id = ?').run(id);
      const insert = this.db.prepare(
        'INSERT INTO messages (session_id, idx, role, content, tool_calls, tool_results, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      messages.forEach((m, idx) =>
        insert.run(id, idx, m.role, m.content, JSON.stringify(m.tool_calls), JSON.stringify(m.tool_results), m.timestamp),
      );
    })();
  }
  list(): { id: string; messageCount: number; updatedAt: Date }[] {
    const rows = this.db
      .prepare(
        `SELECT s.id, s.directory, s.created_at, s.updated_at, COUNT(m.id) as msg_count
         FROM sessions s
         LEFT JOIN messages m ON s.id = m.session_id
         GROUP BY s.id
         ORDER BY s.updated_at DESC`,
      )
      .raw()
      .all() as unknown[][];
    return rows.map((r) => ({ id: rustString(r[0], 'id'), messageCount: Number(r[4]), updatedAt: rustDate(r[3]) }));
  }
  delete(id: string): number {
    return this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id).changes;
  }
  close(): void {
    this.db.close();
  }
}
