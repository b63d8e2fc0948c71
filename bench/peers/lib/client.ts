/**
 * Child process of bench/peers.bench.ts: one framework against one fake server (the servers run
 * in the parent, so this process's CPU time is the client's alone). Started with `--expose-gc`
 * and an IPC channel; warms up, says `ready`, then runs the parent's commands one at a time.
 *
 * argv[2]: JSON `{ framework, provider, servers }`.
 * @module
 */
import { THROUGHPUT_WARMUP, WARMUP_CONVERSATIONS, type Command, type Reply } from './config.js';
import { createAdapter, type Adapter, type Framework, type Provider, type Servers } from './frameworks.js';
import { MODEL_CALLS_PER_TASK, TASK_PROMPT, TTFT_PROMPT } from './task.js';

const gc = (globalThis as { gc?: () => void }).gc;

function cpuUs(since?: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return c.user + c.system;
}

async function execute(adapter: Adapter, command: Exclude<Command, { cmd: 'exit' }>): Promise<Reply> {
  switch (command.cmd) {
    case 'sequential': {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < command.conversations; i++) await adapter.runTask(TASK_PROMPT);
      const steps = command.conversations * MODEL_CALLS_PER_TASK;
      return { type: 'sequential', cpuPerStepUs: cpuUs(c0) / steps, wallPerStepUs: ((performance.now() - t0) * 1000) / steps };
    }
    case 'ttft': {
      const samplesMs: number[] = [];
      for (let i = 0; i < command.samples; i++) samplesMs.push(await adapter.firstDelta(TTFT_PROMPT));
      return { type: 'ttft', samplesMs };
    }
    case 'heap': {
      if (!gc) return { type: 'heap', bytesPerAgent: undefined };
      gc();
      gc();
      const h0 = process.memoryUsage().heapUsed;
      const agents: unknown[] = [];
      for (let i = 0; i < command.agents; i++) agents.push(adapter.createAgent());
      gc();
      gc();
      const bytesPerAgent = (process.memoryUsage().heapUsed - h0) / agents.length;
      agents.length = 0;
      return { type: 'heap', bytesPerAgent };
    }
    case 'throughput': {
      // Untimed burst first: opens the connections and warms the paths of many runs at once.
      await Promise.all(Array.from({ length: Math.min(command.concurrency, THROUGHPUT_WARMUP) }, () => adapter.runTask(TASK_PROMPT)));
      gc?.();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(Array.from({ length: command.concurrency }, () => adapter.runTask(TASK_PROMPT)));
      const wallMs = performance.now() - t0;
      return {
        type: 'throughput',
        concurrency: command.concurrency,
        wallMs,
        conversationsPerSec: (command.concurrency / wallMs) * 1000,
        cpuMsPerConversation: cpuUs(c0) / 1000 / command.concurrency,
      };
    }
  }
}

async function main(): Promise<void> {
  const send = (reply: Reply) => process.send!(reply);
  const { framework, provider, servers } = JSON.parse(process.argv[2]!) as { framework: Framework; provider: Provider; servers: Servers };
  const adapter = await createAdapter(framework, provider, servers);
  if (adapter) {
    for (let i = 0; i < WARMUP_CONVERSATIONS; i++) await adapter.runTask(TASK_PROMPT);
    for (let i = 0; i < 5; i++) await adapter.firstDelta(TTFT_PROMPT);
  }
  process.on('message', (command: Command) => {
    if (command.cmd === 'exit' || !adapter) process.exit(0);
    execute(adapter, command).then(send, (error: unknown) => send({ type: 'error', message: String(error instanceof Error ? error.stack ?? error.message : error) }));
  });
  send({ type: 'ready', supported: !!adapter });
}

main().catch((error: unknown) => {
  process.send?.({ type: 'error', message: String(error instanceof Error ? error.stack ?? error.message : error) } satisfies Reply);
  process.exit(1);
});
