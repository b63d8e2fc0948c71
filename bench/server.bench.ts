/**
 * Server benchmark: 100 concurrent threads (AG-UI clients) against `@mixtape/server`, each run a
 * real Anthropic-provider call to the fake Anthropic server of `@mixtape/testing` on 127.0.0.1,
 * with sessions in SQLite (one file) or PostgreSQL (a throwaway cluster), and the matching run
 * coordinator (in-process for SQLite, PostgresRunCoordinator for PostgreSQL).
 *
 * "Added latency" is what the server adds to a run: the latency of a run through HTTP + SSE
 * (POST RunAgentInput → RUN_FINISHED read) minus the latency of the same run done in-process with
 * `agent.run()` at the same concurrency, store and fake provider (percentile by percentile).
 *
 * Run: `npm run bench -- server`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { anthropic } from '@mixtape/anthropic';
import { Agent, type SessionStore } from '@mixtape/core';
import { PostgresRunCoordinator, PostgresSessionStore } from '@mixtape/postgres';
import { createServer, MemoryRunCoordinator, type RunCoordinator, serve } from '@mixtape/server';
import { SqliteSessionStore } from '@mixtape/sqlite';
import { startFakeAnthropic } from '@mixtape/testing';
import { postgresUnavailableReason, startPostgresCluster } from '../test-support/postgres-cluster.js';

/** Threads served at the same time (one client loop per thread). */
export const CONCURRENT_THREADS = 100;
/** Runs each thread makes, one after the other (its history grows by two messages per run). */
export const RUNS_PER_THREAD = 5;
/** Connections of the PostgreSQL pools (sessions store and coordinator each). */
export const PG_POOL_SIZE = 20;
const TOKEN = 'bench-token';
const ANSWER = 'The answer is forty-two, as computed by the fake provider.';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Measured {
  latencies: number[];
  seconds: number;
}

/** Runs `one(threadId, i)` for every thread concurrently, RUNS_PER_THREAD times each. */
async function load(one: (threadId: string, i: number) => Promise<void>): Promise<Measured> {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENT_THREADS }, async () => {
      const threadId = randomUUID();
      for (let i = 0; i < RUNS_PER_THREAD; i++) {
        const t = performance.now();
        await one(threadId, i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
}

/** One AG-UI run over HTTP: POST RunAgentInput, read the SSE stream to its end, check it finished. */
async function httpRun(url: string, threadId: string, i: number): Promise<void> {
  const r = await fetch(`${url}/agent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({
      threadId,
      runId: randomUUID(),
      messages: [{ id: randomUUID(), role: 'user', content: `Question ${i}` }],
      tools: [],
      context: [],
    }),
  });
  const body = await r.text();
  if (r.status !== 200 || !body.includes('"RUN_FINISHED"')) throw new Error(`run failed (${r.status}): ${body.slice(-300)}`);
}

async function measure(label: string, makeStore: () => SessionStore, makeCoordinator: () => RunCoordinator): Promise<string[]> {
  const fake = await startFakeAnthropic();
  for (let i = 0; i < 2 * CONCURRENT_THREADS * RUNS_PER_THREAD + 20; i++) fake.script.text(ANSWER);
  const model = anthropic('claude-sonnet-4-6', { baseURL: fake.baseURL, apiKey: 'fake-key', retry: { maxAttempts: 1 } });
  const store = makeStore();
  const coordinator = makeCoordinator();
  try {
    // In-process baseline: the same runs without HTTP.
    const direct = await load(async (threadId, i) => {
      await new Agent({ model, sessionStore: store, sessionId: threadId }).run(`Question ${i}`);
    });
    const server = createServer({
      agentFactory: (threadId) => new Agent({ model, sessionStore: store, sessionId: threadId }),
      sessionStore: store,
      coordinator,
      auth: { token: TOKEN },
    });
    const running = await serve(server, { port: 0 });
    try {
      const http = await load((threadId, i) => httpRun(running.url, threadId, i));
      const rps = http.latencies.length / http.seconds;
      const directRps = direct.latencies.length / direct.seconds;
      const p = (m: Measured, q: number) => percentile(m.latencies, q);
      return [
        `| ${label} | ${rps.toFixed(0)} | ${p(http, 50).toFixed(1)} | ${p(http, 99).toFixed(1)} | ${directRps.toFixed(0)} | ${p(direct, 50).toFixed(1)} | ${p(direct, 99).toFixed(1)} | ${(p(http, 50) - p(direct, 50)).toFixed(1)} | ${(p(http, 99) - p(direct, 99)).toFixed(1)} |`,
      ];
    } finally {
      await running.close({ graceMs: 0 });
    }
  } finally {
    await coordinator.close();
    await store.close?.();
    await fake.close();
  }
}

export default async function bench(): Promise<string> {
  const rows: string[] = [];
  const folder = mkdtempSync(join(tmpdir(), 'mixtape-bench-server-'));
  try {
    rows.push(
      ...(await measure(
        'SQLite (one file)',
        () => new SqliteSessionStore(join(folder, 'sessions.db')),
        () => new MemoryRunCoordinator(),
      )),
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  const unavailable = postgresUnavailableReason();
  let pgNote = '';
  if (unavailable) {
    rows.push(`| PostgreSQL | skipped: ${unavailable} | | | | | | | |`);
  } else {
    const cluster = await startPostgresCluster();
    try {
      rows.push(
        ...(await measure(
          'PostgreSQL (local cluster)',
          () => new PostgresSessionStore({ connectionString: cluster.url, poolSize: PG_POOL_SIZE }),
          () => new PostgresRunCoordinator({ connectionString: cluster.url, poolSize: PG_POOL_SIZE }),
        )),
      );
      pgNote = ' PostgreSQL runs with fsync off (a throwaway cluster), so its numbers are a lower bound for a durable server.';
    } finally {
      cluster.stop();
    }
  }
  return [
    '## Server (AG-UI over SSE): 100 concurrent threads',
    '',
    `${CONCURRENT_THREADS} threads at once, ${RUNS_PER_THREAD} runs each (${CONCURRENT_THREADS * RUNS_PER_THREAD} runs per row); every run is one Anthropic Messages call to the fake provider server on 127.0.0.1 through @mixtape/anthropic. ` +
      `"Direct" is the same load with \`agent.run()\` in-process (no HTTP); "added" is server minus direct at the same percentile.${pgNote} Latencies in ms; server and clients share this machine's CPUs.`,
    '',
    '| Session store | Server runs/s | Server p50 | Server p99 | Direct runs/s | Direct p50 | Direct p99 | Added p50 | Added p99 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}
