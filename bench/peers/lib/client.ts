/**
 * Child process of bench/peers.bench.ts: measures one framework against one fake server (which
 * runs in the parent process, so this process's CPU time is the client's alone). Run with
 * `--expose-gc`. Prints one line `RESULT {json}` on stdout.
 *
 * argv[2]: JSON `{ framework, provider, servers }`.
 * @module
 */
import { CONCURRENCY, CONVERSATIONS_PER_BATCH, IDLE_AGENTS, SEQUENTIAL_BATCHES, TTFT_SAMPLES, WARMUP_CONVERSATIONS, type ClientResult } from './config.js';
import { createAdapter, type Framework, type Provider, type Servers } from './frameworks.js';
import { MODEL_CALLS_PER_TASK, TASK_PROMPT, TTFT_PROMPT } from './task.js';

const gc = (globalThis as { gc?: () => void }).gc;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function cpuUs(since?: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return c.user + c.system;
}

async function main(): Promise<void> {
  const { framework, provider, servers } = JSON.parse(process.argv[2]!) as { framework: Framework; provider: Provider; servers: Servers };
  const adapter = await createAdapter(framework, provider, servers);
  const result: ClientResult = { framework, provider, supported: !!adapter };
  if (adapter) {
    for (let i = 0; i < WARMUP_CONVERSATIONS; i++) await adapter.runTask(TASK_PROMPT);
    for (let i = 0; i < 5; i++) await adapter.firstDelta(TTFT_PROMPT);

    const cpu: number[] = [];
    const wall: number[] = [];
    for (let b = 0; b < SEQUENTIAL_BATCHES; b++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < CONVERSATIONS_PER_BATCH; i++) await adapter.runTask(TASK_PROMPT);
      const steps = CONVERSATIONS_PER_BATCH * MODEL_CALLS_PER_TASK;
      wall.push(((performance.now() - t0) * 1000) / steps);
      cpu.push(cpuUs(c0) / steps);
    }
    result.cpuPerStepUs = median(cpu);
    result.wallPerStepUs = median(wall);

    const ttft: number[] = [];
    for (let i = 0; i < TTFT_SAMPLES; i++) ttft.push(await adapter.firstDelta(TTFT_PROMPT));
    result.ttftMs = median(ttft);

    if (gc) {
      gc();
      gc();
      const h0 = process.memoryUsage().heapUsed;
      const agents: unknown[] = [];
      for (let i = 0; i < IDLE_AGENTS; i++) agents.push(adapter.createAgent());
      gc();
      gc();
      result.heapPerAgentBytes = (process.memoryUsage().heapUsed - h0) / agents.length;
      agents.length = 0;
    }

    result.throughput = [];
    for (const concurrency of CONCURRENCY) {
      gc?.();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(Array.from({ length: concurrency }, () => adapter.runTask(TASK_PROMPT)));
      const wallMs = performance.now() - t0;
      result.throughput.push({ concurrency, wallMs, conversationsPerSec: (concurrency / wallMs) * 1000, cpuMsPerConversation: cpuUs(c0) / 1000 / concurrency });
    }
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

await main();
