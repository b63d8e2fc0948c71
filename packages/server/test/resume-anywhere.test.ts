import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpAgent } from '@ag-ui/client';
import type { BaseEvent, Interrupt } from '@ag-ui/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../../../test-support/postgres.js';
import { exited, spawnTs, waitForOutput } from '../../../test-support/processes.js';
import { say, TOKEN } from './helpers.js';

const instance = fileURLToPath(new URL('./fixtures/durable-instance.ts', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'mixtape-server-resume-'));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(children.map(exited));
  rmSync(folder, { recursive: true, force: true });
});

async function startInstance(
  name: string,
  kind: 'sqlite' | 'postgres',
  location: string,
  log: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnTs(instance, [name, kind, location, TOKEN, log]);
  children.push(child);
  const url = (await waitForOutput(child, /^listening (http:\/\/127\.0\.0\.1:\d+)$/))[1]!;
  return { child, url };
}

const client = (url: string, threadId: string) =>
  new HttpAgent({ url: `${url}/agent`, threadId, headers: { Authorization: `Bearer ${TOKEN}` } });
const outcomeOf = (events: BaseEvent[]) =>
  (events.find((e) => e.type === 'RUN_FINISHED') as BaseEvent & { outcome: { type: string; interrupts?: Interrupt[] } }).outcome;

describe('an approval answered on another process (SQLite file)', () => {
  it('resumes on a second server process after the first was killed with SIGKILL; the tool runs once, there', async () => {
    const db = join(folder, 'sessions.db');
    const log = join(folder, 'sqlite-tool.log');
    writeFileSync(log, '');
    const threadId = randomUUID();
    const a = await startInstance('A', 'sqlite', db, log);
    const first = await say(client(a.url, threadId), 'add 2 3');
    const interrupt = outcomeOf(first.events).interrupts![0]!;
    expect(interrupt).toMatchObject({ reason: 'tool_call' });
    a.child.kill('SIGKILL');
    expect(await exited(a.child)).toBe(null);

    const b = await startInstance('B', 'sqlite', db, log);
    const resumed = await say(client(b.url, threadId), null, undefined, {
      resume: [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: true } }],
    });
    expect(resumed.error).toBeUndefined();
    expect(resumed.result).toBe('B: the tool said 5');
    expect(resumed.events.find((e) => e.type === 'TOOL_CALL_RESULT')).toMatchObject({ toolCallId: interrupt.toolCallId, content: '5' });
    // Replayed on B: same outcome, nothing runs again.
    const replay = await say(client(b.url, threadId), null, undefined, {
      resume: [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: true } }],
    });
    expect(replay.result).toBe('B: the tool said 5');
    expect(readFileSync(log, 'utf8')).toBe('B\n');
  });
});

describePostgres('an approval answered on another instance (PostgreSQL)', () => {
  it('a run interrupted on A is resumed on B while A keeps running', async () => {
    const db = await createTestDatabase('server_resume');
    const log = join(folder, 'postgres-tool.log');
    writeFileSync(log, '');
    const [a, b] = await Promise.all([startInstance('A', 'postgres', db, log), startInstance('B', 'postgres', db, log)]);
    const threadId = randomUUID();
    const first = await say(client(a.url, threadId), 'add 20 22');
    const interrupt = outcomeOf(first.events).interrupts![0]!;
    // A new message on either instance is refused while the approval is open.
    const refused = await say(client(b.url, threadId), 'something else');
    expect(refused.events.find((e) => e.type === 'RUN_ERROR')).toMatchObject({ code: 'interrupt_pending' });
    const resumed = await say(client(b.url, threadId), null, undefined, {
      resume: [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: true } }],
    });
    expect(resumed.result).toBe('B: the tool said 42');
    expect(readFileSync(log, 'utf8')).toBe('B\n');
    expect((await say(client(a.url, threadId), 'thanks')).result).toBe('A heard 2 user messages: add 20 22 | thanks');
    for (const c of [a.child, b.child]) c.kill('SIGTERM');
    expect(await Promise.all([exited(a.child), exited(b.child)])).toEqual([0, 0]);
  });
});
