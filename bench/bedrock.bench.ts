/**
 * Bedrock provider overhead: one model call through `bedrock()` against a bare ConverseStream loop
 * written directly on the same AWS SDK client, both against the same fake Bedrock runtime on
 * 127.0.0.1 (the fake server runs in this process, so its cost is in both columns). Also one
 * agent step (Agent + bedrock()) against a bare SDK loop that runs the same tools by hand.
 *
 * Run: `npm run bench -- bedrock`.
 */
process.env.AWS_EC2_METADATA_DISABLED = 'true';

import { performance } from 'node:perf_hooks';
import { ConverseStreamCommand, type ContentBlock as BedrockBlock, type Message as BedrockMessage } from '@aws-sdk/client-bedrock-runtime';
import { z } from 'zod';
import { Agent, ClaudeSonnet4_6, tool, type Message, type ToolDefinition } from '@mixtape/core';
import { bedrock } from '@mixtape/bedrock';
import { startFakeBedrock, type FakeBedrockServer } from '@mixtape/testing';

/** Calls per timed batch. */
const BATCH = 100;
/** Timed batches per variant (interleaved; the median batch is reported). */
const ROUNDS = 7;
/** Agent runs per timed batch (each run is TOOL_STEPS tool steps + one final answer). */
const AGENT_BATCH = 30;
const TOOL_STEPS = 3;

const credentials = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };
const ANSWER = 'The quick brown fox jumps over the lazy dog while the agent streams twenty words of text to its caller.';

const addSpec: ToolDefinition = {
  name: 'add',
  description: 'Adds two numbers',
  inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
};

function history(turns: number): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < turns; i++) {
    out.push({ role: 'user', content: [{ type: 'text', text: `Question ${i}: what is ${i} + ${i}?` }] });
    out.push({ role: 'assistant', content: [{ type: 'text', text: `It is ${2 * i}.` }] });
  }
  out.push({ role: 'user', content: [{ type: 'text', text: 'And now?' }] });
  return out;
}

interface Scenario {
  name: string;
  messages: Message[];
  tools: ToolDefinition[];
  queue(server: FakeBedrockServer, n: number): void;
}

const scenarios: Scenario[] = [
  {
    name: 'text answer (20 deltas), 1 message',
    messages: history(0),
    tools: [],
    queue: (s, n) => {
      for (let i = 0; i < n; i++) s.script.text(ANSWER);
    },
  },
  {
    name: 'text answer, 41-message history',
    messages: history(20),
    tools: [],
    queue: (s, n) => {
      for (let i = 0; i < n; i++) s.script.text(ANSWER);
    },
  },
  {
    name: 'two parallel tool calls',
    messages: history(0),
    tools: [addSpec],
    queue: (s, n) => {
      for (let i = 0; i < n; i++)
        s.script.toolUses([
          { name: 'add', input: { a: 1, b: 2 } },
          { name: 'add', input: { a: 3, b: 4 } },
        ]);
    },
  },
];

/** The same request by hand in the SDK's shapes (the bare loop pays no conversion). */
function bareInput(modelId: string, sc: Scenario) {
  const messages: BedrockMessage[] = sc.messages.map((m) => ({
    role: m.role,
    content: m.content.map((b): BedrockBlock => ({ text: b.type === 'text' ? b.text : '' })),
  }));
  return {
    modelId,
    messages,
    inferenceConfig: { maxTokens: 4096 },
    ...(sc.tools.length > 0 && {
      toolConfig: {
        tools: sc.tools.map((t) => ({
          toolSpec: { name: t.name, description: t.description, inputSchema: { json: t.inputSchema as never } },
        })),
      },
    }),
  };
}

/** A bare ConverseStream consumer: text, tool input JSON, stop reason and usage, nothing else. */
async function bareCall(client: ReturnType<typeof bedrock>['client'], input: ReturnType<typeof bareInput>): Promise<number> {
  const res = await client.send(new ConverseStreamCommand(input));
  let text = '';
  const tools = new Map<number, { id: string; name: string; json: string }>();
  let out = 0;
  for await (const ev of res.stream!) {
    if (ev.contentBlockStart?.start?.toolUse) {
      const t = ev.contentBlockStart.start.toolUse;
      tools.set(ev.contentBlockStart.contentBlockIndex ?? 0, { id: t.toolUseId!, name: t.name!, json: '' });
    } else if (ev.contentBlockDelta?.delta?.text !== undefined) text += ev.contentBlockDelta.delta.text;
    else if (ev.contentBlockDelta?.delta?.toolUse)
      tools.get(ev.contentBlockDelta.contentBlockIndex ?? 0)!.json += ev.contentBlockDelta.delta.toolUse.input ?? '';
    else if (ev.metadata?.usage) out = ev.metadata.usage.outputTokens ?? 0;
  }
  for (const t of tools.values()) JSON.parse(t.json || '{}');
  return text.length + out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Timing {
  /** Wall-clock µs per call. */
  wall: number;
  /** CPU µs (user + system, this process: client and fake server) per call. */
  cpu: number;
}

async function batch(fn: () => Promise<unknown>, n: number): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const wall = ((performance.now() - start) / n) * 1000;
  const c = process.cpuUsage(cpu0);
  return { wall, cpu: (c.user + c.system) / n };
}

function row(name: string, bare: Timing[], ours: Timing[], per = 1): string {
  const bw = median(bare.map((t) => t.wall)) / per;
  const ow = median(ours.map((t) => t.wall)) / per;
  const bc = median(bare.map((t) => t.cpu)) / per;
  const oc = median(ours.map((t) => t.cpu)) / per;
  return `| ${name} | ${bw.toFixed(0)} | ${ow.toFixed(0)} | ${bc.toFixed(0)} | ${oc.toFixed(0)} | ${(oc - bc).toFixed(0)} | ${(oc / bc).toFixed(2)}× |`;
}

const add = tool({
  name: 'add',
  description: 'Adds two numbers',
  input: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => String(a + b),
});

function queueAgentRun(server: FakeBedrockServer): void {
  for (let s = 0; s < TOOL_STEPS; s++) server.script.toolUse('add', { a: s, b: 1 });
  server.script.text('All done.');
}

/** A bare agent loop on the SDK: call, run the tools, send results back, until no tool call. */
async function bareAgentRun(client: ReturnType<typeof bedrock>['client'], modelId: string): Promise<void> {
  const messages: BedrockMessage[] = [{ role: 'user', content: [{ text: 'Add some numbers.' }] }];
  const toolConfig = {
    tools: [{ toolSpec: { name: addSpec.name, description: addSpec.description, inputSchema: { json: addSpec.inputSchema as never } } }],
  };
  for (;;) {
    const res = await client.send(new ConverseStreamCommand({ modelId, messages, toolConfig, inferenceConfig: { maxTokens: 4096 } }));
    const blocks = new Map<number, BedrockBlock>();
    const json = new Map<number, string>();
    for await (const ev of res.stream!) {
      const start = ev.contentBlockStart;
      if (start?.start?.toolUse) {
        blocks.set(start.contentBlockIndex ?? 0, {
          toolUse: { toolUseId: start.start.toolUse.toolUseId!, name: start.start.toolUse.name!, input: {} },
        });
        json.set(start.contentBlockIndex ?? 0, '');
      }
      const d = ev.contentBlockDelta;
      if (d?.delta?.text !== undefined) {
        const i = d.contentBlockIndex ?? 0;
        const b = blocks.get(i);
        blocks.set(i, { text: (b && 'text' in b ? b.text : '') + d.delta.text });
      } else if (d?.delta?.toolUse)
        json.set(d.contentBlockIndex ?? 0, (json.get(d.contentBlockIndex ?? 0) ?? '') + (d.delta.toolUse.input ?? ''));
    }
    for (const [i, j] of json) (blocks.get(i) as BedrockBlock.ToolUseMember).toolUse.input = JSON.parse(j || '{}');
    const content = [...blocks.values()];
    messages.push({ role: 'assistant', content });
    const calls = content.filter((b): b is BedrockBlock.ToolUseMember => 'toolUse' in b && b.toolUse !== undefined);
    if (calls.length === 0) return;
    const results = await Promise.all(
      calls.map(async (c) => {
        const input = c.toolUse.input as { a: number; b: number };
        return {
          toolResult: { toolUseId: c.toolUse.toolUseId, status: 'success' as const, content: [{ text: String(input.a + input.b) }] },
        };
      }),
    );
    messages.push({ role: 'user', content: results });
  }
}

export default async function (): Promise<string> {
  const server = await startFakeBedrock();
  try {
    const model = bedrock(ClaudeSonnet4_6, { endpoint: server.url, region: 'us-east-1', credentials });
    const client = model.client;
    const rows: string[] = [];
    for (const sc of scenarios) {
      const input = bareInput(model.modelId, sc);
      const viaProvider = async () => {
        for await (const _ of model.stream({ messages: sc.messages, tools: sc.tools })) void _;
      };
      const viaBare = () => bareCall(client, input);
      sc.queue(server, 40);
      for (let i = 0; i < 20; i++) await viaBare(); // warm up (JIT, connection pool)
      for (let i = 0; i < 20; i++) await viaProvider();
      const bare: Timing[] = [];
      const ours: Timing[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        sc.queue(server, 2 * BATCH);
        bare.push(await batch(viaBare, BATCH));
        ours.push(await batch(viaProvider, BATCH));
      }
      rows.push(row(sc.name, bare, ours));
    }

    // One agent step with the provider vs the bare SDK loop.
    const agentModelId = model.modelId;
    const agentRun = async () => {
      const agent = new Agent({ model, tools: [add] });
      await agent.run('Add some numbers.');
    };
    const bareRun = () => bareAgentRun(client, agentModelId);
    for (let i = 0; i < 10; i++) queueAgentRun(server);
    for (let i = 0; i < 5; i++) await bareRun();
    for (let i = 0; i < 5; i++) await agentRun();
    const bareSteps: Timing[] = [];
    const agentSteps: Timing[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < 2 * AGENT_BATCH; i++) queueAgentRun(server);
      bareSteps.push(await batch(bareRun, AGENT_BATCH));
      agentSteps.push(await batch(agentRun, AGENT_BATCH));
    }
    rows.push(
      row(
        `agent step: Agent + bedrock() vs bare SDK loop (${TOOL_STEPS} tool steps + answer per run)`,
        bareSteps,
        agentSteps,
        TOOL_STEPS + 1,
      ),
    );

    return [
      '## Bedrock provider overhead (fake ConverseStream runtime on 127.0.0.1)',
      '',
      `Median of ${ROUNDS} interleaved batches (${BATCH} calls, or ${AGENT_BATCH} agent runs) per variant; same SDK client and HTTP/1.1 connection pool for both. ` +
        'The fake server runs in this process, so CPU time covers client and server; the ratio is on CPU time, which other load on the machine disturbs less than wall time.',
      '',
      '| per call | bare wall (µs) | bedrock() wall (µs) | bare CPU (µs) | bedrock() CPU (µs) | CPU overhead (µs) | CPU ratio |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...rows,
    ].join('\n');
  } finally {
    await server.close();
  }
}
