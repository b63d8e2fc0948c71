/**
 * Re-attaching through the AG-UI client: @mixtape/server in durable mode hands a run to worker
 * processes; a client (@ag-ui/client HttpAgent) drops its connection mid-run, the worker running
 * the run is SIGKILLed, and a second client re-attaches with the same AG-UI run id while the run
 * goes on elsewhere. The re-attached client receives every event of the run exactly once, in
 * order: the same sequence a client gets by attaching after the run ended.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { HttpAgent } from '@ag-ui/client';
import type { BaseEvent } from '@ag-ui/core';
import pg from 'pg';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, tool } from '@mixtape/core';
import { PostgresSessionStore } from '@mixtape/postgres';
import { createRuns } from '@mixtape/runs';
import { createServer, serve } from '@mixtape/server';
import { createTestDatabase, describePostgres } from '../test-support/postgres.js';
import { spawnTs, waitForLine } from '../test-support/processes.js';
import { PlanModel, planPrompt } from '../packages/runs/test/support/plan-model.js';

const fixture = path.join(import.meta.dirname, 'fixtures', 'durable-runs-worker.ts');
const TOKEN = 'agui-token';

/** What identifies an AG-UI event in a sequence (timestamps aside). */
function key(e: BaseEvent): string {
  const { timestamp: _t, rawEvent: _r, ...rest } = e;
  if (rest.type === 'RUN_FINISHED') return JSON.stringify({ type: rest.type, result: (rest as { result?: unknown }).result });
  return JSON.stringify(rest);
}

describePostgres('durable server: re-attaching through the AG-UI client', () => {
  it('a client that re-attaches mid-run (its worker killed) receives every event once, in order', { timeout: 240_000 }, async () => {
    const url = await createTestDatabase('durable_agui');
    const admin = new pg.Pool({ connectionString: url, max: 1 });
    await admin.query(
      'CREATE TABLE tool_exec (tool_use_id TEXT NOT NULL, worker TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())',
    );
    const sessionStore = new PostgresSessionStore({ connectionString: url });
    const runs = createRuns({ connectionString: url, retryLimit: 10, retryDelaySeconds: 0, retryBackoff: false });
    await runs.list('warm-up');
    const record = tool({
      name: 'record',
      description: 'records one step of a plan',
      input: z.object({}).passthrough(),
      execute: () => 'unused here',
    });
    const server = createServer({
      agentFactory: (threadId) => new Agent({ model: new PlanModel(), tools: [record], sessionStore, sessionId: threadId }),
      sessionStore,
      auth: { token: TOKEN },
      durable: { runs },
    });
    const running = await serve(server, { port: 0 });
    const workers: ChildProcess[] = [];
    const startWorker = async (name: string) => {
      const child = spawnTs(fixture, [url, name]);
      child.stdin!.end();
      workers.push(child);
      await waitForLine(child, 'READY');
      return child;
    };
    try {
      const first = await startWorker('a');
      const threadId = randomUUID();
      const runId = randomUUID();
      const prompt = planPrompt({ tag: 'agui', steps: 6, fanout: 2, jitterMs: 40 });
      const client = (abortController?: AbortController) => {
        const a = new HttpAgent({ url: `${running.url}/agent`, threadId, headers: { Authorization: `Bearer ${TOKEN}` } });
        a.addMessage({ id: 'prompt-1', role: 'user', content: prompt });
        return {
          agent: a,
          run: (onEvent: (e: BaseEvent) => void) =>
            a.runAgent({ runId, ...(abortController ? { abortController } : {}) }, { onEvent: ({ event }) => onEvent(event) }),
        };
      };

      // Client A: leaves after the first tool result.
      const dropped: BaseEvent[] = [];
      const abort = new AbortController();
      const a = client(abort);
      await a
        .run((e) => {
          dropped.push(e);
          if (e.type === 'TOOL_CALL_RESULT') abort.abort();
        })
        .catch(() => undefined); // the aborted stream rejects or resolves; either way client A is gone
      expect(dropped.some((e) => e.type === 'TOOL_CALL_RESULT')).toBe(true);

      // The worker running it dies; another takes over after the lease.
      first.kill('SIGKILL');
      await startWorker('b');

      // Client B re-attaches with the same run id while the run goes on.
      const reattached: BaseEvent[] = [];
      const b = await client().run((e) => reattached.push(e));
      expect(b.result).toBe('done agui');
      const info = await runs.status(runId);
      expect(info?.status).toBe('completed');
      expect(info!.attempts).toBeGreaterThanOrEqual(2);

      // Client C attaches after the end: the whole run, replayed.
      const replay: BaseEvent[] = [];
      await client().run((e) => replay.push(e));

      const keys = reattached.map(key);
      expect(keys).toEqual(replay.map(key));
      // What client A got before it left is the start of the same sequence (the AG-UI client adds its own RUN_ERROR on abort).
      const received = dropped.filter((e) => !(e.type === 'RUN_ERROR' && (e as { code?: string }).code === 'abort'));
      expect(received.length).toBeGreaterThan(0);
      expect(received.map(key)).toEqual(keys.slice(0, received.length));
      expect(reattached[0]!.type).toBe('RUN_STARTED');
      expect(reattached.filter((e) => e.type === 'RUN_STARTED')).toHaveLength(1);
      expect(reattached.filter((e) => e.type === 'RUN_FINISHED')).toHaveLength(1);
      expect(reattached.at(-1)!.type).toBe('RUN_FINISHED');
      // Every tool call of the plan has its result in the stream.
      const results = reattached
        .filter((e) => e.type === 'TOOL_CALL_RESULT')
        .map((e) => (e as unknown as { toolCallId: string }).toolCallId);
      expect(new Set(results).size).toBe(12);
    } finally {
      for (const w of workers) w.kill('SIGKILL');
      await running.close();
      await runs.close();
      await sessionStore.close();
      await admin.end();
    }
  });
});
