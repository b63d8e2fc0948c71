/**
 * Durable runs: an HTTP server (AG-UI over SSE) that hands its runs to two worker processes
 * through PostgreSQL (@mixtape/runs on pg-boss). The example starts a run, SIGKILLs the worker
 * executing it in the middle, and the run still finishes once, on the other worker — the client's
 * stream never notices. Then it re-attaches to the finished run by its id and gets the same events.
 *
 * Run: DATABASE_URL=postgres://… node --conditions=mixtape-source --import tsx examples/durable-runs.ts
 * (the same file is each worker: `… examples/durable-runs.ts worker`).
 *
 * ANTHROPIC_API_KEY: talk to Claude (DEFAULT_MODEL). Without it a small offline demo model answers
 * "count to N" by calling the `tick` tool N times, one call per step.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { HttpAgent } from '@ag-ui/client';
import type { BaseEvent } from '@ag-ui/core';
import { z } from 'zod';
import { Agent, DEFAULT_MODEL, type Message, type Model, tool } from '@mixtape/core';
import { PostgresSessionStore } from '@mixtape/postgres';
import { createRuns, startWorker } from '@mixtape/runs';
import { createServer, serve } from '@mixtape/server';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('Set DATABASE_URL to a PostgreSQL database (the runs, their events and the sessions live there).');
  process.exit(2);
}

/** A slow tool, so there is time to kill a worker mid-run. */
const tick = tool({
  name: 'tick',
  description: 'Counts one step (takes a moment)',
  input: z.object({ n: z.number() }),
  execute: async ({ n }, ctx) => {
    await sleep(250, undefined, { signal: ctx.signal });
    return `tick ${n}`;
  },
});

/** Offline demo model: "count to N" → N steps of `tick`, then a final answer. Depends only on the history. */
const demoModel: Model = {
  provider: 'demo',
  modelId: 'demo',
  async *stream({ messages }: { messages: Message[] }) {
    let promptAt = messages.length - 1;
    while (promptAt > 0 && !messages[promptAt]!.content.some((b) => b.type === 'text' && /^count to \d+/.test(b.text))) promptAt--;
    const prompt = messages[promptAt]!.content.find((b) => b.type === 'text') as { text: string } | undefined;
    const n = Number(/^count to (\d+)/.exec(prompt?.text ?? '')?.[1] ?? 1);
    const done = messages.slice(promptAt + 1).filter((m) => m.role === 'assistant').length;
    const usage = { inputTokens: 0, outputTokens: 0 };
    if (done >= n) {
      yield { type: 'text_delta', text: `Counted to ${n}.` };
      yield { type: 'response', response: { content: [{ type: 'text', text: `Counted to ${n}.` }], stopReason: 'end_turn', usage } };
      return;
    }
    yield { type: 'text_delta', text: `Step ${done + 1}. ` };
    const call = { type: 'tool_use' as const, id: `toolu_${promptAt}_${done + 1}`, name: 'tick', input: { n: done + 1 } };
    yield { type: 'response', response: { content: [{ type: 'text', text: `Step ${done + 1}. ` }, call], stopReason: 'tool_use', usage } };
  },
};

async function pickModel(): Promise<Model> {
  if (!process.env.ANTHROPIC_API_KEY) return demoModel;
  const { anthropic } = await import('@mixtape/anthropic');
  return anthropic(DEFAULT_MODEL);
}

const sessionStore = new PostgresSessionStore({ connectionString: url });
const model = await pickModel();
const agentFactory = ({ threadId }: { threadId: string }) =>
  new Agent({ model, tools: [tick], sessionStore, sessionId: threadId, systemPrompt: 'Use the tick tool to count, one call per step.' });

if (process.argv[2] === 'worker') {
  // A worker process: executes runs until SIGTERM (then finishes or hands back what it runs).
  const worker = await startWorker({
    connectionString: url,
    sessionStore,
    concurrency: 2,
    leaseMs: 2000,
    retryDelaySeconds: 0,
    agentFactory,
  });
  console.log(`worker ${worker.id} ready`);
  process.once('SIGTERM', () => void worker.stop({ graceMs: 5000 }).then(() => process.exit(0)));
} else {
  // The server: POST /agent queues a run and streams its events from PostgreSQL.
  const runs = createRuns({ connectionString: url });
  const token = randomUUID();
  const server = createServer({ agentFactory: (threadId) => agentFactory({ threadId }), sessionStore, auth: { token }, durable: { runs } });
  const running = await serve(server, { port: 0 });
  console.log(`server listening on ${running.url}`);

  const self = fileURLToPath(import.meta.url);
  const workers = new Map<number, ChildProcess>();
  for (let i = 0; i < 2; i++) {
    const child = spawn(process.execPath, [...process.execArgv, self, 'worker'], { stdio: ['ignore', 'pipe', 'inherit'] });
    workers.set(child.pid!, child);
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
  }
  console.log(`two workers ready (pids ${[...workers.keys()].join(', ')})`);

  const threadId = randomUUID();
  const runId = randomUUID();
  const client = new HttpAgent({ url: `${running.url}/agent`, threadId, headers: { Authorization: `Bearer ${token}` } });
  client.addMessage({ id: randomUUID(), role: 'user', content: 'count to 6' });
  let killed: number | undefined;
  const seen: string[] = [];
  const result = await client.runAgent(
    { runId },
    {
      onEvent: ({ event }: { event: BaseEvent }) => {
        seen.push(event.type);
        if (event.type === 'TOOL_CALL_RESULT' && killed === undefined) {
          killed = 0;
          // Mid-run: the run's first event names the worker executing it; kill that worker.
          void (async () => {
            for await (const e of runs.events(runId)) {
              if (e.event.type !== 'run_attempt') continue;
              killed = Number(e.event.workerId.split(':')[1]);
              workers.get(killed)?.kill('SIGKILL');
              workers.delete(killed);
              console.log(`killed worker ${killed} (SIGKILL) in the middle of the run`);
              break;
            }
          })();
        }
      },
    },
  );
  const final = await runs.status(runId);
  console.log(`answer: ${String(result.result)}`);
  console.log(
    `run ${final?.status} after ${final?.attempts} attempts; the client saw ${seen.filter((t) => t === 'TOOL_CALL_RESULT').length} tool results and one RUN_FINISHED: ${seen.filter((t) => t === 'RUN_FINISHED').length === 1}`,
  );

  // Re-attach: the same run id again replays the run's events (from PostgreSQL, on any instance).
  const again = new HttpAgent({ url: `${running.url}/agent`, threadId, headers: { Authorization: `Bearer ${token}` } });
  again.addMessage({ id: randomUUID(), role: 'user', content: 'count to 6' });
  const replayed = await again.runAgent({ runId });
  console.log(`re-attached: ${String(replayed.result)}`);

  for (const w of workers.values()) w.kill('SIGTERM');
  await Promise.all([...workers.values()].map((w) => new Promise((r) => w.once('exit', r))));
  await running.close();
  await runs.close();
  await sessionStore.close();
  console.log(killed && final?.status === 'completed' ? 'survived: the run finished once on the other worker' : 'the run did not survive');
}
