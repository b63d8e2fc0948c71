/**
 * Crash safety: a child process running an agent with tools is killed with SIGKILL at random
 * points, over and over, on the same session. After every kill the session loads, is a valid
 * provider history, and holds every message the child had reported as stored. A second suite
 * kills runs that wait for an approval (in process or as a persisted interrupt), run tools or
 * resume, and checks that each resumes to a valid final answer with no call run twice.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { fromSessionMessages, repairSessionMessages } from '@mixtape/core';
import { validateHistory } from '@mixtape/core/testing';
import { SqliteSessionStore } from '@mixtape/sqlite';

/** Kills per run of the suite (the issue asks for 100+). */
const KILLS = Number(process.env.MIXTAPE_CRASH_KILLS ?? 100);
const PARALLEL = 2;
const fixture = path.join(import.meta.dirname, 'fixtures', 'crash-agent.ts');

/**
 * Runs a fixture as a child process, calling `onLine` for each stdout line with a function that
 * starts the kill clock (SIGKILL after `ms`; the first call wins). Resolves once it has exited.
 */
function runChild(
  file: string,
  args: string[],
  onLine: (line: string, killAfter: (ms: number) => void) => void,
): Promise<{ killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', file, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const killAfter = (ms: number) => (timer ??= setTimeout(() => child.kill('SIGKILL'), ms));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        onLine(line, killAfter);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`${path.basename(file)} exited with ${code}: ${err}`));
      else resolve({ killed: signal === 'SIGKILL' });
    });
  });
}

async function runAndKill(db: string, sessionId: string, killAfterMs: number): Promise<{ stored: number; done: boolean }> {
  let stored = -1;
  let done = false;
  await runChild(fixture, [db, sessionId, '40'], (line, killAfter) => {
    if (line.startsWith('STORED ')) {
      stored = Number(line.slice(7));
      // Start the kill clock at the first durable step, so kills land mid-run.
      killAfter(killAfterMs);
    }
    if (line === 'DONE') done = true;
  });
  return { stored, done };
}

it(`every session survives ${KILLS} SIGKILLs with every completed step`, { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mixtape-crash-'));
  const db = path.join(dir, 'sessions.db');
  const sessions: string[] = Array.from({ length: PARALLEL }, () => randomUUID());
  const highWater = new Map<string, number>(sessions.map((s) => [s, 0]));
  let kills = 0;
  let completedRuns = 0;
  let checked = 0;
  let lost = 0;
  const worker = async (sessionId: string) => {
    const store = new SqliteSessionStore(db);
    while (kills < KILLS) {
      const { stored, done } = await runAndKill(db, sessionId, Math.floor(Math.random() * 60));
      if (done) completedRuns++;
      else kills++;
      const session = await store.getSession(sessionId);
      expect(session, 'session exists').not.toBeNull();
      const count = session!.messages.length;
      if (stored > count) lost += stored - count;
      expect(count).toBeGreaterThanOrEqual(Math.max(stored, highWater.get(sessionId)!));
      highWater.set(sessionId, count);
      // What an agent would send after loading: repaired, then a valid provider history.
      const repaired = repairSessionMessages(session!.messages);
      expect(validateHistory(fromSessionMessages(repaired.messages))).toEqual([]);
      checked++;
    }
    await store.close();
  };
  await Promise.all(sessions.map(worker));
  console.log(
    `crash safety: runs=${kills + completedRuns} kills=${kills} completed=${completedRuns} sessions checked=${checked} losses=${lost}`,
  );
  expect(lost).toBe(0);
  expect(kills).toBeGreaterThanOrEqual(KILLS);
});

/** Kills of the interrupt suite (while waiting for approval, mid-tool, mid-resume). */
const INTERRUPT_KILLS = Number(process.env.MIXTAPE_INTERRUPT_KILLS ?? 30);
const interruptFixture = path.join(import.meta.dirname, 'fixtures', 'interrupt-agent.ts');

async function runInterruptChild(
  db: string,
  sessionId: string,
  ledger: string,
  mode: 'wait' | 'interrupt',
  killAfterMs: number | undefined,
): Promise<{ killed: boolean; action?: string; result?: string }> {
  let action: string | undefined;
  let result: string | undefined;
  const { killed } = await runChild(interruptFixture, [db, sessionId, ledger, mode], (line, killAfter) => {
    if (line === 'READY' && killAfterMs !== undefined) killAfter(killAfterMs);
    if (line.startsWith('ACTION ')) action = line.slice(7);
    if (line.startsWith('RESULT ')) result = line.slice(7);
  });
  return { killed, ...(action ? { action } : {}), ...(result ? { result } : {}) };
}

it(
  `runs killed ${INTERRUPT_KILLS} times while waiting for approval, mid-tool and mid-resume all resume to a valid final answer; no call runs twice`,
  { timeout: 600_000 },
  async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mixtape-interrupt-crash-'));
    const db = path.join(dir, 'sessions.db');
    const sessions = Array.from({ length: PARALLEL }, () => randomUUID());
    let kills = 0;
    let exits = 0;
    const actions = new Map<string, number>();
    const worker = async (sessionId: string) => {
      const ledger = path.join(dir, `${sessionId}.ledger`);
      writeFileSync(ledger, '');
      while (kills < INTERRUPT_KILLS) {
        const mode = Math.random() < 0.5 ? 'wait' : 'interrupt';
        // One start in five runs to its end; the others are killed 0-80 ms after startup.
        const r = await runInterruptChild(db, sessionId, ledger, mode, Math.random() < 0.2 ? undefined : Math.floor(Math.random() * 80));
        if (r.killed) kills++;
        else exits++;
        if (r.action) actions.set(r.action, (actions.get(r.action) ?? 0) + 1);
      }
      // Settle: start processes (no kills) until the run ends with its final answer.
      let settled: string | undefined;
      for (let i = 0; i < 4 && !settled?.startsWith('completed'); i++)
        settled = (await runInterruptChild(db, sessionId, ledger, 'interrupt', undefined)).result;
      expect(settled).toBe('completed "final answer"');
      const store = new SqliteSessionStore(db);
      const session = (await store.getSession(sessionId))!;
      const messages = fromSessionMessages(session.messages);
      expect(validateHistory(messages)).toEqual([]);
      expect(messages.at(-1)).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'final answer' }] });
      // No call of the tool that is not retry-safe ran twice; every success it reported ran once.
      const started = readFileSync(ledger, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' '));
      const writes = started.filter(([, name]) => name === 'write_record').map(([id]) => id!);
      expect(new Set(writes).size).toBe(writes.length);
      // Nothing is left pending: the run-state record is idle, or there is none. A record is
      // written only for a call-started marker (tools that are not retry-safe), an interrupt,
      // thread state or an applied resume. A kill after the model's tool-call turn is stored but
      // before any of those is ('wait': while the process holds the approval itself; 'interrupt':
      // before the interrupt is written) leaves that turn open with no record; the next start's
      // resume([]) closes both calls as interrupted (the write never started) and the model
      // answers, still without a record. A session whose every start ended so (or before its
      // prompt was stored) completes with none. Records are never deleted and a write's marker
      // is stored before it runs, so no record means no write_record call ever started.
      const runState = await store.loadRunState(sessionId);
      const missing = `no record, yet ${writes.length} write_record call(s) started`;
      expect(runState?.status ?? (writes.length === 0 ? 'idle' : missing)).toBe('idle');
      expect(runState?.interrupts ?? []).toEqual([]);
      const succeeded = messages
        .flatMap((m) => m.content)
        .filter((b) => b.type === 'tool_result' && b.toolUseId.startsWith('w_') && !b.isError);
      for (const b of succeeded) expect(writes).toContain((b as { toolUseId: string }).toolUseId);
      await store.close();
      return { writes: writes.length, reads: started.length - writes.length, succeeded: succeeded.length };
    };
    const totals = await Promise.all(sessions.map(worker));
    console.log(
      `interrupt crash safety: kills=${kills} clean exits=${exits} actions=${JSON.stringify(Object.fromEntries(actions))} ` +
        `write calls started=${totals.reduce((n, t) => n + t.writes, 0)} (each once) writes succeeded=${totals.reduce((n, t) => n + t.succeeded, 0)} read calls started=${totals.reduce((n, t) => n + t.reads, 0)}`,
    );
    expect(kills).toBeGreaterThanOrEqual(INTERRUPT_KILLS);
  },
);

it('a run killed while its process holds an approval, before anything is recorded, is continued by the next start to the final answer with no record and no write', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mixtape-interrupt-hold-'));
  const db = path.join(dir, 'sessions.db');
  const sessionId = randomUUID();
  const ledger = path.join(dir, 'ledger');
  writeFileSync(ledger, '');
  // 'hold' never answers the approval of write_record: the kill lands while it waits, after the
  // model's tool-call turn is stored and before any call-started marker or interrupt is.
  const { killed } = await runChild(interruptFixture, [db, sessionId, ledger, 'hold'], (line, killAfter) => {
    if (line === 'APPROVAL') killAfter(0);
  });
  expect(killed).toBe(true);
  const store = new SqliteSessionStore(db);
  expect(await store.loadRunState(sessionId)).toBeNull();
  expect((await store.getSession(sessionId))!.messages.at(-1)!.toolCalls.map((c) => c.name)).toEqual(['write_record', 'read_record']);
  // The next start continues the open turn: no run owns its calls, so they are closed as
  // interrupted (the write never ran) and the model answers; nothing is pending, so no record.
  expect(await runInterruptChild(db, sessionId, ledger, 'interrupt', undefined)).toEqual({
    killed: false,
    action: 'continue',
    result: 'completed "final answer"',
  });
  const messages = fromSessionMessages((await store.getSession(sessionId))!.messages);
  expect(validateHistory(messages)).toEqual([]);
  const results = messages.at(-2)!.content.flatMap((b) => (b.type === 'tool_result' ? [[b.toolUseId.slice(0, 2), b.isError]] : []));
  expect(results).toEqual([
    ['w_', true],
    ['r_', true],
  ]);
  expect(readFileSync(ledger, 'utf8')).not.toContain('write_record');
  expect(await store.loadRunState(sessionId)).toBeNull();
  await store.close();
});
