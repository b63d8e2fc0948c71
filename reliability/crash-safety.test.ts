/**
 * Crash safety: a child process running an agent with tools is killed with SIGKILL at random
 * points, over and over, on the same session. After every kill the session loads, is a valid
 * provider history, and holds every message the child had reported as stored.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
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

function runAndKill(db: string, sessionId: string, killAfterMs: number): Promise<{ stored: number; done: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', fixture, db, sessionId, '40'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stored = -1;
    let done = false;
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith('STORED ')) {
          stored = Number(line.slice(7));
          // Start the kill clock at the first durable step, so kills land mid-run.
          timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        }
        if (line === 'DONE') done = true;
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`crash-agent exited with ${code}: ${err}`));
      else resolve({ stored, done });
    });
  });
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
  console.log(`crash safety: runs=${kills + completedRuns} kills=${kills} completed=${completedRuns} sessions checked=${checked} losses=${lost}`);
  expect(lost).toBe(0);
  expect(kills).toBeGreaterThanOrEqual(KILLS);
});
