import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteSessionStore } from '@mixtape/sqlite';
import { spawnTs, waitForLine } from '../../../test-support/processes.js';

const worker = fileURLToPath(new URL('./fixtures/append-worker.ts', import.meta.url));
const opener = fileURLToPath(new URL('./fixtures/open-worker.ts', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'mixtape-sqlite-concurrency-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('SqliteSessionStore with two processes', () => {
  it('two processes appending 200 messages each to one session at once lose nothing and keep their own order', async () => {
    const file = join(folder, 'shared.db');
    const store = new SqliteSessionStore(file, { directory: '/project' });
    const session = await store.getOrCreateSession();

    const children = ['A', 'B'].map((label) => spawnTs(worker, [file, session.id, label, '200']));
    const exits = children.map((c) => new Promise<number | null>((resolve) => c.once('exit', resolve)));
    let stderr = '';
    for (const c of children) c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // Barrier: both are started and have opened the database before either appends.
    await Promise.all(children.map((c) => waitForLine(c, 'ready')));
    for (const c of children) c.stdin!.end('go\n');
    expect(await Promise.all(exits), stderr).toEqual([0, 0]);

    const loaded = (await store.getSession(session.id))!;
    expect(loaded.messages).toHaveLength(400);
    const contents = loaded.messages.map((m) => m.content);
    for (const label of ['A', 'B']) {
      const mine = contents.filter((c) => c.startsWith(`${label}-`));
      expect(mine).toEqual(Array.from({ length: 200 }, (_, i) => `${label}-${i}`));
    }
    expect((await store.listSessions()).find((s) => s.id === session.id)?.messageCount).toBe(400);
    await store.close();
  });

  it('processes opening a new database at once all migrate it safely and resume one shared session', async () => {
    const file = join(folder, 'fresh', 'opened-at-once.db');
    const children = [1, 2, 3].map(() => spawnTs(opener, [file, '/same/project']));
    const outputs = children.map((c) => {
      let out = '';
      let err = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      return new Promise<string>((resolve, reject) =>
        c.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`)))),
      );
    });
    await Promise.all(children.map((c) => waitForLine(c, 'ready')));
    for (const c of children) c.stdin!.end('go\n');
    const ids = (await Promise.all(outputs)).map((o) => /session ([0-9a-f-]{36})/.exec(o)?.[1]);
    expect(ids.every((id) => id !== undefined)).toBe(true);
    expect(new Set(ids).size).toBe(1);
    const store = new SqliteSessionStore(file, { directory: '/same/project' });
    expect((await store.listSessions()).map((s) => s.id)).toEqual([ids[0]]);
    await store.close();
  });
});
