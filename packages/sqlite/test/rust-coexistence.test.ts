/**
 * One database file shared with the Rust original (adlio/mixtape, mixtape-cli 0.4.0).
 *
 * The Rust side is emulated with its own schema and SQL, re-typed here as fixtures:
 * - schema: mixtape-cli/src/session/schema.sql (verbatim);
 * - statements: mixtape-cli/src/session/store.rs (`SqliteStore::get_or_create_session`,
 *   `get_session`, `save_session`, `list_sessions`, `delete_session`), run on a connection with
 *   foreign keys off, as rusqlite opens it;
 * - decoding: its `row.get::<_, String>` / `row.get::<_, i64>` (NULL or another type is an
 *   error), roles matched as "User"/"Assistant"/"System", serde JSON of `ToolCall {id, name,
 *   input}` and `ToolResult {tool_use_id, success, content}` (mixtape-core/src/session.rs), and
 *   `DateTime::from_timestamp(secs, 0)`;
 * - the agent's layout: one User row and one Assistant row per run, the Assistant row carrying
 *   every tool call, every result and the final text (mixtape-core/src/agent/run.rs, `finalize_run`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type RustMessage, RustStore } from '../../../test-support/rust-sqlite-store.js';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, type SessionMessage, SessionError, fromSessionMessages, repairSessionMessages } from '@mixtape/core';
import { ScriptedModel, validateHistory } from '@mixtape/core/testing';
import { LAYOUT_BACKUP_SUFFIX, SqliteSessionStore } from '@mixtape/sqlite';

const folder = mkdtempSync(join(tmpdir(), 'mixtape-rust-coexistence-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let n = 0;
const newFile = () => join(folder, `shared-${++n}.db`);

const DIR = '/home/me/project';
const RUN_SESSION = 'a1111111-1111-4111-8111-111111111111';
const T0 = 1_790_000_000; // 2026-09-21

/** A session as the Rust agent saves two runs: User row, Assistant row with calls, results and the final text. */
function rustAgentSession(rust: RustStore): void {
  rust.create(RUN_SESSION, DIR, T0);
  rust.save(
    RUN_SESSION,
    [
      { role: 'User', content: 'Add 5 and 3, then look at /etc.', tool_calls: [], tool_results: [], timestamp: T0 + 1 },
      {
        role: 'Assistant',
        content: '5 + 3 = 8. /etc holds passwd and shadow; shadow is not readable.',
        tool_calls: [
          { id: 'tooluse_1', name: 'calculator', input: '{"a":5,"b":3}' },
          { id: 'tooluse_2', name: 'list_directory', input: '{"path":"/etc"}' },
          { id: 'tooluse_3', name: 'read_file', input: '{"path":"/etc/shadow"}' },
        ],
        tool_results: [
          { tool_use_id: 'tooluse_1', success: true, content: '8' },
          { tool_use_id: 'tooluse_2', success: true, content: 'passwd\nshadow' },
          { tool_use_id: 'tooluse_3', success: false, content: 'Permission denied (os error 13)' },
        ],
        timestamp: T0 + 5,
      },
      { role: 'User', content: 'Thanks!', tool_calls: [], tool_results: [], timestamp: T0 + 60 },
      { role: 'Assistant', content: 'You are welcome.', tool_calls: [], tool_results: [], timestamp: T0 + 61 },
    ],
    T0 + 61,
  );
}

/** What the Rust original sees in every column it reads, for comparisons. */
function rustView(file: string): unknown {
  const rust = new RustStore(file);
  const out = { list: rust.list(), sessions: rust.list().map((s) => rust.get(s.id)) };
  rust.close();
  return JSON.parse(JSON.stringify(out));
}

describe('a database shared with the Rust original (mixtape-cli 0.4.0)', () => {
  it('reads the Rust agent layout as call → result → text with the real results, no repair, a valid history', async () => {
    const file = newFile();
    const rust = new RustStore(file);
    rustAgentSession(rust);
    rust.close();
    const store = new SqliteSessionStore(file, { directory: DIR });
    const session = (await store.getSession(RUN_SESSION))!;
    expect(session.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(session.messages[1]!.toolResults.map((r) => r.content)).toEqual(['8', 'passwd\nshadow', 'Permission denied (os error 13)']);
    const repair = repairSessionMessages(session.messages);
    expect(repair.repaired).toBe(false);
    const history = fromSessionMessages(session.messages);
    expect(validateHistory(history)).toEqual([]);
    expect(history.map((m) => [m.role, m.content.map((b) => b.type)])).toEqual([
      ['user', ['text']],
      ['assistant', ['tool_use', 'tool_use', 'tool_use']],
      ['user', ['tool_result', 'tool_result', 'tool_result']],
      ['assistant', ['text']],
      ['user', ['text']],
      ['assistant', ['text']],
    ]);
    expect(history[1]!.content.map((b) => (b.type === 'tool_use' ? b.id : ''))).toEqual(['tooluse_1', 'tooluse_2', 'tooluse_3']);
    expect(history[2]!.content).toEqual([
      { type: 'tool_result', toolUseId: 'tooluse_1', content: [{ type: 'text', text: '8' }], isError: false },
      { type: 'tool_result', toolUseId: 'tooluse_2', content: [{ type: 'text', text: 'passwd\nshadow' }], isError: false },
      { type: 'tool_result', toolUseId: 'tooluse_3', content: [{ type: 'text', text: 'Permission denied (os error 13)' }], isError: true },
    ]);

    // An agent resuming it sends exactly that, and stores nothing invented.
    const model = new ScriptedModel().text('Still 8.');
    const agent = new Agent({ model, sessionStore: store, sessionId: RUN_SESSION });
    await agent.run('What was the sum?');
    const sent = model.requests[0]!.messages;
    expect(validateHistory(sent)).toEqual([]);
    expect(JSON.stringify(sent)).not.toMatch(/interrupted/i);
    expect(sent.slice(0, 6)).toEqual(history);
    const after = (await store.getSession(RUN_SESSION))!;
    expect(after.messages.map((m) => m.content)).toEqual([...session.messages.map((m) => m.content), 'What was the sum?', 'Still 8.']);
    await store.close();
  });

  it('opening, migrating and writing keeps every column the Rust original reads in its format; it lists, loads, saves and creates as before', async () => {
    const file = newFile();
    const rust = new RustStore(file);
    rustAgentSession(rust);
    rust.create('b2222222-2222-4222-8222-222222222222', '/elsewhere', T0 + 100);
    rust.close();
    const before = rustView(file);

    // Opening (which migrates) changes nothing the Rust original reads.
    const store = new SqliteSessionStore(file, { directory: DIR });
    await store.listSessions();
    expect(rustView(file)).toEqual(before);

    // Writes through the store and an agent (tool call, result, blocks, ms timestamps, title, usage).
    const model = new ScriptedModel().toolUse('calculator', { a: 2, b: 2 }).text('4');
    const { tool } = await import('@mixtape/core');
    const { z } = await import('zod');
    const calculator = tool({
      name: 'calculator',
      description: 'adds',
      input: z.object({ a: z.number(), b: z.number() }),
      execute: ({ a, b }) => String(a + b),
    });
    const agent = new Agent({ model, tools: [calculator], sessionStore: store, sessionId: RUN_SESSION });
    await agent.run('And 2 + 2?');
    await store.renameSession(RUN_SESSION, 'Sums');
    const fresh = await store.createSession({
      messages: [{ role: 'system', content: 'Be brief.', toolCalls: [], toolResults: [], timestamp: new Date() }],
    });

    const rust2 = new RustStore(file); // the Rust binary starts again: schema.sql runs on the migrated file
    const loaded = rust2.get(RUN_SESSION)!;
    expect(loaded.messages.every((m) => m.defaulted.length === 0)).toBe(true);
    expect(loaded.messages.map((m) => m.role)).toEqual([
      'User',
      'Assistant',
      'User',
      'Assistant',
      'User',
      'Assistant',
      'User',
      'Assistant',
    ]);
    expect(loaded.messages[5]!.tool_calls).toEqual([{ id: expect.any(String), name: 'calculator', input: '{"a":2,"b":2}' }]);
    expect(loaded.messages[6]!.tool_results).toEqual([{ tool_use_id: loaded.messages[5]!.tool_calls[0]!.id, success: true, content: '4' }]);
    expect(loaded.messages[7]!.content).toBe('4');
    for (const m of loaded.messages) expect(m.timestamp.getUTCFullYear()).toBeGreaterThanOrEqual(2026);
    expect(loaded.updatedAt.getUTCFullYear()).toBe(new Date().getUTCFullYear());
    expect(rust2.get(fresh.id)!.messages.map((m) => [m.role, m.content])).toEqual([['System', 'Be brief.']]);
    expect(rust2.list().map((s) => s.id)).toContain(fresh.id);
    expect(rust2.list().find((s) => s.id === RUN_SESSION)!.messageCount).toBe(8);
    expect(rust2.newest(DIR)).toBe(fresh.id);

    // The Rust original saves (delete + re-insert every row) and creates sessions again.
    const now = Math.floor(Date.now() / 1000) + 5;
    const rustMessages: RustMessage[] = loaded.messages.map((m) => ({
      role: m.role,
      content: m.content,
      tool_calls: m.tool_calls,
      tool_results: m.tool_results,
      timestamp: Math.floor(m.timestamp.getTime() / 1000),
    }));
    rustMessages.push({ role: 'User', content: 'from rust', tool_calls: [], tool_results: [], timestamp: now });
    rust2.save(RUN_SESSION, rustMessages, now);
    rust2.create('c3333333-3333-4333-8333-333333333333', DIR, now + 1);
    rust2.close();

    // Rows the Rust original wrote later read right here: dates, order, content.
    const again = (await store.getSession(RUN_SESSION))!;
    expect(again.messages).toHaveLength(9);
    expect(again.messages.at(-1)).toMatchObject({ role: 'user', content: 'from rust' });
    expect(again.messages.at(-1)!.timestamp.getTime()).toBe(now * 1000);
    expect(again.updatedAt.getTime()).toBe(now * 1000);
    expect(again.title).toBe('Sums');
    expect(validateHistory(fromSessionMessages(again.messages))).toEqual([]);
    const listed = await store.listSessions();
    expect(listed[0]!.id).toBe('c3333333-3333-4333-8333-333333333333');
    expect(listed[0]!.createdAt.getTime()).toBe((now + 1) * 1000);
    expect((await store.getOrCreateSession()).id).toBe('c3333333-3333-4333-8333-333333333333');
    await store.close();
  });

  it('saveSession of a copy loaded before the Rust original saved is a conflict; appends see its rows', async () => {
    const file = newFile();
    const rust = new RustStore(file);
    rustAgentSession(rust);
    const store = new SqliteSessionStore(file, { directory: DIR });
    const copy = (await store.getSession(RUN_SESSION))!;
    const view = rust.get(RUN_SESSION)!;
    rust.save(
      RUN_SESSION,
      [
        ...view.messages.map((m) => ({ ...m, timestamp: Math.floor(m.timestamp.getTime() / 1000) })),
        { role: 'User', content: 'rust wrote this', tool_calls: [], tool_results: [], timestamp: T0 + 200 },
      ],
      T0 + 200,
    );
    rust.close();
    copy.messages.push(text('user', 'ts wrote this'));
    const e = await rejection(store.saveSession(copy));
    expect(e.kind).toBe('conflict');
    const stored = (await store.getSession(RUN_SESSION))!;
    expect(stored.messages.at(-1)!.content).toBe('rust wrote this');
    await expect(store.appendMessages(RUN_SESSION, [text('assistant', 'ok')], { expectedCount: 4 })).rejects.toMatchObject({
      kind: 'conflict',
    });
    await store.appendMessages(RUN_SESSION, [text('assistant', 'ok')], { expectedCount: 5 });
    await store.close();
  });

  it('converts a database of an earlier Mixtape for TypeScript release back to the shared layout, after a backup', async () => {
    const file = newFile();
    // The earlier release's layout (what it made of a Rust database), re-typed as a fixture.
    const raw = new Database(file);
    raw.exec(`
      CREATE TABLE schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (component, version));
      INSERT INTO schema_migrations VALUES ('sessions', 1, 'rust-original-schema', 0), ('sessions', 2, 'mixtape-ts-sessions', 0);
      CREATE TABLE sessions (id TEXT PRIMARY KEY NOT NULL, directory TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        update_seq INTEGER NOT NULL, title TEXT, forked_from TEXT, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0, cache_write_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0);
      CREATE INDEX sessions_by_directory ON sessions(directory, updated_at DESC, update_seq DESC);
      CREATE UNIQUE INDEX sessions_by_seq ON sessions(update_seq);
      CREATE TABLE messages (id INTEGER PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
        role TEXT NOT NULL, content TEXT, tool_calls TEXT, tool_results TEXT, blocks TEXT, timestamp INTEGER NOT NULL, UNIQUE (session_id, idx));
      INSERT INTO sessions VALUES ('d4444444-4444-4444-8444-444444444444', '${DIR}', 1790000000123, 1790000100456, 1, 'Old', NULL, 10, 5, 0, 0, 0.25);
      INSERT INTO messages (session_id, idx, role, content, tool_calls, tool_results, blocks, timestamp) VALUES
        ('d4444444-4444-4444-8444-444444444444', 0, 'user', NULL, '[]', '[]', '[{"type":"text","text":"hi"}]', 1790000000123),
        ('d4444444-4444-4444-8444-444444444444', 1, 'assistant', NULL, NULL, '[]', '[{"type":"text","text":"Reading."},{"type":"tool_use","id":"t1","name":"read_file","input":{"path":"a"}}]', 1790000001000),
        ('d4444444-4444-4444-8444-444444444444', 2, 'user', '', '[]', '[{"toolUseId":"t1","success":true,"content":"A"}]', NULL, 1790000002999);
    `);
    raw.close();
    const store = new SqliteSessionStore(file, { directory: DIR });
    expect(existsSync(`${file}${LAYOUT_BACKUP_SUFFIX}`)).toBe(true);
    const s = (await store.getSession('d4444444-4444-4444-8444-444444444444'))!;
    expect(s.createdAt.getTime()).toBe(1790000000123);
    expect(s.title).toBe('Old');
    expect(s.usage).toMatchObject({ inputTokens: 10, outputTokens: 5, costUsd: 0.25 });
    expect(s.messages.map((m) => [m.role, m.content, m.timestamp.getTime()])).toEqual([
      ['user', 'hi', 1790000000123],
      ['assistant', 'Reading.', 1790000001000],
      ['user', '', 1790000002999],
    ]);
    expect(s.messages[1]!.toolCalls).toEqual([{ id: 't1', name: 'read_file', input: '{"path":"a"}' }]);
    expect(s.messages[2]!.toolResults).toEqual([{ toolUseId: 't1', success: true, content: 'A' }]);
    await store.close();
    const rust = new RustStore(file);
    const view = rust.get('d4444444-4444-4444-8444-444444444444')!;
    expect(view.messages.map((m) => [m.role, m.content, m.defaulted])).toEqual([
      ['User', 'hi', []],
      ['Assistant', 'Reading.', []],
      ['User', '', []],
    ]);
    expect(view.messages[2]!.tool_results).toEqual([{ tool_use_id: 't1', success: true, content: 'A' }]);
    expect(view.createdAt.getTime()).toBe(1790000000000);
    rust.close();
    // The backup is the earlier file, untouched.
    const backup = new Database(`${file}${LAYOUT_BACKUP_SUFFIX}`, { readonly: true });
    expect(backup.prepare('SELECT created_at FROM sessions').pluck().get()).toBe(1790000000123);
    backup.close();
  });

  it('a row with an unknown role is a serialization error naming session and row; the list still works', async () => {
    const file = newFile();
    const rust = new RustStore(file);
    rustAgentSession(rust);
    rust.db.prepare("UPDATE messages SET role = 'hacker' WHERE session_id = ? AND idx = 2").run(RUN_SESSION);
    rust.close();
    const store = new SqliteSessionStore(file, { directory: DIR });
    const e = await rejection(store.getSession(RUN_SESSION));
    expect(e.kind).toBe('serialization');
    expect(e.sessionId).toBe(RUN_SESSION);
    expect(e.message).toContain(RUN_SESSION);
    expect(e.message).toMatch(/message 2 .*role.*"hacker"/);
    expect(e.message).toMatch(/idx 2/);
    expect((await store.listSessions()).map((s) => s.id)).toEqual([RUN_SESSION]);
    await store.close();
  });
});

describe('SqliteSessionStore: bounded messages', () => {
  it('refuses a message over maxMessageBytes with a serialization error that says what to do; nothing stored is lost', async () => {
    const store = new SqliteSessionStore(newFile(), { maxMessageBytes: 10_000 });
    const s = await store.createSession({ messages: [text('user', 'keep me')] });
    const big = text('user', 'x'.repeat(20_000));
    const e = await rejection(store.appendMessages(s.id, [text('assistant', 'fine'), big]));
    expect(e.kind).toBe('serialization');
    expect(e.message).toMatch(/message 1 is 20,0\d\d bytes, over this store's limit of 10,000 bytes/);
    expect(e.message).toMatch(/maxMessageBytes/);
    const copy = (await store.getSession(s.id))!;
    copy.messages.push(big);
    expect((await rejection(store.saveSession(copy))).kind).toBe('serialization');
    expect((await store.getSession(s.id))!.messages.map((m) => m.content)).toEqual(['keep me']);
    await store.close();
  });
});

describe('SqliteSessionStore: saveSession from two connections', () => {
  it('never loses a write: a stale copy is a conflict, and reload-and-retry stores all of them', async () => {
    const file = newFile();
    const a = new SqliteSessionStore(file, { directory: '/two' });
    const b = new SqliteSessionStore(file, { directory: '/two' });
    const s = await a.createSession();
    let conflicts = 0;
    const writer = async (store: SqliteSessionStore, name: string) => {
      for (let i = 0; i < 60; i++) {
        for (;;) {
          const copy = (await store.getSession(s.id))!;
          await new Promise((r) => setImmediate(r)); // let the other writer interleave
          copy.messages.push(text('user', `${name}${i}`));
          try {
            await store.saveSession(copy);
            break;
          } catch (e) {
            if ((e as SessionError).kind !== 'conflict') throw e;
            conflicts++;
          }
        }
      }
    };
    await Promise.all([writer(a, 'a'), writer(b, 'b')]);
    const stored = (await a.getSession(s.id))!.messages.map((m) => m.content);
    expect(stored).toHaveLength(120);
    expect(new Set(stored).size).toBe(120);
    expect(conflicts).toBeGreaterThan(0);
    await a.close();
    await b.close();
  });
});

function text(role: SessionMessage['role'], content: string): SessionMessage {
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
