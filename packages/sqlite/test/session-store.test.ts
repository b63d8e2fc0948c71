import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type SessionMessage, SessionError } from '@mixtape/core';
import { DEFAULT_SESSIONS_DB_PATH, SESSION_MIGRATIONS, SqliteSessionStore, openSqliteDatabase } from '@mixtape/sqlite';
import { runTs } from '../../../test-support/processes.js';

const folder = mkdtempSync(join(tmpdir(), 'mixtape-sqlite-store-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let n = 0;
const newFile = () => join(folder, `db-${++n}.db`);

function msg(role: SessionMessage['role'], content: string): SessionMessage {
  return { role, content, toolCalls: [], toolResults: [], timestamp: new Date() };
}

async function rejection(p: Promise<unknown>): Promise<SessionError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SessionError);
    return e as SessionError;
  }
  throw new Error('expected a rejection');
}

function syncRejection(fn: () => unknown): SessionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SessionError);
    return e as SessionError;
  }
  throw new Error('expected an error');
}

describe('SqliteSessionStore: database file', () => {
  it('creates .mixtape/sessions.db under the working directory, with its folders, by default', async () => {
    const cwd = mkdtempSync(join(folder, 'cwd-'));
    const script = fileURLToPath(new URL('./fixtures/default-path.ts', import.meta.url));
    const { code, stdout, stderr } = await runTs(script, [], { cwd });
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout.trim()) as { path: string; directory: string; sessionDirectory: string };
    expect(out.path).toBe(join(cwd, DEFAULT_SESSIONS_DB_PATH));
    expect(out.sessionDirectory).toBe(cwd);
    expect(existsSync(join(cwd, '.mixtape', 'sessions.db'))).toBe(true);
  });

  it('creates missing parent folders of an explicit path and opens it with WAL and foreign keys', async () => {
    const file = join(folder, 'deep', 'er', 'still', 'sessions.db');
    const store = new SqliteSessionStore(file);
    await store.getOrCreateSession();
    await store.close();
    const raw = new Database(file);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    const versions = raw.prepare("SELECT version FROM schema_migrations WHERE component = 'sessions' ORDER BY version").pluck().all();
    expect(versions).toEqual(SESSION_MIGRATIONS.map((m) => m.version));
    raw.close();
  });

  it('shares an open database with other stores and leaves closing it to its owner', async () => {
    const file = newFile();
    const db = openSqliteDatabase(file);
    const a = new SqliteSessionStore(db, { directory: '/a' });
    const b = new SqliteSessionStore(db, { directory: '/b' });
    expect(a.path).toBe(file);
    const s = await a.createSession({ messages: [msg('user', 'shared')] });
    expect((await b.getSession(s.id))!.messages[0]!.content).toBe('shared');
    await a.close();
    expect(db.open).toBe(true);
    expect((await rejection(a.listSessions())).message).toMatch(/closed/);
    expect((await b.listSessions()).map((x) => x.id)).toEqual([s.id]);
    db.close();
  });

  it('deleting a session removes its message rows (foreign keys are on)', async () => {
    const file = newFile();
    const store = new SqliteSessionStore(file);
    const s = await store.createSession({ messages: [msg('user', 'a'), msg('assistant', 'b')] });
    await store.deleteSession(s.id);
    await store.close();
    const raw = new Database(file);
    expect(raw.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(0);
    raw.close();
  });

  it('refuses a database written by a newer schema, saying to upgrade', async () => {
    const file = newFile();
    await new SqliteSessionStore(file).close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations VALUES ('sessions', 99, 'from the future', 0)").run();
    raw.close();
    const e = syncRejection(() => new SqliteSessionStore(file));
    expect(e.kind).toBe('storage');
    expect(e.message).toMatch(/version 99.*[Uu]pgrade @mixtape\/sqlite/);
  });

  it('a file that is not a database is a storage error that says so', () => {
    const file = newFile();
    writeFileSync(file, 'this is not a database, just text '.repeat(200));
    const e = syncRejection(() => new SqliteSessionStore(file));
    expect(e.kind).toBe('storage');
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/not a (SQLite )?database/);
  });

  it('a path that is a folder is a storage error naming it', () => {
    const dir = join(folder, 'a-folder.db');
    mkdirSync(dir);
    const e = syncRejection(() => new SqliteSessionStore(dir));
    expect(e.kind).toBe('storage');
    expect(e.message).toContain(dir);
  });

  it('a write blocked by another connection past the busy timeout is a storage error that explains the lock', async () => {
    const file = newFile();
    const store = new SqliteSessionStore(file, { busyTimeoutMs: 20 });
    const s = await store.getOrCreateSession();
    const other = new Database(file);
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      const e = await rejection(store.appendMessages(s.id, [msg('user', 'blocked')]));
      expect(e.kind).toBe('storage');
      expect(e.message).toMatch(/locked/);
      expect(e.message).toMatch(/busy timeout \(20 ms\)/);
      expect(e.sessionId).toBe(s.id);
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    await store.appendMessages(s.id, [msg('user', 'after the lock')]);
    expect((await store.getSession(s.id))!.messages.map((m) => m.content)).toEqual(['after the lock']);
    await store.close();
  });

  it('a closed store fails with a storage error instead of crashing; close twice is fine', async () => {
    const store = new SqliteSessionStore(newFile());
    await store.close();
    await store.close();
    const e = await rejection(store.listSessions());
    expect(e.kind).toBe('storage');
    expect(e.message).toMatch(/closed/);
  });

  it('a message without a valid timestamp is a serialization error and nothing is written', async () => {
    const store = new SqliteSessionStore(newFile());
    const s = await store.getOrCreateSession();
    const bad = { ...msg('user', 'x'), timestamp: new Date(Number.NaN) };
    const e = await rejection(store.appendMessages(s.id, [msg('user', 'ok'), bad]));
    expect(e.kind).toBe('serialization');
    expect(e.message).toMatch(/message 1.*timestamp/);
    expect((await store.getSession(s.id))!.messages).toEqual([]);
    await store.close();
  });
});

describe('SqliteSessionStore: text that UTF-8 cannot hold', () => {
  it('keeps a lone surrogate (an emoji cut in half) exactly in blocks, and stores one U+FFFD for it in plain content', async () => {
    const store = new SqliteSessionStore(newFile());
    const cut = 'truncated 😀'.slice(0, -1); // ends with a lone high surrogate
    const withBlocks: SessionMessage = { ...msg('user', cut), blocks: [{ type: 'text', text: cut }] };
    const plain = msg('assistant', `${cut} and more`);
    const s = await store.createSession({ messages: [withBlocks, plain] });
    const loaded = (await store.getSession(s.id))!;
    expect(loaded.messages[0]).toStrictEqual(withBlocks);
    expect(loaded.messages[1]!.content).toBe('truncated \uFFFD and more');
    await store.close();
  });
});

describe('SqliteSessionStore: appends write only new rows', () => {
  function rowIds(file: string, sessionId: string): number[] {
    const raw = new Database(file, { readonly: true });
    const ids = raw.prepare('SELECT id FROM messages WHERE session_id = ? ORDER BY idx').pluck().all(sessionId) as number[];
    raw.close();
    return ids;
  }

  it('saveSession of a longer history keeps the stored rows and inserts only the new ones', async () => {
    const file = newFile();
    const store = new SqliteSessionStore(file);
    const s = await store.getOrCreateSession();
    s.messages = [msg('user', 'q1'), msg('assistant', 'a1')];
    await store.saveSession(s);
    // Another session's rows come after, so rewritten rows would get new ids.
    await store.createSession({ messages: [msg('user', 'other'), msg('assistant', 'other')] });
    const before = rowIds(file, s.id);
    s.messages.push(msg('user', 'q2'), msg('assistant', 'a2'));
    await store.saveSession(s);
    const after = rowIds(file, s.id);
    expect(after.slice(0, 2)).toEqual(before);
    expect(after).toHaveLength(4);
    // An edit in the middle rewrites from the first difference on, nothing before it.
    s.messages[2] = msg('user', 'q2 edited');
    await store.saveSession(s);
    const edited = rowIds(file, s.id);
    expect(edited.slice(0, 2)).toEqual(before);
    expect((await store.getSession(s.id))!.messages.map((m) => m.content)).toEqual(['q1', 'a1', 'q2 edited', 'a2']);
    await store.close();
  });
});

describe('SqliteSessionStore: damaged rows', () => {
  it('a row with bad JSON is a serialization error naming the session; other sessions and the list still work', async () => {
    const file = newFile();
    const store = new SqliteSessionStore(file, { directory: '/p' });
    const good = await store.createSession({ messages: [msg('user', 'fine')] });
    const bad = await store.createSession({
      messages: [msg('user', 'ok'), { ...msg('assistant', 'x'), blocks: [{ type: 'text', text: 'x' }] }],
    });
    const raw = new Database(file);
    raw.prepare('UPDATE messages SET blocks = \'[{"type": "text", "te\' WHERE session_id = ? AND idx = 1').run(bad.id);
    raw.close();

    const e = await rejection(store.getSession(bad.id));
    expect(e.kind).toBe('serialization');
    expect(e.sessionId).toBe(bad.id);
    expect(e.message).toContain(bad.id);
    expect(e.message).toMatch(/message 1/);
    expect(e.message).toMatch(/blocks/);
    expect((await store.getSession(good.id))!.messages[0]!.content).toBe('fine');
    const list = await store.listSessions();
    expect(list.map((s) => s.id).sort()).toEqual([good.id, bad.id].sort());
    expect(list.find((s) => s.id === bad.id)!.messageCount).toBe(2);
    // The damaged session is the newest of its directory: resuming reports it too.
    expect((await rejection(store.getOrCreateSession())).kind).toBe('serialization');
    // It can still be deleted, after which the directory resumes the good one.
    await store.deleteSession(bad.id);
    expect((await store.getOrCreateSession()).id).toBe(good.id);
    await store.close();
  });

  it('damaged tool_calls JSON is reported with its column', async () => {
    const file = newFile();
    const store = new SqliteSessionStore(file);
    const s = await store.createSession({ messages: [msg('assistant', 'call')] });
    const raw = new Database(file);
    raw.prepare("UPDATE messages SET tool_calls = '{oops' WHERE session_id = ?").run(s.id);
    raw.close();
    const e = await rejection(store.getSession(s.id));
    expect(e.kind).toBe('serialization');
    expect(e.message).toMatch(/tool_calls/);
    await store.close();
  });
});

describe('SqliteSessionStore: databases of the Rust original', () => {
  /** A database exactly as mixtape-cli 0.4.0 writes it (seconds, "User"/"Assistant", snake_case). */
  function makeRustDatabase(file: string): void {
    const raw = new Database(file);
    // better-sqlite3 turns foreign keys on by default; the Rust original's rusqlite does not.
    raw.pragma('foreign_keys = OFF');
    raw.exec(`
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY, directory TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS idx_sessions_directory ON sessions(directory);
      CREATE INDEX IF NOT EXISTS idx_sessions_updated_at ON sessions(updated_at DESC);
      CREATE TABLE IF NOT EXISTS messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, idx INTEGER NOT NULL, role TEXT NOT NULL,
        content TEXT NOT NULL, tool_calls TEXT NOT NULL DEFAULT '[]', tool_results TEXT NOT NULL DEFAULT '[]',
        timestamp INTEGER NOT NULL, FOREIGN KEY (session_id) REFERENCES sessions(id) ON DELETE CASCADE);
      CREATE INDEX IF NOT EXISTS idx_messages_session ON messages(session_id, idx);
    `);
    const session = raw.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?)');
    session.run('11111111-1111-4111-8111-111111111111', '/home/me/project', 1_700_000_000, 1_700_000_100);
    session.run('22222222-2222-4222-8222-222222222222', '/home/me/project', 1_700_000_200, 1_700_000_300);
    session.run('33333333-3333-4333-8333-333333333333', '/elsewhere', 1_700_000_050, 1_700_000_060);
    const message = raw.prepare(
      'INSERT INTO messages (session_id, idx, role, content, tool_calls, tool_results, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const newest = '22222222-2222-4222-8222-222222222222';
    message.run(newest, 0, 'System', 'Be brief.', '[]', '[]', 1_700_000_200);
    message.run(newest, 1, 'User', 'List the files', '[]', '[]', 1_700_000_201);
    message.run(
      newest,
      2,
      'Assistant',
      'Listing.',
      '[{"id":"tooluse_1","name":"list_directory","input":"{\\"path\\":\\".\\"}"}]',
      '[]',
      1_700_000_202,
    );
    message.run(newest, 3, 'User', '', '[]', '[{"tool_use_id":"tooluse_1","success":false,"content":"Permission denied"}]', 1_700_000_203);
    message.run(newest, 4, 'Assistant', 'I could not list them.', 'not json', '[]', 1_700_000_204);
    message.run('11111111-1111-4111-8111-111111111111', 0, 'User', 'older session', '[]', '[]', 1_700_000_001);
    // An orphan row: the original never enabled foreign keys, so deleted sessions left these.
    message.run('99999999-9999-4999-8999-999999999999', 0, 'User', 'orphan', '[]', '[]', 1_700_000_000);
    raw.close();
  }

  it('opens a database written by the Rust original, converts it, and carries on', async () => {
    const file = newFile();
    makeRustDatabase(file);
    const store = new SqliteSessionStore(file, { directory: '/home/me/project' });
    const resumed = await store.getOrCreateSession();
    expect(resumed.id).toBe('22222222-2222-4222-8222-222222222222');
    expect(resumed.createdAt.getTime()).toBe(1_700_000_200_000);
    expect(resumed.updatedAt.getTime()).toBe(1_700_000_300_000);
    expect(resumed.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant']);
    expect(resumed.messages.map((m) => m.timestamp.getTime())).toEqual([
      1_700_000_200_000, 1_700_000_201_000, 1_700_000_202_000, 1_700_000_203_000, 1_700_000_204_000,
    ]);
    expect(resumed.messages[2]!.toolCalls).toEqual([{ id: 'tooluse_1', name: 'list_directory', input: '{"path":"."}' }]);
    expect(resumed.messages[3]!.toolResults).toEqual([{ toolUseId: 'tooluse_1', success: false, content: 'Permission denied' }]);
    // Unparseable tool JSON reads as an empty list, as the original read it.
    expect(resumed.messages[4]!.toolCalls).toEqual([]);
    expect(resumed.messages[4]).not.toHaveProperty('blocks');

    const list = await store.listSessions();
    expect(list.map((s) => [s.id.slice(0, 1), s.messageCount])).toEqual([
      ['2', 5],
      ['1', 1],
      ['3', 0],
    ]);

    // It carries on with this store's features.
    await store.appendMessages(resumed.id, [msg('user', 'and now?')], { expectedCount: 5 });
    await store.renameSession(resumed.id, 'Imported from Rust');
    await store.close();

    // Reopening does not migrate again, and everything is there.
    const again = new SqliteSessionStore(file, { directory: '/home/me/project' });
    const reloaded = await again.getOrCreateSession();
    expect(reloaded.title).toBe('Imported from Rust');
    expect(reloaded.messages.map((m) => m.content).at(-1)).toBe('and now?');
    await again.close();
    const raw = new Database(file);
    expect(raw.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(7);
    expect(raw.prepare("SELECT COUNT(*) FROM schema_migrations WHERE component = 'sessions'").pluck().get()).toBe(
      SESSION_MIGRATIONS.length,
    );
    expect(raw.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%_v1'").pluck().get()).toBe(0);
    raw.close();
  });
});
