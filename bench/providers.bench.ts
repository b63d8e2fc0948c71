/**
 * Provider overhead per model call: each Mixtape provider (conversion, retry wrapper, stream
 * assembly) against a bare loop written directly on the same official SDK, both streaming from
 * the same fake server on 127.0.0.1 (so the server and the SDK cost the same in both columns).
 * Rounds alternate between the two so machine noise hits both alike; medians are reported.
 *
 * Run: `npm run bench -- providers`. Bedrock rows: add a `ProviderCase` to `cases()` below.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { streamModelCall, type Model, type ModelRequest, type StreamAssembler } from '@mixtape/core';
import { anthropic, MessageAccumulator } from '@mixtape/anthropic';
import { openaiCompatible, ChunkAccumulator } from '@mixtape/openai';
import { startFakeAnthropic, startFakeOpenAI, type FakeScript, type FakeServer } from '@mixtape/testing';

/** Calls per timed batch. */
export const CALLS_PER_BATCH = 50;
/** Alternating batches per variant (medians reported). */
export const ROUNDS = 9;
/** Untimed calls before timing (JIT, connection pool). */
export const WARMUP_CALLS = 50;

const TEXT = 'The quick brown fox jumps over the lazy dog while the agent streams its answer word by word to the user.';

/** One scenario: what the server answers for every call. */
interface Scenario {
  name: string;
  queue(script: FakeScript): void;
}

const scenarios: Scenario[] = [
  { name: 'text answer (21 deltas)', queue: (s) => void s.text(TEXT) },
  {
    name: 'two parallel tool calls',
    queue: (s) =>
      void s.toolUses([
        { name: 'read_file', input: { path: 'src/index.ts', lines: [1, 200] } },
        { name: 'grep', input: { pattern: 'TODO', glob: '**/*.ts' } },
      ]),
  },
];

/** One provider row: how to start its server, the Mixtape model, and a bare SDK call. */
interface ProviderCase {
  provider: string;
  start(): Promise<FakeServer>;
  mixtape(server: FakeServer): Model;
  /** One streamed call on the SDK directly, assembling text and tool inputs by hand. */
  bare(server: FakeServer): () => Promise<unknown>;
}

const request: ModelRequest = {
  system: 'You are a helpful assistant.',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Tell me about foxes.' }] }],
  tools: [
    { name: 'read_file', description: 'Read a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } },
    { name: 'grep', description: 'Search files', inputSchema: { type: 'object', properties: { pattern: { type: 'string' } } } },
  ],
};

function cases(): ProviderCase[] {
  return [
    {
      provider: 'anthropic (@anthropic-ai/sdk 1.14.0)',
      start: () => startFakeAnthropic(),
      mixtape: (s) => anthropic('claude-sonnet-4-6', { apiKey: 'bench', baseURL: s.baseURL }),
      bare: (s) => {
        const client = new Anthropic({ apiKey: 'bench', baseURL: s.baseURL, maxRetries: 0 });
        return async () => {
          const stream = await client.messages.create({
            model: 'claude-sonnet-4-6',
            max_tokens: 16_384,
            stream: true,
            system: request.system!,
            messages: [{ role: 'user', content: 'Tell me about foxes.' }],
            tools: request.tools.map((t) => ({
              name: t.name,
              description: t.description,
              input_schema: { type: 'object' as const, ...t.inputSchema },
            })),
          });
          let text = '';
          const json: Record<number, string> = {};
          for await (const e of stream) {
            if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
            else if (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta')
              json[e.index] = (json[e.index] ?? '') + e.delta.partial_json;
          }
          return [text, Object.values(json).map((j) => (j ? JSON.parse(j) : {}))];
        };
      },
    },
    {
      provider: 'openai-compatible (openai 6.49.0)',
      start: () => startFakeOpenAI(),
      mixtape: (s) => openaiCompatible({ baseURL: s.baseURL, model: 'llama3.2' }),
      bare: (s) => {
        const client = new OpenAI({ apiKey: 'bench', baseURL: s.baseURL, maxRetries: 0 });
        return async () => {
          const stream = await client.chat.completions.create({
            model: 'llama3.2',
            stream: true,
            stream_options: { include_usage: true },
            messages: [
              { role: 'system', content: request.system! },
              { role: 'user', content: 'Tell me about foxes.' },
            ],
            tools: request.tools.map((t) => ({
              type: 'function' as const,
              function: { name: t.name, description: t.description, parameters: t.inputSchema },
            })),
          });
          let text = '';
          const args: Record<number, string> = {};
          for await (const c of stream) {
            const d = c.choices[0]?.delta;
            if (d?.content) text += d.content;
            for (const tc of d?.tool_calls ?? []) args[tc.index] = (args[tc.index] ?? '') + (tc.function?.arguments ?? '');
          }
          return [text, Object.values(args).map((a) => (a ? JSON.parse(a) : {}))];
        };
      },
    },
    // Bedrock (@aws-sdk/client-bedrock-runtime ConverseStream) goes here: start its fake server
    // from @mixtape/testing, `mixtape: (s) => bedrock(...)`, `bare:` a ConverseStreamCommand loop.
  ];
}

/** Wall-clock and CPU (user + system, client and fake server together) µs per call. */
async function batch(
  server: FakeServer,
  scenario: Scenario,
  call: () => Promise<unknown>,
  n: number,
): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < n; i++) scenario.queue(server.script);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < n; i++) await call();
  const wall = ((performance.now() - start) / n) * 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / n };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function drain(model: Model): Promise<void> {
  for await (const _ of model.stream(request));
}

/** Calls per in-memory measurement. */
export const IN_MEMORY_CALLS = 5_000;

/** Raw SDK events of one streamed answer, captured once from the fake server. */
async function captureAnthropic(server: FakeServer, scenario: Scenario): Promise<unknown[]> {
  scenario.queue(server.script);
  const client = new Anthropic({ apiKey: 'bench', baseURL: server.baseURL, maxRetries: 0 });
  const out: unknown[] = [];
  for await (const e of await client.messages.create({
    model: 'm',
    max_tokens: 100,
    stream: true,
    messages: [{ role: 'user', content: 'x' }],
  }))
    out.push(e);
  return out;
}

async function captureOpenAI(server: FakeServer, scenario: Scenario): Promise<unknown[]> {
  scenario.queue(server.script);
  const client = new OpenAI({ apiKey: 'bench', baseURL: server.baseURL, maxRetries: 0 });
  const out: unknown[] = [];
  for await (const c of await client.chat.completions.create({
    model: 'm',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'x' }],
  }))
    out.push(c);
  return out;
}

async function* replay(events: unknown[]): AsyncGenerator<unknown> {
  for (const e of events) yield e;
}

/**
 * Mixtape's own layer without HTTP or SDK: streamModelCall (retry wrapper, idle watchdog,
 * cancellation) and the provider's assembler over captured events, against a bare loop that
 * concatenates the same events' text. µs per call.
 */
async function inMemory(
  events: unknown[],
  assembler: () => StreamAssembler<unknown>,
  bareText: (e: unknown) => string,
): Promise<{ bare: number; mixtape: number }> {
  const runBare = async () => {
    let text = '';
    for await (const e of replay(events)) text += bareText(e);
    return text;
  };
  const runMixtape = async () => {
    for await (const _ of streamModelCall<unknown>({
      provider: 'bench',
      open: async () => ({ events: replay(events), cancel: () => {} }),
      assembler,
      toError: (e) => {
        throw e;
      },
    }));
  };
  const time = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < 500; i++) await fn();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < IN_MEMORY_CALLS; i++) await fn();
    const cpu = process.cpuUsage(cpu0);
    return (cpu.user + cpu.system) / IN_MEMORY_CALLS;
  };
  const bare: number[] = [];
  const mixtape: number[] = [];
  for (let r = 0; r < 5; r++) {
    bare.push(await time(runBare));
    mixtape.push(await time(runMixtape));
  }
  return { bare: median(bare), mixtape: median(mixtape) };
}

async function inMemorySection(): Promise<string[]> {
  const lines = [
    '',
    `Mixtape's own layer alone (no HTTP, no SDK): \`streamModelCall\` with the provider's assembler over the SDK events of one answer, captured once and replayed from memory, against a bare loop over the same events that only concatenates text. CPU µs per call, median of 5 runs of ${IN_MEMORY_CALLS}.`,
    '',
    '| provider | scenario | bare loop over events (µs/call) | Mixtape layer (µs/call) | Mixtape layer cost (µs/call) |',
    '|---|---|---:|---:|---:|',
  ];
  const a = await startFakeAnthropic();
  const o = await startFakeOpenAI();
  try {
    for (const scenario of scenarios) {
      const events = await captureAnthropic(a, scenario);
      const r = await inMemory(
        events,
        () => new MessageAccumulator(),
        (e) => {
          const ev = e as { type: string; delta?: { type: string; text?: string } };
          return ev.type === 'content_block_delta' && ev.delta?.type === 'text_delta' ? ev.delta.text! : '';
        },
      );
      lines.push(`| anthropic | ${scenario.name} | ${r.bare.toFixed(1)} | ${r.mixtape.toFixed(1)} | ${(r.mixtape - r.bare).toFixed(1)} |`);
    }
    for (const scenario of scenarios) {
      const events = await captureOpenAI(o, scenario);
      const r = await inMemory(
        events,
        () => new ChunkAccumulator('bench'),
        (e) => (e as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '',
      );
      lines.push(
        `| openai-compatible | ${scenario.name} | ${r.bare.toFixed(1)} | ${r.mixtape.toFixed(1)} | ${(r.mixtape - r.bare).toFixed(1)} |`,
      );
    }
  } finally {
    await a.close();
    await o.close();
  }
  return lines;
}

export default async function (): Promise<string> {
  const lines = [
    '## Providers: per-call overhead against a bare loop on the same SDK',
    '',
    `Streaming calls to the fake servers of @mixtape/testing on 127.0.0.1; ${ROUNDS} alternating rounds of ${CALLS_PER_BATCH} calls, medians. ` +
      'The bare loop calls the official SDK directly and assembles text and tool-input JSON by hand; the Mixtape column goes through the provider (message conversion, retry wrapper, stream assembly into a ModelResponse). Ratio = Mixtape / bare.',
    '',
    "CPU time is this process's user + system time (the fake server runs in the same process, identically for both columns); it is the steadier measure when other work shares the machine. Wall time includes waiting for the CPU.",
    '',
    '| provider | scenario | bare SDK loop, CPU µs/call | Mixtape provider, CPU µs/call | overhead CPU µs/call | CPU ratio | wall ratio |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const c of cases()) {
    const server = await c.start();
    try {
      const model = c.mixtape(server);
      const bare = c.bare(server);
      const mix = () => drain(model);
      for (const scenario of scenarios) {
        await batch(server, scenario, bare, WARMUP_CALLS);
        await batch(server, scenario, mix, WARMUP_CALLS);
        const b: { wall: number; cpu: number }[] = [];
        const m: { wall: number; cpu: number }[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          b.push(await batch(server, scenario, bare, CALLS_PER_BATCH));
          m.push(await batch(server, scenario, mix, CALLS_PER_BATCH));
        }
        const bc = median(b.map((x) => x.cpu));
        const mc = median(m.map((x) => x.cpu));
        const wallRatio = median(m.map((x) => x.wall)) / median(b.map((x) => x.wall));
        lines.push(
          `| ${c.provider} | ${scenario.name} | ${bc.toFixed(0)} | ${mc.toFixed(0)} | ${(mc - bc).toFixed(0)} | ${(mc / bc).toFixed(2)}× | ${wallRatio.toFixed(2)}× |`,
        );
      }
    } finally {
      await server.close();
    }
  }
  lines.push('', 'Bedrock: see "Bedrock provider overhead" (bench/bedrock.bench.ts), measured the same way on its binary event stream.');
  lines.push(...(await inMemorySection()));
  return lines.join('\n');
}
