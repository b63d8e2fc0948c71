/**
 * Mixtape against its peers on one task — 5 model steps with 2 parallel tool calls each, then a
 * final answer — streamed from the fake Anthropic and OpenAI servers of @mixtape/testing:
 * a bare loop on the official SDK (the reference), Mixtape, the Vercel AI SDK, OpenAI Agents JS
 * and Mastra. The peers live in bench/peers (a separate npm project: `npm run bench:setup`).
 *
 * The fake servers run in this process; each framework runs in its own child process
 * (bench/peers/lib/client.ts, with --expose-gc), so the child's CPU time is the client's alone:
 * framework + SDK + HTTP client, no server time. Run: `npm run bench -- peers`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeAnthropic, startFakeOpenAI, type FakeServer } from '@mixtape/testing';
import {
  CONCURRENCY,
  CONVERSATIONS_PER_ROUND,
  IDLE_AGENTS,
  SEQUENTIAL_ROUNDS,
  THROUGHPUT_PROVIDERS,
  TTFT_ROUNDS,
  TTFT_SAMPLES_PER_ROUND,
  type ClientResult,
  type Command,
  type Reply,
} from './peers/lib/config.js';
import { FRAMEWORKS, type Framework, type Provider } from './peers/lib/frameworks.js';
import { PEERS_MISSING_NOTE, peerVersion, peersInstalled } from './peers/lib/peer.js';
import { respond } from './peers/lib/task.js';

/** Longest one command to a framework's child may take. */
export const COMMAND_TIMEOUT_MS = 5 * 60_000;
/**
 * Server keep-alive for the fake servers. Node's default (5 s) closes sockets that a starved
 * client (1,000 conversations on 2 cores) is about to reuse, which surfaces as "other side closed".
 */
export const SERVER_KEEP_ALIVE_MS = 10 * 60_000;

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const tsx = path.join(root, 'node_modules/tsx/dist/esm/index.mjs');
const clientScript = path.join(here, 'peers/lib/client.ts');

const LABELS: Record<Framework, string> = {
  bare: 'bare loop on the official SDK (reference)',
  mixtape: 'Mixtape (Agent + anthropic() / openaiCompatible())',
  'ai-sdk': `Vercel AI SDK ${peerVersion('ai')} (streamText + stopWhen)`,
  'openai-agents': `OpenAI Agents JS ${peerVersion('@openai/agents')} (Agent + run, chat completions, tracing off)`,
  mastra: `Mastra ${peerVersion('@mastra/core')} (Agent.stream, AI SDK v5 model)`,
};

/** One framework's child process, driven one command at a time over IPC. */
class Worker {
  readonly result: ClientResult;
  private readonly child: ChildProcess;
  private pending: ((reply: Reply) => void) | undefined;
  private stderr = '';
  readonly ready: Promise<void>;

  constructor(framework: Framework, provider: Provider, servers: { anthropic: string; openai: string }) {
    this.result = { framework, provider, supported: true };
    this.child = spawn(
      process.execPath,
      ['--expose-gc', '--conditions=mixtape-source', '--import', tsx, clientScript, JSON.stringify({ framework, provider, servers })],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        env: { ...process.env, NODE_ENV: 'production', MASTRA_TELEMETRY_DISABLED: '1', OPENAI_AGENTS_DISABLE_TRACING: '1' },
      },
    );
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.child.on('message', (reply: Reply) => {
      const p = this.pending;
      this.pending = undefined;
      p?.(reply);
    });
    this.child.on('exit', (code) => {
      const p = this.pending;
      this.pending = undefined;
      p?.({
        type: 'error',
        message: `child exited (${code}): ${this.stderr.split('\n').find((l) => /Error/.test(l)) ?? this.stderr.slice(-200)}`,
      });
    });
    this.ready = this.next().then((reply) => {
      if (reply.type === 'ready') this.result.supported = reply.supported;
      else this.fail(reply);
    });
  }

  /** Whether the worker can take commands. */
  get usable(): boolean {
    return this.result.supported && !this.result.error;
  }

  private next(): Promise<Reply> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        this.child.kill('SIGKILL');
        resolve({ type: 'error', message: `no answer within ${COMMAND_TIMEOUT_MS} ms` });
      }, COMMAND_TIMEOUT_MS);
      this.pending = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
    });
  }

  private fail(reply: Reply): void {
    if (reply.type === 'error') this.result.error = reply.message.split('\n')[0]!.slice(0, 160);
  }

  /** Sends a command and resolves with the reply (undefined after a failure). */
  async run(command: Command): Promise<Reply | undefined> {
    if (!this.usable) return undefined;
    const reply = this.next();
    this.child.send(command);
    const r = await reply;
    if (r.type === 'error') {
      this.fail(r);
      return undefined;
    }
    return r;
  }

  stop(): void {
    if (this.child.connected) this.child.send({ cmd: 'exit' } satisfies Command);
    setTimeout(() => this.child.kill('SIGKILL'), 5_000).unref();
  }
}

function trim(server: FakeServer): void {
  if (server.requests.length > 5_000) server.requests.splice(0, server.requests.length - 1_000);
}

function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs every measurement, visiting the workers in turn each round. */
async function measure(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.ready));
  const seq = new Map<Worker, { cpu: number[]; wall: number[] }>(workers.map((w) => [w, { cpu: [], wall: [] }]));
  for (let r = 0; r < SEQUENTIAL_ROUNDS; r++) {
    for (const w of workers) {
      const reply = await w.run({ cmd: 'sequential', conversations: CONVERSATIONS_PER_ROUND });
      if (reply?.type === 'sequential') {
        seq.get(w)!.cpu.push(reply.cpuPerStepUs);
        seq.get(w)!.wall.push(reply.wallPerStepUs);
      }
    }
  }
  const ttft = new Map<Worker, number[]>(workers.map((w) => [w, []]));
  for (let r = 0; r < TTFT_ROUNDS; r++) {
    for (const w of workers) {
      const reply = await w.run({ cmd: 'ttft', samples: TTFT_SAMPLES_PER_ROUND });
      if (reply?.type === 'ttft') ttft.get(w)!.push(...reply.samplesMs);
    }
  }
  for (const w of workers) {
    const s = seq.get(w)!;
    const cpu = median(s.cpu);
    const wall = median(s.wall);
    const first = median(ttft.get(w)!);
    if (cpu !== undefined) w.result.cpuPerStepUs = cpu;
    if (wall !== undefined) w.result.wallPerStepUs = wall;
    if (first !== undefined) w.result.ttftMs = first;
    const heap = await w.run({ cmd: 'heap', agents: IDLE_AGENTS });
    if (heap?.type === 'heap' && heap.bytesPerAgent !== undefined) w.result.heapPerAgentBytes = heap.bytesPerAgent;
  }
  for (const concurrency of CONCURRENCY) {
    for (const w of workers) {
      if (!THROUGHPUT_PROVIDERS.includes(w.result.provider)) continue;
      process.stderr.write(`  peers: ${w.result.framework} on ${w.result.provider}, ${concurrency} conversations at once...\n`);
      const reply = await w.run({ cmd: 'throughput', concurrency });
      if (reply?.type === 'throughput')
        (w.result.throughput ??= []).push({
          concurrency,
          wallMs: reply.wallMs,
          conversationsPerSec: reply.conversationsPerSec,
          cpuMsPerConversation: reply.cpuMsPerConversation,
        });
    }
  }
}

const fmt = (x: number | undefined, digits = 0) =>
  x === undefined ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (x: number | undefined, base: number | undefined) => (x === undefined || !base ? '—' : `${(x / base).toFixed(2)}×`);

export default async function (): Promise<string> {
  const heading = '## Peers: one agent task against Vercel AI SDK, OpenAI Agents JS and Mastra';
  if (!peersInstalled()) return `${heading}\n\n${PEERS_MISSING_NOTE}`;
  // The servers record every request; keep only the last few thousand.
  const anthropicServer: FakeServer = await startFakeAnthropic({
    keepAliveTimeoutMs: SERVER_KEEP_ALIVE_MS,
    onRequest: (r) => (respond(r, anthropicServer.script), trim(anthropicServer)),
  });
  const openaiServer: FakeServer = await startFakeOpenAI({
    keepAliveTimeoutMs: SERVER_KEEP_ALIVE_MS,
    onRequest: (r) => (respond(r, openaiServer.script), trim(openaiServer)),
  });
  const servers = { anthropic: anthropicServer.url, openai: openaiServer.baseURL };
  const started = performance.now();
  const load0 = os.loadavg()[0]!;
  const workers: Worker[] = [];
  try {
    for (const provider of ['anthropic', 'openai'] as const)
      for (const framework of FRAMEWORKS) workers.push(new Worker(framework, provider, servers));
    process.stderr.write(`  peers: ${workers.length} children warming up...\n`);
    await measure(workers);
  } finally {
    for (const w of workers) w.stop();
    await anthropicServer.close();
    await openaiServer.close();
  }
  const results = new Map<string, ClientResult | string>(
    workers.map((w) => [`${w.result.framework}/${w.result.provider}`, w.result.error ? `failed: ${w.result.error}` : w.result]),
  );
  const minutes = (performance.now() - started) / 60_000;
  const rowsOf = (
    fn: (r: ClientResult, base: ClientResult | undefined, label: string, provider: Provider) => string | undefined,
    providers: readonly Provider[] = ['anthropic', 'openai'],
  ) => {
    const rows: string[] = [];
    for (const provider of providers) {
      const base = results.get(`bare/${provider}`);
      for (const framework of FRAMEWORKS) {
        const r = results.get(`${framework}/${provider}`);
        if (typeof r === 'string') rows.push(`| ${LABELS[framework]} | ${provider} | ${r} |`);
        else if (r?.supported) {
          const row = fn(r, typeof base === 'string' ? undefined : base, LABELS[framework], provider);
          if (row) rows.push(row);
        } else
          rows.push(
            `| ${LABELS[framework]} | ${provider} | not supported without an extra adapter package (only OpenAI models natively) |`,
          );
      }
    }
    return rows;
  };
  const [c1, c2] = CONCURRENCY;
  return [
    heading,
    '',
    `The same task in every framework: conversations of 5 model steps with 2 parallel tool calls, then a final text answer, all streamed from the fake servers of @mixtape/testing on 127.0.0.1. ` +
      "The servers run in the bench process; each framework runs in a child process of its own, so its CPU time is the client's own (framework + SDK + HTTP client), with no server time in it. " +
      `Measurements go in rounds that visit every framework in turn (${SEQUENTIAL_ROUNDS} rounds of ${CONVERSATIONS_PER_ROUND} sequential conversations, median round; ${TTFT_ROUNDS} × ${TTFT_SAMPLES_PER_ROUND} time-to-first-delta samples), so changes in the machine's load hit all of them alike. ` +
      'Ratios are to the bare loop on the official SDK (@anthropic-ai/sdk / openai) measured in the same run. ' +
      `Peers: ai ${peerVersion('ai')}, @ai-sdk/anthropic ${peerVersion('@ai-sdk/anthropic')}, @ai-sdk/openai ${peerVersion('@ai-sdk/openai')}, @openai/agents ${peerVersion('@openai/agents')}, @mastra/core ${peerVersion('@mastra/core')} (with @ai-sdk/anthropic ${peerVersion('@ai-sdk/anthropic-v5')} / @ai-sdk/openai ${peerVersion('@ai-sdk/openai-v5')}, the AI SDK v5 providers Mastra 0.24 runs). ` +
      `Load average at start ${load0.toFixed(1)} on ${os.cpus().length} cores (other work shares the machine: CPU time is the steadier measure); the section took ${minutes.toFixed(1)} min.`,
    '',
    '### Per-step framework overhead',
    '',
    '| framework | server | client CPU µs / step | overhead over bare, µs / step | CPU ratio | wall µs / step | wall ratio |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rowsOf(
      (r, b, label, p) =>
        `| ${label} | ${p} | ${fmt(r.cpuPerStepUs)} | ${b?.cpuPerStepUs !== undefined && r.cpuPerStepUs !== undefined ? fmt(r.cpuPerStepUs - b.cpuPerStepUs) : '—'} | ${ratio(r.cpuPerStepUs, b?.cpuPerStepUs)} | ${fmt(r.wallPerStepUs)} | ${ratio(r.wallPerStepUs, b?.wallPerStepUs)} |`,
    ),
    '',
    `### Time to first text delta (one-step text answer, median of ${TTFT_ROUNDS * TTFT_SAMPLES_PER_ROUND})`,
    '',
    '| framework | server | ms | ratio |',
    '|---|---|---:|---:|',
    ...rowsOf((r, b, label, p) => `| ${label} | ${p} | ${fmt(r.ttftMs, 2)} | ${ratio(r.ttftMs, b?.ttftMs)} |`),
    '',
    `### Heap per idle agent (${IDLE_AGENTS.toLocaleString('en-US')} agents sharing one model, heapUsed delta after GC)`,
    '',
    'The bare loop\'s "agent" is its tool list and an empty message array; Mixtape builds one Agent per conversation, the AI SDK a ToolLoopAgent, OpenAI Agents and Mastra their Agent (stateless configuration, so one serves every run in the throughput test).',
    '',
    '| framework | server | bytes / agent | ratio |',
    '|---|---|---:|---:|',
    ...rowsOf(
      (r, b, label, p) => `| ${label} | ${p} | ${fmt(r.heapPerAgentBytes)} | ${ratio(r.heapPerAgentBytes, b?.heapPerAgentBytes)} |`,
    ),
    '',
    `### Throughput: ${c1} and ${c2.toLocaleString('en-US')} concurrent conversations`,
    '',
    `Conversations per second (wall, the fake server included — on 2 shared cores the client and the server compete) and the client's CPU ms per conversation; on the ${THROUGHPUT_PROVIDERS.join(' and ')} server only (all five frameworks run there; 1,000 conversations per framework and server is most of this bench's time).`,
    '',
    `| framework | server | conv/s @ ${c1} | ratio | client CPU ms / conv @ ${c1} | conv/s @ ${c2} | ratio | client CPU ms / conv @ ${c2} |`,
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rowsOf((r, b, label, p) => {
      const t = (c: number, x: ClientResult | undefined) => x?.throughput?.find((e) => e.concurrency === c);
      return `| ${label} | ${p} | ${fmt(t(c1, r)?.conversationsPerSec, 1)} | ${ratio(t(c1, r)?.conversationsPerSec, t(c1, b)?.conversationsPerSec)} | ${fmt(t(c1, r)?.cpuMsPerConversation, 1)} | ${fmt(t(c2, r)?.conversationsPerSec, 1)} | ${ratio(t(c2, r)?.conversationsPerSec, t(c2, b)?.conversationsPerSec)} | ${fmt(t(c2, r)?.cpuMsPerConversation, 1)} |`;
    }, THROUGHPUT_PROVIDERS),
  ].join('\n');
}
