/**
 * Concurrency: several processes, each with many async writers, append to one session and to many
 * sessions of one SQLite file at once. Nothing is lost, each writer's order is kept, and no
 * "database is locked" error reaches the user.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { SqliteSessionStore } from '@mixtape/sqlite';

const run = promisify(execFile);
const fixture = path.join(import.meta.dirname, 'fixtures', 'writers.ts');
const PROCESSES = 3;
const WRITERS = 50;
const PER_WRITER = 8;

async function hammer(db: string, sessionIds: string[]) {
  const outputs = await Promise.all(
    Array.from({ length: PROCESSES }, (_, p) =>
      run(process.execPath, [
        '--conditions=mixtape-source',
        '--import',
        'tsx',
        fixture,
        db,
        `p${p}`,
        String(WRITERS),
        String(PER_WRITER),
        ...sessionIds,
      ]),
    ),
  );
  for (const { stdout, stderr } of outputs) {
    expect(stderr).not.toMatch(/locked|busy/i);
    expect(stdout.trim()).toBe(`OK ${WRITERS * PER_WRITER}`);
  }
}

function checkOrder(contents: string[]) {
  const last = new Map<string, number>();
  for (const c of contents) {
    const [p, w, i] = c.split(':');
    const key = `${p}:${w}`;
    expect(Number(i)).toBeGreaterThan(last.get(key) ?? -1);
    last.set(key, Number(i));
  }
}

it(`${PROCESSES} processes × ${WRITERS} async writers on one session and on many sessions lose nothing`, { timeout: 300_000 }, async () => {
  const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'mixtape-conc-')), 'sessions.db');
  const store = new SqliteSessionStore(db);
  const one = await store.createSession();
  const many = await Promise.all(Array.from({ length: 10 }, () => store.createSession()));

  await hammer(db, [one.id]);
  const session = (await store.getSession(one.id))!;
  expect(session.messages).toHaveLength(PROCESSES * WRITERS * PER_WRITER);
  expect(new Set(session.messages.map((m) => m.content)).size).toBe(PROCESSES * WRITERS * PER_WRITER);
  checkOrder(session.messages.map((m) => m.content));

  await hammer(
    db,
    many.map((s) => s.id),
  );
  let total = 0;
  for (const s of many) {
    const loaded = (await store.getSession(s.id))!;
    total += loaded.messages.length;
    checkOrder(loaded.messages.map((m) => m.content));
  }
  expect(total).toBe(PROCESSES * WRITERS * PER_WRITER);
  console.log(
    `concurrency: processes=${PROCESSES} writers=${PROCESSES * WRITERS} appends=${2 * PROCESSES * WRITERS * PER_WRITER} sessions checked=11 losses=0`,
  );
  await store.close();
});
