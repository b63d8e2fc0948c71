import { fileURLToPath } from 'node:url';
import { PostgresSessionStore } from '@mixtape/postgres';
import { SessionError } from '@mixtape/core';
import { beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../../../test-support/postgres.js';
import { spawnTs, waitForLine } from '../../../test-support/processes.js';

const worker = fileURLToPath(new URL('./fixtures/append-worker.ts', import.meta.url));

describePostgres('PostgresSessionStore with two processes', () => {
  let url = '';
  beforeAll(async () => {
    url = await createTestDatabase('concurrency');
  });

  it('two processes appending 200 messages each to one session at once lose nothing and keep their own order', async () => {
    const store = new PostgresSessionStore({ connectionString: url, directory: '/project' });
    const session = await store.getOrCreateSession();

    const children = ['A', 'B'].map((label) => spawnTs(worker, [url, session.id, label, '200']));
    const exits = children.map((c) => new Promise<number | null>((resolve) => c.once('exit', resolve)));
    let stderr = '';
    for (const c of children) c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // Barrier: both are started and connected before either appends.
    await Promise.all(children.map((c) => waitForLine(c, 'ready')));
    for (const c of children) c.stdin!.end('go\n');
    expect(await Promise.all(exits), stderr).toEqual([0, 0]);

    const loaded = (await store.getSession(session.id))!;
    expect(loaded.messages).toHaveLength(400);
    const contents = loaded.messages.map((m) => m.content);
    for (const label of ['A', 'B']) {
      expect(contents.filter((c) => c.startsWith(`${label}-`))).toEqual(Array.from({ length: 200 }, (_, i) => `${label}-${i}`));
    }
    expect((await store.listSessions()).find((s) => s.id === session.id)?.messageCount).toBe(400);
    await store.close();
  });

  it('of two writers that read the same count, the second append with expectedCount is a conflict', async () => {
    const a = new PostgresSessionStore({ connectionString: url, directory: '/race' });
    const b = new PostgresSessionStore({ connectionString: url, directory: '/race' });
    const s = await a.createSession();
    const msg = (content: string) => ({ role: 'user' as const, content, toolCalls: [], toolResults: [], timestamp: new Date() });
    const results = await Promise.allSettled([
      a.appendMessages(s.id, [msg('from a')], { expectedCount: 0 }),
      b.appendMessages(s.id, [msg('from b')], { expectedCount: 0 }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toBeInstanceOf(SessionError);
    expect(failed.reason.kind).toBe('conflict');
    expect((await a.getSession(s.id))!.messages).toHaveLength(1);
    await a.close();
    await b.close();
  });
});
