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
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeAnthropic, startFakeOpenAI, type FakeServer } from '@mixtape/testing';
import { CONCURRENCY, IDLE_AGENTS, SEQUENTIAL_BATCHES, CONVERSATIONS_PER_BATCH, TTFT_SAMPLES, type ClientResult } from './peers/lib/config.js';
import { FRAMEWORKS, type Framework, type Provider } from './peers/lib/frameworks.js';
import { PEERS_MISSING_NOTE, peerVersion, peersInstalled } from './peers/lib/peer.js';
import { respond } from './peers/lib/task.js';

/** Longest a single framework's child may run. */
export const CHILD_TIMEOUT_MS = 10 * 60_000;
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

/**
 * Starts a fake server whose http.Server keeps idle sockets for {@link SERVER_KEEP_ALIVE_MS}.
 * @mixtape/testing does not expose its http.Server, so `listen` is wrapped for the duration of
 * the start (a bench-only shim; a `keepAliveTimeoutMs` option there would replace it).
 */
async function startWithKeepAlive(start: () => Promise<FakeServer>): Promise<FakeServer> {
  const listen = http.Server.prototype.listen;
  http.Server.prototype.listen = function (this: http.Server, ...args: unknown[]) {
    this.keepAliveTimeout = SERVER_KEEP_ALIVE_MS;
    return (net.Server.prototype.listen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof listen;
  try {
    return await start();
  } finally {
    http.Server.prototype.listen = listen;
  }
}

function runChild(framework: Framework, provider: Provider, servers: { anthropic: string; openai: string }): Promise<ClientResult | string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--conditions=mixtape-source', '--import', tsx, clientScript, JSON.stringify({ framework, provider, servers })], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production', MASTRA_TELEMETRY_DISABLED: '1', OPENAI_AGENTS_DISABLE_TRACING: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice('RESULT '.length)) as ClientResult);
      else resolve(`failed (exit ${code}): ${(err.split('\n').find((l) => /Error/.test(l)) ?? err.slice(-200)).trim().slice(0, 160)}`);
    });
  });
}

const fmt = (x: number | undefined, digits = 0) => (x === undefined ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const ratio = (x: number | undefined, base: number | undefined) => (x === undefined || !base ? '—' : `${(x / base).toFixed(2)}×`);

export default async function (): Promise<string> {
  const heading = '## Peers: one agent task against Vercel AI SDK, OpenAI Agents JS and Mastra';
  if (!peersInstalled()) return `${heading}\n\n${PEERS_MISSING_NOTE}`;
  const anthropicServer: FakeServer = await startWithKeepAlive(() => startFakeAnthropic({ onRequest: (r) => respond(r, anthropicServer.script) }));
  const openaiServer: FakeServer = await startWithKeepAlive(() => startFakeOpenAI({ onRequest: (r) => respond(r, openaiServer.script) }));
  const servers = { anthropic: anthropicServer.url, openai: openaiServer.baseURL };
  const started = performance.now();
  const load0 = os.loadavg()[0]!;
  const results = new Map<string, ClientResult | string>();
  try {
    for (const provider of ['anthropic', 'openai'] as const) {
      for (const framework of FRAMEWORKS) {
        process.stderr.write(`  peers: ${framework} on ${provider}...\n`);
        results.set(`${framework}/${provider}`, await runChild(framework, provider, servers));
        // The servers record every request; drop them between children.
        anthropicServer.requests.length = 0;
        openaiServer.requests.length = 0;
      }
    }
  } finally {
    await anthropicServer.close();
    await openaiServer.close();
  }
  const minutes = (performance.now() - started) / 60_000;
  const rowsOf = (fn: (r: ClientResult, base: ClientResult | undefined, label: string, provider: Provider) => string | undefined) => {
    const rows: string[] = [];
    for (const provider of ['anthropic', 'openai'] as const) {
      const base = results.get(`bare/${provider}`);
      for (const framework of FRAMEWORKS) {
        const r = results.get(`${framework}/${provider}`);
        if (typeof r === 'string') rows.push(`| ${LABELS[framework]} | ${provider} | ${r} |`);
        else if (r?.supported) {
          const row = fn(r, typeof base === 'string' ? undefined : base, LABELS[framework], provider);
          if (row) rows.push(row);
        } else rows.push(`| ${LABELS[framework]} | ${provider} | not supported without an extra adapter package (only OpenAI models natively) |`);
      }
    }
    return rows;
  };
  const [c1, c2] = CONCURRENCY;
  return [
    heading,
    '',
    `The same task in every framework: ${SEQUENTIAL_BATCHES * CONVERSATIONS_PER_BATCH} sequential conversations (median of ${SEQUENTIAL_BATCHES} batches), each 5 model steps with 2 parallel tool calls, then a final text answer, all streamed from the fake servers of @mixtape/testing on 127.0.0.1. ` +
      'The servers run in the bench process; each framework runs alone in a child process, so its CPU time is the client\'s own (framework + SDK + HTTP client), with no server time in it. ' +
      'Ratios are to the bare loop on the official SDK (@anthropic-ai/sdk / openai) measured in the same run. ' +
      `Peers: ai ${peerVersion('ai')}, @ai-sdk/anthropic ${peerVersion('@ai-sdk/anthropic')}, @ai-sdk/openai ${peerVersion('@ai-sdk/openai')}, @openai/agents ${peerVersion('@openai/agents')}, @mastra/core ${peerVersion('@mastra/core')} (with @ai-sdk/anthropic ${peerVersion('@ai-sdk/anthropic-v5')} / @ai-sdk/openai ${peerVersion('@ai-sdk/openai-v5')}, the AI SDK v5 providers Mastra 0.24 runs). ` +
      `Load average at start ${load0.toFixed(1)} on ${os.cpus().length} cores (other work shares the machine: CPU time is the steadier measure); the section took ${minutes.toFixed(1)} min.`,
    '',
    '### Per-step framework overhead',
    '',
    '| framework | server | client CPU µs / step | overhead over bare, µs / step | CPU ratio | wall µs / step | wall ratio |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rowsOf((r, b, label, p) => `| ${label} | ${p} | ${fmt(r.cpuPerStepUs)} | ${b?.cpuPerStepUs !== undefined && r.cpuPerStepUs !== undefined ? fmt(r.cpuPerStepUs - b.cpuPerStepUs) : '—'} | ${ratio(r.cpuPerStepUs, b?.cpuPerStepUs)} | ${fmt(r.wallPerStepUs)} | ${ratio(r.wallPerStepUs, b?.wallPerStepUs)} |`),
    '',
    `### Time to first text delta (one-step text answer, median of ${TTFT_SAMPLES})`,
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
    ...rowsOf((r, b, label, p) => `| ${label} | ${p} | ${fmt(r.heapPerAgentBytes)} | ${ratio(r.heapPerAgentBytes, b?.heapPerAgentBytes)} |`),
    '',
    `### Throughput: ${c1} and ${c2!.toLocaleString('en-US')} concurrent conversations`,
    '',
    'Conversations per second (wall, the fake server included — on 2 shared cores the client and the server compete) and the client\'s CPU ms per conversation.',
    '',
    `| framework | server | conv/s @ ${c1} | ratio | client CPU ms / conv @ ${c1} | conv/s @ ${c2} | ratio | client CPU ms / conv @ ${c2} |`,
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rowsOf((r, b, label, p) => {
      const t = (c: number, x: ClientResult | undefined) => x?.throughput?.find((e) => e.concurrency === c);
      return `| ${label} | ${p} | ${fmt(t(c1!, r)?.conversationsPerSec, 1)} | ${ratio(t(c1!, r)?.conversationsPerSec, t(c1!, b)?.conversationsPerSec)} | ${fmt(t(c1!, r)?.cpuMsPerConversation, 1)} | ${fmt(t(c2!, r)?.conversationsPerSec, 1)} | ${ratio(t(c2!, r)?.conversationsPerSec, t(c2!, b)?.conversationsPerSec)} | ${fmt(t(c2!, r)?.cpuMsPerConversation, 1)} |`;
    }),
  ].join('\n');
}
