import pg from 'pg';
import { PostgresSessionStore, SESSION_MIGRATIONS } from '@mixtape/postgres';
import { SessionError } from '@mixtape/core';
import { beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../../../test-support/postgres.js';

const msg = (content: string) => ({ role: 'user' as const, content, toolCalls: [], toolResults: [], timestamp: new Date() });

async function rejection(p: Promise<unknown>): Promise<SessionError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SessionError);
    return e as SessionError;
  }
  throw new Error('expected a rejection');
}

describePostgres('PostgresSessionStore specifics', () => {
  let url = '';
  beforeAll(async () => {
    url = await createTestDatabase('specifics');
  });

  it('records its schema version, and several stores starting at once migrate once', async () => {
    const stores = Array.from({ length: 4 }, () => new PostgresSessionStore({ connectionString: url, schema: 'startup' }));
    await Promise.all(stores.map((s) => s.listSessions()));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('SELECT component, version FROM startup.mixtape_schema_migrations ORDER BY version');
    expect(rows).toEqual(SESSION_MIGRATIONS.map((m) => ({ component: 'sessions', version: m.version })));
    // A database written by a newer Mixtape is refused with a message that says so.
    await client.query("INSERT INTO startup.mixtape_schema_migrations (component, version, name) VALUES ('sessions', 99, 'future')");
    await client.end();
    const fresh = new PostgresSessionStore({ connectionString: url, schema: 'startup' });
    const e = await rejection(fresh.listSessions());
    expect(e.kind).toBe('storage');
    expect(e.message).toMatch(/version 99, newer than this @mixtape\/postgres supports/);
    for (const s of [...stores, fresh]) await s.close();
  });

  it('keeps stores in different schemas apart', async () => {
    const a = new PostgresSessionStore({ connectionString: url, schema: 'tenant_a', directory: '/p' });
    const b = new PostgresSessionStore({ connectionString: url, schema: 'tenant_b', directory: '/p' });
    const s = await a.createSession({ messages: [msg('hello')] });
    expect(await b.getSession(s.id)).toBeNull();
    expect((await b.getOrCreateSession()).id).not.toBe(s.id);
    await a.close();
    await b.close();
  });

  it('uses a pool you pass and leaves it open on close', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const store = new PostgresSessionStore({ pool, directory: '/pool' });
    const s = await store.createSession({ messages: [msg('one')] });
    await store.close();
    expect((await pool.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    const again = new PostgresSessionStore({ pool, directory: '/pool' });
    expect((await again.getSession(s.id))!.messages.map((m) => m.content)).toEqual(['one']);
    await pool.end();
  });

  it('a closed store and an unreachable server are storage errors that say what to do', async () => {
    const store = new PostgresSessionStore({ connectionString: url });
    await store.close();
    expect((await rejection(store.listSessions())).message).toMatch(/closed/);
    const u = new URL(url);
    u.port = '1'; // nothing listens on port 1 of the loopback address
    const nowhere = new PostgresSessionStore({ connectionString: u.toString() });
    const e = await rejection(nowhere.listSessions());
    expect(e.kind).toBe('storage');
    expect(e.message).toMatch(/cannot be reached/);
    await nowhere.close();
    expect(() => new PostgresSessionStore({} as never)).toThrow(/connectionString/);
  });

  it('a NUL character in text is a storage error explaining it, and the session is unchanged', async () => {
    const store = new PostgresSessionStore({ connectionString: url, directory: '/nul' });
    const s = await store.createSession({ messages: [msg('ok')] });
    const e = await rejection(store.appendMessages(s.id, [msg('bad \u0000 byte')]));
    expect(e.message).toMatch(/NUL character/);
    expect((await store.getSession(s.id))!.messages).toHaveLength(1);
    await store.close();
  });

  it('an append is one statement that reads no message rows, whatever the history length', async () => {
    const store = new PostgresSessionStore({ connectionString: url, directory: '/o1' });
    const s = await store.createSession({ messages: Array.from({ length: 3000 }, (_, i) => msg(`m${i}`)) });
    const seen: string[] = [];
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      seen.push(typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string })?.text));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      await store.appendMessages(s.id, [msg('next')], { expectedCount: 3000 });
    } finally {
      pg.Client.prototype.query = original;
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toMatch(/FROM\s+"public"\."mixtape_messages"/);
    expect((await store.getSession(s.id))!.messages.at(-1)!.content).toBe('next');
    await store.close();
  });

  it('refuses a message over maxMessageBytes before writing, and a saveSession from two stores over each other is a conflict', async () => {
    const a = new PostgresSessionStore({ connectionString: url, schema: 'bounds', maxMessageBytes: 10_000 });
    const b = new PostgresSessionStore({ connectionString: url, schema: 'bounds' });
    const s = await a.createSession({ messages: [msg('keep me')] });
    const e = await rejection(a.appendMessages(s.id, [msg('fine'), msg('x'.repeat(20_000))]));
    expect(e.kind).toBe('serialization');
    expect(e.message).toMatch(/message 1 is 20,0\d\d bytes, over this store's limit of 10,000 bytes.*maxMessageBytes/);
    const fromA = (await a.getSession(s.id))!;
    const fromB = (await b.getSession(s.id))!;
    fromA.messages.push(msg('from a'));
    fromB.messages.push(msg('from b'));
    await a.saveSession(fromA);
    expect((await rejection(b.saveSession(fromB))).kind).toBe('conflict');
    expect((await b.getSession(s.id))!.messages.map((m) => m.content)).toEqual(['keep me', 'from a']);
    await a.close();
    await b.close();
  });
});
