import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, type SessionMessage, tokenEstimatorWork } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { MemorySessionStore, sessionMessageTokens } from '@mixtape/core/session';
import { SqliteSessionStore } from '@mixtape/sqlite';

const folder = mkdtempSync(join(tmpdir(), 'mixtape-sqlite-tracking-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let n = 0;
const newFile = () => join(folder, `db-${++n}.db`);

function msg(role: SessionMessage['role'], content: string): SessionMessage {
  return {
    role,
    content,
    toolCalls: [],
    toolResults: [],
    timestamp: new Date(1_750_000_000_000),
    blocks: [{ type: 'text', text: content }],
  };
}

/** Row ids of a session's messages, by position (a rewritten row gets a new id). */
function rowIds(file: string, id: string): number[] {
  const raw = new Database(file, { readonly: true });
  try {
    return raw.prepare('SELECT id FROM messages WHERE session_id = ? ORDER BY idx').pluck().all(id) as number[];
  } finally {
    raw.close();
  }
}

const contents = async (store: SqliteSessionStore, id: string) => (await store.getSession(id))!.messages.map((m) => m.content);

describe('SqliteSessionStore: saveSession finds what changed without comparing every message', () => {
  it('sees replaced, removed, reordered and in-place edited messages, and rewrites only from the first change', async () => {
    const file = newFile();
    const store = new SqliteSessionStore(file, { directory: '/p' });
    const created = await store.createSession({
      messages: Array.from({ length: 8 }, (_, i) => msg(i % 2 ? 'assistant' : 'user', `m${i}`)),
    });
    const s = (await store.getSession(created.id))!;
    const ids = rowIds(file, s.id);

    // A top-level field reassigned on a message read earlier.
    const held = s.messages[5]!;
    held.content = 'm5 edited';
    await store.saveSession(s);
    expect(await contents(store, s.id)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5 edited', 'm6', 'm7']);
    expect(rowIds(file, s.id).slice(0, 5)).toEqual(ids.slice(0, 5));

    // The same held message edited again after that save.
    held.content = 'm5 edited twice';
    await store.saveSession(s);
    expect((await contents(store, s.id))[5]).toBe('m5 edited twice');

    // A message given to a save, then edited in place.
    const added = msg('user', 'm8');
    s.messages.push(added);
    await store.saveSession(s);
    added.blocks = [{ type: 'text', text: 'm8 edited' }];
    added.content = 'm8 edited';
    await store.saveSession(s);
    expect((await contents(store, s.id)).slice(-1)).toEqual(['m8 edited']);

    // Array methods: splice, reverse of a part, length cut.
    s.messages.splice(2, 1);
    await store.saveSession(s);
    expect(await contents(store, s.id)).toEqual(['m0', 'm1', 'm3', 'm4', 'm5 edited twice', 'm6', 'm7', 'm8 edited']);
    const before = rowIds(file, s.id);
    [s.messages[6], s.messages[7]] = [s.messages[7]!, s.messages[6]!];
    await store.saveSession(s);
    expect((await contents(store, s.id)).slice(-2)).toEqual(['m8 edited', 'm7']);
    expect(rowIds(file, s.id).slice(0, 6)).toEqual(before.slice(0, 6));
    s.messages.length = 3;
    await store.saveSession(s);
    expect(await contents(store, s.id)).toEqual(['m0', 'm1', 'm3']);
    await store.close();
  });

  it('keeps the conflict check: a copy loaded before another save may only add', async () => {
    const store = new SqliteSessionStore(newFile(), { directory: '/p' });
    const created = await store.createSession({ messages: [msg('user', 'q'), msg('assistant', 'a')] });
    const first = (await store.getSession(created.id))!;
    const second = (await store.getSession(created.id))!;
    first.messages[1]!.content = 'a (first)';
    await store.saveSession(first);
    second.messages[0]!.content = 'q (second)';
    await expect(store.saveSession(second)).rejects.toMatchObject({ kind: 'conflict' });
    expect(await contents(store, created.id)).toEqual(['q', 'a (first)']);
    await store.close();
  });

  it('a returned messages array copies with spread or slice, and another store accepts it', async () => {
    const store = new SqliteSessionStore(newFile(), { directory: '/p' });
    const created = await store.createSession({ messages: [msg('user', 'q'), msg('assistant', 'a')] });
    const s = (await store.getSession(created.id))!;
    expect(Array.isArray(s.messages)).toBe(true);
    expect(structuredClone([...s.messages]).map((m) => m.content)).toEqual(['q', 'a']);
    expect(JSON.parse(JSON.stringify(s.messages)).map((m: SessionMessage) => m.content)).toEqual(['q', 'a']);
    const memory = new MemorySessionStore();
    const copy = await memory.createSession({ messages: s.messages });
    expect((await memory.getSession(copy.id))!.messages.map((m) => m.content)).toEqual(['q', 'a']);
    await store.close();
  });
});

describe('SqliteSessionStore: per-message token estimates', () => {
  it('loadTail with maxTokens reads newest rows until the estimate is reached, and keeps the estimates it counted', async () => {
    const file = newFile();
    const store = new SqliteSessionStore(file, { directory: '/p' });
    const messages = Array.from({ length: 600 }, (_, i) =>
      msg(i % 2 ? 'assistant' : 'user', `message ${i}: ${'lorem ipsum dolor sit amet '.repeat(4)}`),
    );
    const created = await store.createSession({ messages });
    const per = sessionMessageTokens(messages[0]!);
    const maxTokens = per * 300;
    const raw = new Database(file, { readonly: true });
    const known = raw.prepare('SELECT COUNT(*) FROM messages WHERE session_id = ? AND mixtape_tokens IS NOT NULL').pluck();
    expect(known.get(created.id)).toBe(0);
    const tail = (await store.loadTail(created.id, { limit: 1, maxTokens }))!;
    const sum = tail.tokens!.reduce((a, b) => a + b, 0);
    expect(sum).toBeGreaterThanOrEqual(maxTokens);
    expect(sum - tail.tokens![0]!).toBeLessThan(maxTokens);
    expect(tail.start).toBe(600 - tail.session.messages.length);
    expect(tail.tokens).toEqual(tail.session.messages.map((m) => sessionMessageTokens(m)));
    expect(known.get(created.id)).toBe(tail.session.messages.length);
    // A second read uses the stored estimates and gives the same tail.
    const again = (await store.loadTail(created.id, { limit: 1, maxTokens }))!;
    expect(again.start).toBe(tail.start);
    expect(again.tokens).toEqual(tail.tokens);
    // A row rewritten as the Rust original does (delete + insert naming its columns) is counted again.
    const rw = new Database(file);
    const row = rw.prepare('SELECT * FROM messages WHERE session_id = ? AND idx = 599').get(created.id) as Record<string, unknown>;
    rw.prepare('DELETE FROM messages WHERE session_id = ? AND idx = 599').run(created.id);
    rw.prepare(
      'INSERT INTO messages (session_id, idx, role, content, tool_calls, tool_results, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(created.id, 599, 'User', 'short', '[]', '[]', row.timestamp);
    rw.close();
    const third = (await store.loadTail(created.id, { limit: 1, maxTokens }))!;
    expect(third.session.messages.at(-1)!.content).toBe('short');
    expect(third.tokens!.at(-1)).toBe(sessionMessageTokens(third.session.messages.at(-1)!));
    raw.close();
    await store.close();
  });

  it('a second resume of a long session counts no tokens: the window uses the stored estimates, and sends what a full load sends', async () => {
    const store = new SqliteSessionStore(newFile(), { directory: '/p' });
    const messages = Array.from({ length: 400 }, (_, i) =>
      msg(i % 2 ? 'assistant' : 'user', `turn ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(6)}`),
    );
    const created = await store.createSession({ messages });
    const agent = () =>
      new Agent({
        model: new ScriptedModel({ info: { name: 'm', contextWindow: 6_000, maxOutputTokens: 1_000 } }),
        sessionStore: store,
        sessionId: created.id,
      });
    const first = agent();
    await first.loadSession();
    expect(first.messages.length).toBeLessThan(400);
    const before = tokenEstimatorWork().calls;
    const second = agent();
    await second.loadSession();
    expect(tokenEstimatorWork().calls).toBe(before);
    expect(second.messages).toEqual(first.messages);
    await store.close();
  });
});
