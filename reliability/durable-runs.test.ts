/**
 * Durable runs under fire: 3 worker processes on one PostgreSQL execute 300 runs with tool calls
 * (100 threads × 3 runs in a row) while workers are SIGKILLed at random points and replaced.
 * Every run ends exactly once, completed, with a valid history; no tool call runs twice; a client
 * that keeps dropping and re-attaching to runs' event streams gets every event once, in order;
 * nothing is left locked or queued.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { expect, it } from 'vitest';
import { fromSessionMessages } from '@mixtape/core';
import { validateHistory } from '@mixtape/core/testing';
import { PostgresSessionStore } from '@mixtape/postgres';
import { createRuns, type RunEvent, type Runs } from '@mixtape/runs';
import { createTestDatabase, describePostgres } from '../test-support/postgres.js';
import { spawnTs } from '../test-support/processes.js';
import { planPrompt } from '../packages/runs/test/support/plan-model.js';

const WORKERS = 3;
const THREADS = Number(process.env.MIXTAPE_DURABLE_THREADS ?? 100);
const RUNS_PER_THREAD = 3;
/** Kills per run of the suite (the issue asks for 30+). */
const MIN_KILLS = Number(process.env.MIXTAPE_DURABLE_KILLS ?? 30);
/** Times a worker that fails before READY is started again before the suite fails. */
const MAX_START_FAILURES = 2;
const fixture = path.join(import.meta.dirname, 'fixtures', 'durable-runs-worker.ts');

interface Slot {
  child: ChildProcess;
  ready: boolean;
  /** Tool calls it started. */
  tools: number;
}

describePostgres('durable runs reliability', () => {
  it(
    `${WORKERS} workers, ${THREADS * RUNS_PER_THREAD} runs, ${MIN_KILLS}+ SIGKILLs: every run ends once, no tool call runs twice`,
    { timeout: 600_000 },
    async () => {
      const url = await createTestDatabase('durable');
      const admin = new pg.Pool({ connectionString: url, max: 2 });
      await admin.query(
        'CREATE TABLE tool_exec (tool_use_id TEXT NOT NULL, worker TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())',
      );
      const runs: Runs = createRuns({ connectionString: url, retryLimit: 40, retryDelaySeconds: 0, retryBackoff: false });
      const watcher: Runs = createRuns({ connectionString: url });
      const store = new PostgresSessionStore({ connectionString: url });
      // Create the tables and queues before the workers race to.
      await runs.list('warm-up');

      let done = false;
      let kills = 0;
      // A worker that dies on its own (not killed by the suite) fails the suite at once.
      let crashed!: (e: Error) => void;
      const crash = new Promise<never>((_, reject) => (crashed = reject));
      const slots: Slot[] = [];
      const spawnWorker = (i: number, startFailures = 0) => {
        const child = spawnTs(fixture, [url, `w${i}`]);
        child.stdin!.end();
        const slot: Slot = { child, ready: false, tools: 0 };
        let buf = '';
        child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line === 'READY') slot.ready = true;
            else if (line === 'TOOL') slot.tools++;
          }
        });
        let err = '';
        child.stderr!.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-4000)));
        child.on('exit', (code, signal) => {
          if (signal === 'SIGKILL' || done) return;
          // A replacement that fails before it is ready is started again (a shared development tree can
          // be caught mid-save); one that fails again, or after it was ready, fails the suite.
          if (!slot.ready && startFailures < MAX_START_FAILURES) spawnWorker(i, startFailures + 1);
          else crashed(new Error(`worker w${i} exited on its own (${code}, ${signal}): ${err}`));
        });
        slots[i] = slot;
      };
      for (let i = 0; i < WORKERS; i++) spawnWorker(i);

      // The killer: picks a busy worker (while another one is up), lets it run a random number of
      // tool calls plus a random moment (so kills land in model calls, tools and writes alike), kills
      // it with SIGKILL and starts a replacement. Progress, not wall time, paces it.
      const killer = (async () => {
        while (!done) {
          await new Promise((r) => setTimeout(r, 20));
          const up = slots.filter((s) => s.ready);
          const busy = slots.map((s, i) => [s, i] as const).filter(([s]) => s.ready && s.tools > 0);
          if (up.length < 2 || !busy.length) continue;
          const [slot, i] = busy[Math.floor(Math.random() * busy.length)]!;
          const target = slot.tools + 1 + Math.floor(Math.random() * 4);
          while (!done && slot.tools < target && slot.child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
          if (done || slot.child.exitCode !== null) continue;
          await new Promise((r) => setTimeout(r, Math.random() * 60));
          slot.child.kill('SIGKILL');
          kills++;
          spawnWorker(i);
        }
      })();

      // A client that drops its event stream after a few events and re-attaches (through another client instance).
      const reattach = async (runId: string): Promise<RunEvent[]> => {
        const seen: RunEvent[] = [];
        let after = 0;
        for (let round = 0; ; round++) {
          const client = round % 2 === 0 ? runs : watcher;
          const take = 1 + Math.floor(Math.random() * 6);
          let n = 0;
          let ended = false;
          for await (const e of client.events(runId, { after })) {
            seen.push(e);
            after = e.id;
            if (e.event.type === 'run_ended') ended = true;
            if (++n >= take) break;
          }
          if (ended || seen.at(-1)?.event.type === 'run_ended') return seen;
        }
      };

      const tags: string[] = [];
      const reattached: { runId: string; events: Promise<RunEvent[]> }[] = [];
      const started = Date.now();
      await Promise.race([
        crash,
        Promise.all(
          Array.from({ length: THREADS }, async (_, t) => {
            for (let r = 0; r < RUNS_PER_THREAD; r++) {
              const tag = `t${t}r${r}`;
              tags.push(tag);
              const runId = await runs.start(`thread-${t}`, planPrompt({ tag, steps: 3 + (t % 3), fanout: 1 + (r % 2), jitterMs: 6 }), {
                runId: tag,
              });
              if ((t + r) % 10 === 0) reattached.push({ runId, events: reattach(runId) });
              const info = await runs.result(runId);
              expect(info.status, `${tag}: ${JSON.stringify(info.error)}`).toBe('completed');
            }
          }),
        ),
      ]).catch((e: unknown) => {
        done = true;
        for (const s of slots) s.child.kill('SIGKILL');
        throw e;
      });
      const seconds = (Date.now() - started) / 1000;
      done = true;
      await killer;
      // Jobs that a killed worker had fetched are released by the survivors' reaper one lease later.
      const unfinishedJobs = async () =>
        Number((await admin.query(`SELECT count(*) AS n FROM pgboss.job WHERE name = 'mixtape-runs' AND state < 'completed'`)).rows[0].n);
      while ((await unfinishedJobs()) > 0) await new Promise((r) => setTimeout(r, 200));
      await Promise.all(
        slots.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
              s.child.once('exit', () => resolve());
              s.child.kill('SIGTERM');
            }),
        ),
      );

      // Every run ended exactly once, and its event stream ends with that one ending.
      const { rows: ended } = await admin.query<{ run_id: string; n: string; last: string; max: string }>(
        `SELECT run_id, count(*) FILTER (WHERE event->>'type' = 'run_ended') AS n,
              max(seq) FILTER (WHERE event->>'type' = 'run_ended') AS last, max(seq) AS max
       FROM mixtape_run_events GROUP BY run_id`,
      );
      expect(ended).toHaveLength(tags.length);
      for (const r of ended) {
        expect(Number(r.n), r.run_id).toBe(1);
        expect(r.last).toBe(r.max);
      }
      const { rows: attempts } = await admin.query<{ total: string; retried: string }>(
        `SELECT sum(attempts) AS total, count(*) FILTER (WHERE attempts > 1) AS retried FROM mixtape_runs`,
      );

      // Valid histories; each run's prompt and final answer appear exactly once.
      for (let t = 0; t < THREADS; t++) {
        const session = await store.getSession(`thread-${t}`);
        expect(session, `thread-${t}`).not.toBeNull();
        expect(validateHistory(fromSessionMessages(session!.messages)), `thread-${t}`).toEqual([]);
        for (let r = 0; r < RUNS_PER_THREAD; r++) {
          const tag = `t${t}r${r}`;
          expect(
            session!.messages.filter((m) => m.role === 'user' && m.content.includes(`"tag":"${tag}"`)),
            tag,
          ).toHaveLength(1);
          expect(
            session!.messages.filter((m) => m.role === 'assistant' && m.content === `done ${tag}`),
            tag,
          ).toHaveLength(1);
        }
      }

      // No tool call ran twice.
      const { rows: twice } = await admin.query(`SELECT tool_use_id, count(*) FROM tool_exec GROUP BY tool_use_id HAVING count(*) > 1`);
      const { rows: calls } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM tool_exec`);
      expect(twice).toEqual([]);

      // Re-attaching clients saw every event once, in order.
      for (const { runId, events } of reattached) {
        const got = await events;
        const { rows } = await admin.query<{ seq: number }>(`SELECT seq FROM mixtape_run_events WHERE run_id = $1 ORDER BY seq`, [runId]);
        expect(
          got.map((e) => e.id),
          runId,
        ).toEqual(rows.map((r) => r.seq));
      }

      // Nothing left locked or queued.
      const { rows: active } = await admin.query(
        `SELECT id, status FROM mixtape_runs WHERE status NOT IN ('completed', 'interrupted', 'failed', 'cancelled', 'dead') OR owner IS NOT NULL`,
      );
      expect(active).toEqual([]);
      const { rows: jobs } = await admin.query(`SELECT id, state FROM pgboss.job WHERE name = 'mixtape-runs' AND state < 'completed'`);
      expect(jobs).toEqual([]);
      const { rows: dead } = await admin.query(`SELECT id FROM pgboss.job WHERE name = 'mixtape-runs-dead'`);
      expect(dead).toEqual([]);
      const { rows: locks } = await admin.query(
        `SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(locks).toEqual([]);
      const { rows: idleTx } = await admin.query(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
      );
      expect(idleTx).toEqual([]);

      console.log(
        `durable runs: workers=${WORKERS} runs=${tags.length} completed=${ended.length} kills=${kills} attempts=${attempts[0]!.total} runs retried=${attempts[0]!.retried} tool calls=${calls[0]!.n} duplicate tool calls=${twice.length} re-attached streams=${reattached.length} seconds=${seconds.toFixed(1)}`,
      );
      expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);
      await runs.close();
      await watcher.close();
      await store.close();
      await admin.end();
    },
  );
});
