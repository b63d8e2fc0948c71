/**
 * A question's process dies (SIGKILL) while the run waits for the answer: the resume, on a new
 * process over the same SQLite file, gets interrupt_expired, and the thread goes on (the tool
 * call cut off by the crash gets an error result, as core's crash rules say).
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpAgent } from '@ag-ui/client';
import type { BaseEvent, Interrupt } from '@ag-ui/core';
import { SqliteSessionStore } from '@mixtape/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, spawnTs, waitForOutput } from '../../../test-support/processes.js';
import { say, TOKEN } from './helpers.js';

const instance = fileURLToPath(new URL('./fixtures/question-instance.ts', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'mixtape-server-question-'));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(children.map(exited));
  for (const pid of mcpPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone (its parent closed it)
    }
  }
  rmSync(folder, { recursive: true, force: true });
});

/** MCP server children of killed instances (a SIGKILL leaves them running). */
const mcpPids: number[] = [];

async function startInstance(name: string, db: string): Promise<{ child: ChildProcess; url: string; mcpPid: number }> {
  const child = spawnTs(instance, [name, db, TOKEN]);
  children.push(child);
  const pid = waitForOutput(child, /^mcp-pid (\d+)$/);
  const url = (await waitForOutput(child, /^listening (http:\/\/127\.0\.0\.1:\d+)$/))[1]!;
  const mcpPid = Number((await pid)[1]);
  mcpPids.push(mcpPid);
  return { child, url, mcpPid };
}
const client = (url: string, threadId: string) =>
  new HttpAgent({ url: `${url}/agent`, threadId, headers: { Authorization: `Bearer ${TOKEN}` } });

describe('a question whose process died', () => {
  it('the resume on a restarted server gets interrupt_expired; a new message continues the thread', { timeout: 60_000 }, async () => {
    const db = join(folder, 'sessions.db');
    const threadId = randomUUID();
    const a = await startInstance('A', db);
    const first = await say(client(a.url, threadId), 'ask');
    const outcome = (
      first.events.find((e) => e.type === 'RUN_FINISHED') as BaseEvent & { outcome: { type: string; interrupts: Interrupt[] } }
    ).outcome;
    expect(outcome.type).toBe('interrupt');
    const question = outcome.interrupts[0]!;
    expect(question.reason).toBe('mixtape:mcp_elicitation');
    a.child.kill('SIGKILL');
    await exited(a.child);
    process.kill(a.mcpPid, 'SIGKILL'); // the whole process is gone, its MCP server with it

    const b = await startInstance('B', db);
    const resumed = await say(client(b.url, threadId), null, undefined, {
      resume: [{ interruptId: question.id, status: 'resolved', payload: { action: 'decline' } }],
    });
    const error = resumed.events.find((e) => e.type === 'RUN_ERROR') as BaseEvent & { code: string; message: string };
    expect(error).toMatchObject({ code: 'interrupt_expired' });
    expect(error.message).toContain('expired with the run that asked it');

    const next = await say(client(b.url, threadId), 'hello again');
    expect(next.error).toBeUndefined();
    expect(next.result).toBe('B heard: hello again');
    const store = new SqliteSessionStore(db);
    try {
      const messages = (await store.getSession(threadId))!.messages;
      const cutOff = messages.flatMap((m) => m.toolResults).find((r) => r.toolUseId === question.toolCallId);
      expect(cutOff).toMatchObject({ success: false });
    } finally {
      await store.close();
    }
  });
});
