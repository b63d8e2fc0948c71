/**
 * Durable runs benchmark (`@mixtape/runs` on pg-boss): throughput and latency of runs executed by
 * 1, 2 and 4 workers versus the same runs in-process with `agent.run()`, and the queue's overhead
 * per agent step. Every model call goes to the fake Anthropic server of `@mixtape/testing` on
 * 127.0.0.1 through @mixtape/anthropic; sessions are in PostgreSQL (a throwaway local cluster).
 *
 * Workers are separate processes (as deployed), each a `startWorker` with concurrency 4; the
 * in-process baseline runs `agent.run()` in this process at the same total concurrency. A durable
 * run's latency is `start()` → `result()` resolved, so it includes queueing, pickup, event
 * persistence and the end notification.
 *
 * Run: `node --conditions=mixtape-source --import tsx bench/run.ts runs`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { anthropic } from '@mixtape/anthropic';
import { Agent, type Model, tool } from '@mixtape/core';
import { PostgresSessionStore } from '@mixtape/postgres';
import { createRuns } from '@mixtape/runs';
import { type FakeServer, startFakeAnthropic } from '@mixtape/testing';
import { postgresUnavailableReason, startPostgresCluster } from '../test-support/postgres-cluster.js';

/** Runs per throughput row. */
export const RUNS_PER_ROW = 200;
/** Concurrency of one worker (and per worker of the in-process baseline). */
export const WORKER_CONCURRENCY = 4;
/** Worker counts compared. */
export const WORKER_COUNTS = [1, 2, 4] as const;
/** Sequential runs per step-overhead measurement. */
export const STEP_RUNS = 40;
/** Tool steps of the long runs of the step-overhead measurement. */
export const LONG_RUN_TOOL_STEPS = 16;
const ANSWER = 'The answer is forty-two, as computed by the fake provider.';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Measured {
  latencies: number[];
  seconds: number;
}

/** `total` runs over `concurrency` loops. */
async function load(total: number, concurrency: number, one: () => Promise<void>): Promise<Measured> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const t = performance.now();
        await one();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
}

const noop = tool({ name: 'noop', description: 'does nothing', input: z.object({ i: z.number() }), execute: ({ i }) => `ok ${i}` });

/** A worker process: the same agent as the in-process baseline, on the fake Anthropic server. */
const WORKER_SOURCE = `
import { z } from 'zod';
import { anthropic } from '@mixtape/anthropic';
import { Agent, tool } from '@mixtape/core';
import { PostgresSessionStore } from '@mixtape/postgres';
import { startWorker } from '@mixtape/runs';
const { DATABASE_URL: url, FAKE_URL: baseURL, CONCURRENCY } = process.env;
const model = anthropic('claude-sonnet-4-6', { baseURL, apiKey: 'fake-key', retry: { maxAttempts: 1 } });
const noop = tool({ name: 'noop', description: 'does nothing', input: z.object({ i: z.number() }), execute: ({ i }) => 'ok ' + i });
const store = new PostgresSessionStore({ connectionString: url, poolSize: 10 });
const worker = await startWorker({ connectionString: url, sessionStore: store, concurrency: Number(CONCURRENCY), pollingIntervalSeconds: 0.5, poolSize: 10, onError: () => {},
  agentFactory: ({ threadId }) => new Agent({ model, tools: [noop], sessionStore: store, sessionId: threadId }) });
console.log('READY');
process.once('SIGTERM', () => void worker.stop({ graceMs: 1000 }).then(() => store.close()).then(() => process.exit(0)));
`;

/** Starts `n` worker processes; resolves once all take runs. */
async function startWorkerProcesses(n: number, url: string, fakeURL: string, concurrency: number): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: n }, () => {
      const child = spawn(
        process.execPath,
        ['--conditions=mixtape-source', '--import', 'tsx', '--input-type=module', '-e', WORKER_SOURCE],
        {
          cwd: fileURLToPath(new URL('..', import.meta.url)),
          env: { ...process.env, DATABASE_URL: url, FAKE_URL: fakeURL, CONCURRENCY: String(concurrency) },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      return new Promise<ChildProcess>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('READY') && resolve(child));
        child.once('exit', (code) => reject(new Error(`bench worker exited (${code}) before it was ready`)));
      });
    }),
  );
}

/** Stops worker processes (SIGTERM: graceful) and waits for them to exit. */
async function stopWorkerProcesses(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
}

function script(fake: FakeServer, runs: number, toolSteps: number): void {
  for (let r = 0; r < runs; r++) {
    for (let s = 0; s < toolSteps; s++) fake.script.toolUse('noop', { i: s });
    fake.script.text(ANSWER);
  }
}

export default async function bench(): Promise<string> {
  const unavailable = postgresUnavailableReason();
  if (unavailable) return `## Durable runs (pg-boss)\n\nSkipped: ${unavailable}`;
  const cluster = await startPostgresCluster({ maxConnections: 200 });
  const fake = await startFakeAnthropic({ keepAliveTimeoutMs: 60_000 });
  const model: Model = anthropic('claude-sonnet-4-6', { baseURL: fake.baseURL, apiKey: 'fake-key', retry: { maxAttempts: 1 } });
  const store = new PostgresSessionStore({ connectionString: cluster.url, poolSize: 20 });
  const options = { connectionString: cluster.url, pollingIntervalSeconds: 0.5, poolSize: 10, onError: () => {} };
  const runs = createRuns(options);
  const agentFactory = ({ threadId }: { threadId: string }) =>
    new Agent({ model, tools: [noop], sessionStore: store, sessionId: threadId });
  const rows: string[] = [];
  const stepRows: string[] = [];
  try {
    await runs.list('warm-up');
    for (const n of WORKER_COUNTS) {
      const concurrency = n * WORKER_CONCURRENCY;
      script(fake, RUNS_PER_ROW, 0);
      const direct = await load(RUNS_PER_ROW, concurrency, async () => {
        await agentFactory({ threadId: randomUUID() }).run('Question');
      });
      const workers = await startWorkerProcesses(n, cluster.url, fake.baseURL, WORKER_CONCURRENCY);
      try {
        script(fake, RUNS_PER_ROW, 0);
        const durable = await load(RUNS_PER_ROW, concurrency, async () => {
          const id = await runs.start(randomUUID(), 'Question');
          const info = await runs.result(id);
          if (info.status !== 'completed') throw new Error(`run ${id} ended ${info.status}: ${JSON.stringify(info.error)}`);
        });
        const rps = RUNS_PER_ROW / durable.seconds;
        const directRps = RUNS_PER_ROW / direct.seconds;
        const p = (m: Measured, q: number) => percentile(m.latencies, q);
        rows.push(
          `| ${n} | ${concurrency} | ${directRps.toFixed(0)} | ${rps.toFixed(0)} | ${(rps / directRps).toFixed(2)} | ${p(direct, 50).toFixed(1)} | ${p(durable, 50).toFixed(1)} | ${(p(durable, 50) - p(direct, 50)).toFixed(1)} | ${(p(durable, 95) - p(direct, 95)).toFixed(1)} |`,
        );
      } finally {
        await stopWorkerProcesses(workers);
      }
    }

    // Queue overhead per step: one run at a time on one worker, short (1 model call) and long runs.
    const worker = (await startWorkerProcesses(1, cluster.url, fake.baseURL, 1))[0]!;
    try {
      const median = async (toolSteps: number, durable: boolean) => {
        script(fake, STEP_RUNS, toolSteps);
        const m = await load(STEP_RUNS, 1, async () => {
          if (!durable) {
            await agentFactory({ threadId: randomUUID() }).run('Question');
            return;
          }
          const info = await runs.result(await runs.start(randomUUID(), 'Question'));
          if (info.status !== 'completed') throw new Error(`run ended ${info.status}`);
        });
        return percentile(m.latencies, 50);
      };
      const d1 = await median(0, false);
      const q1 = await median(0, true);
      const dn = await median(LONG_RUN_TOOL_STEPS, false);
      const qn = await median(LONG_RUN_TOOL_STEPS, true);
      const perStepDirect = (dn - d1) / LONG_RUN_TOOL_STEPS;
      const perStepDurable = (qn - q1) / LONG_RUN_TOOL_STEPS;
      stepRows.push(
        `| 1 model call | ${d1.toFixed(1)} | ${q1.toFixed(1)} | ${(q1 - d1).toFixed(1)} | ${(q1 / d1).toFixed(2)} |`,
        `| ${LONG_RUN_TOOL_STEPS + 1} model calls, ${LONG_RUN_TOOL_STEPS} tool steps | ${dn.toFixed(1)} | ${qn.toFixed(1)} | ${(qn - dn).toFixed(1)} | ${(qn / dn).toFixed(2)} |`,
        `| per extra step (model call + tool) | ${perStepDirect.toFixed(2)} | ${perStepDurable.toFixed(2)} | ${(perStepDurable - perStepDirect).toFixed(2)} | ${(perStepDurable / perStepDirect).toFixed(2)} |`,
      );
    } finally {
      await stopWorkerProcesses([worker]);
    }
  } finally {
    await runs.close();
    await store.close();
    await fake.close();
    cluster.stop();
  }
  return [
    '## Durable runs (@mixtape/runs on pg-boss) vs in-process runs',
    '',
    `${RUNS_PER_ROW} runs per row, each one Anthropic Messages call to the fake provider server on 127.0.0.1 (a new thread per run, sessions in PostgreSQL with fsync off). ` +
      `Workers are separate processes (\`startWorker\`, concurrency ${WORKER_CONCURRENCY} each); the in-process baseline runs \`agent.run()\` in the bench process at the same total concurrency. ` +
      'A durable run is timed from `runs.start()` to `runs.result()` resolving. Added latency = durable minus in-process at the same percentile (ms). ' +
      `This machine has ${os.cpus().length} CPUs shared by everything here (bench, workers, PostgreSQL, fake server): rows with more worker processes than CPUs measure CPU contention as much as the queue.`,
    '',
    '| Workers | Concurrency | In-process runs/s | Durable runs/s | Durable / in-process | In-process p50 | Durable p50 | Added p50 | Added p95 |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Queue overhead per step: one run at a time on one worker (concurrency 1), median of ${STEP_RUNS} runs (ms).`,
    '',
    '| Run | In-process | Durable | Added | Ratio |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...stepRows,
  ].join('\n');
}
