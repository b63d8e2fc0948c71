/**
 * One adapter per framework: how it builds a model for a fake server, an idle agent, runs the
 * task, and measures the time to the first text delta. Every adapter streams (Mixtape always
 * does), so every row reads the same server-sent events.
 * @module
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { z } from 'zod';
import { Agent, tool } from '@mixtape/core';
import { anthropic } from '@mixtape/anthropic';
import { openaiCompatible } from '@mixtape/openai';
import { peer } from './peer.js';
import { FINAL_TEXT, INSTRUCTIONS, MAX_STEPS } from './task.js';

/** Which fake server. */
export type Provider = 'anthropic' | 'openai';
/** Framework names (rows). */
export const FRAMEWORKS = ['bare', 'mixtape', 'ai-sdk', 'openai-agents', 'mastra'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** Model name sent to the fake servers (they ignore it). */
export const ANTHROPIC_MODEL = 'claude-sonnet-4-6';
export const OPENAI_MODEL = 'gpt-4o-mini';
/** Output token cap sent by every framework. */
export const MAX_TOKENS = 4096;

/** What the client process does with one framework. */
export interface Adapter {
  /** Builds an idle agent (sharing the adapter's model/client). */
  createAgent(): unknown;
  /** Runs the task in a fresh conversation; resolves with the final text. */
  runTask(prompt: string): Promise<string>;
  /** Runs a one-step text prompt; resolves with ms from the call to the first text delta. */
  firstDelta(prompt: string): Promise<number>;
}

/** The fake servers' addresses. */
export interface Servers {
  /** Anthropic server origin (http://127.0.0.1:PORT, routes under /v1). */
  anthropic: string;
  /** OpenAI server base URL (ends in /v1). */
  openai: string;
}

const echoDescription = 'Echoes a number back.';
const echoOf = (n: number) => `echo ${n}`;

function check(text: string): string {
  if (text.trim() !== FINAL_TEXT) throw new Error(`unexpected final text: ${JSON.stringify(text)}`);
  return text;
}

/** Creates the adapter of a framework for a provider; undefined when the pair is not supported. */
export async function createAdapter(framework: Framework, provider: Provider, servers: Servers): Promise<Adapter | undefined> {
  switch (framework) {
    case 'bare':
      return provider === 'anthropic' ? bareAnthropic(servers) : bareOpenAI(servers);
    case 'mixtape':
      return mixtape(provider, servers);
    case 'ai-sdk':
      return aiSdk(provider, servers);
    case 'openai-agents':
      return provider === 'openai' ? openaiAgents(servers) : undefined;
    case 'mastra':
      return mastra(provider, servers);
  }
}

// ---- bare loops on the official SDKs -------------------------------------------------------

function bareAnthropic(servers: Servers): Adapter {
  const client = new Anthropic({ apiKey: 'bench', baseURL: servers.anthropic, maxRetries: 0 });
  const tools: Anthropic.Messages.Tool[] = [
    { name: 'echo', description: echoDescription, input_schema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } },
  ];
  type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown; json: string };
  async function step(messages: Anthropic.Messages.MessageParam[], onText?: () => void): Promise<Block[]> {
    const stream = await client.messages.create({ model: ANTHROPIC_MODEL, max_tokens: MAX_TOKENS, system: INSTRUCTIONS, stream: true, messages, tools });
    const blocks: Block[] = [];
    for await (const e of stream) {
      if (e.type === 'content_block_start') {
        if (e.content_block.type === 'text') blocks[e.index] = { type: 'text', text: '' };
        else if (e.content_block.type === 'tool_use') blocks[e.index] = { type: 'tool_use', id: e.content_block.id, name: e.content_block.name, input: {}, json: '' };
      } else if (e.type === 'content_block_delta') {
        const b = blocks[e.index];
        if (e.delta.type === 'text_delta' && b?.type === 'text') {
          onText?.();
          b.text += e.delta.text;
        } else if (e.delta.type === 'input_json_delta' && b?.type === 'tool_use') b.json += e.delta.partial_json;
      }
    }
    for (const b of blocks) if (b?.type === 'tool_use') b.input = b.json ? JSON.parse(b.json) : {};
    return blocks.filter(Boolean);
  }
  return {
    createAgent: () => ({ client, tools, messages: [] as Anthropic.Messages.MessageParam[] }),
    async runTask(prompt) {
      const messages: Anthropic.Messages.MessageParam[] = [{ role: 'user', content: prompt }];
      for (let s = 0; s < MAX_STEPS; s++) {
        const blocks = await step(messages);
        messages.push({ role: 'assistant', content: blocks.map((b) => (b.type === 'text' ? { type: 'text' as const, text: b.text } : { type: 'tool_use' as const, id: b.id, name: b.name, input: b.input })) });
        const uses = blocks.filter((b) => b.type === 'tool_use');
        if (!uses.length) return check(blocks.map((b) => (b.type === 'text' ? b.text : '')).join(''));
        const results = await Promise.all(uses.map(async (u) => ({ type: 'tool_result' as const, tool_use_id: u.id, content: echoOf((u.input as { n: number }).n) })));
        messages.push({ role: 'user', content: results });
      }
      throw new Error('bare loop: step limit');
    },
    async firstDelta(prompt) {
      const start = performance.now();
      let first = -1;
      await step([{ role: 'user', content: prompt }], () => {
        if (first < 0) first = performance.now() - start;
      });
      return first;
    },
  };
}

function bareOpenAI(servers: Servers): Adapter {
  const client = new OpenAI({ apiKey: 'bench', baseURL: servers.openai, maxRetries: 0 });
  const tools: OpenAI.Chat.ChatCompletionTool[] = [
    { type: 'function', function: { name: 'echo', description: echoDescription, parameters: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } } },
  ];
  async function step(messages: OpenAI.Chat.ChatCompletionMessageParam[], onText?: () => void) {
    const stream = await client.chat.completions.create({ model: OPENAI_MODEL, max_tokens: MAX_TOKENS, stream: true, stream_options: { include_usage: true }, messages, tools });
    let text = '';
    const calls: { id: string; name: string; args: string }[] = [];
    for await (const c of stream) {
      const d = c.choices[0]?.delta;
      if (d?.content) {
        onText?.();
        text += d.content;
      }
      for (const tc of d?.tool_calls ?? []) {
        const call = (calls[tc.index] ??= { id: '', name: '', args: '' });
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.name = tc.function.name;
        call.args += tc.function?.arguments ?? '';
      }
    }
    return { text, calls: calls.filter(Boolean) };
  }
  return {
    createAgent: () => ({ client, tools, messages: [] as OpenAI.Chat.ChatCompletionMessageParam[] }),
    async runTask(prompt) {
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'system', content: INSTRUCTIONS }, { role: 'user', content: prompt }];
      for (let s = 0; s < MAX_STEPS; s++) {
        const { text, calls } = await step(messages);
        if (!calls.length) return check(text);
        messages.push({ role: 'assistant', content: text || null, tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.args } })) });
        const results = await Promise.all(calls.map(async (c) => ({ role: 'tool' as const, tool_call_id: c.id, content: echoOf((JSON.parse(c.args || '{}') as { n: number }).n) })));
        messages.push(...results);
      }
      throw new Error('bare loop: step limit');
    },
    async firstDelta(prompt) {
      const start = performance.now();
      let first = -1;
      await step([{ role: 'system', content: INSTRUCTIONS }, { role: 'user', content: prompt }], () => {
        if (first < 0) first = performance.now() - start;
      });
      return first;
    },
  };
}

// ---- Mixtape -------------------------------------------------------------------------------

function mixtape(provider: Provider, servers: Servers): Adapter {
  const model =
    provider === 'anthropic'
      ? anthropic(ANTHROPIC_MODEL, { apiKey: 'bench', baseURL: servers.anthropic, maxTokens: MAX_TOKENS, retry: { maxAttempts: 1 } })
      : openaiCompatible({ baseURL: servers.openai, model: OPENAI_MODEL, apiKey: 'bench', maxTokens: MAX_TOKENS, retry: { maxAttempts: 1 } });
  const echo = tool({ name: 'echo', description: echoDescription, input: z.object({ n: z.number() }), execute: ({ n }) => echoOf(n) });
  const createAgent = () => new Agent({ model, systemPrompt: INSTRUCTIONS, tools: [echo], maxSteps: MAX_STEPS, interactive: false });
  return {
    createAgent,
    async runTask(prompt) {
      return check((await createAgent().run(prompt)).text);
    },
    async firstDelta(prompt) {
      const start = performance.now();
      let first = -1;
      const stream = createAgent().stream(prompt);
      for await (const e of stream) if (e.type === 'model_call_streaming' && e.kind === 'text' && first < 0) first = performance.now() - start;
      return first;
    },
  };
}

// ---- Vercel AI SDK -------------------------------------------------------------------------

async function aiSdk(provider: Provider, servers: Servers): Promise<Adapter> {
  const ai = await peer('ai');
  const { z: pz } = await peer('zod');
  const model =
    provider === 'anthropic'
      ? (await peer('@ai-sdk/anthropic')).createAnthropic({ apiKey: 'bench', baseURL: `${servers.anthropic}/v1` })(ANTHROPIC_MODEL)
      : (await peer('@ai-sdk/openai')).createOpenAI({ apiKey: 'bench', baseURL: servers.openai }).chat(OPENAI_MODEL);
  const tools = { echo: ai.tool({ description: echoDescription, inputSchema: pz.object({ n: pz.number() }), execute: async ({ n }: { n: number }) => echoOf(n) }) };
  const options = { model, system: INSTRUCTIONS, tools, stopWhen: ai.stepCountIs(MAX_STEPS), maxRetries: 0, maxOutputTokens: MAX_TOKENS };
  return {
    createAgent: () => new ai.ToolLoopAgent({ model, instructions: INSTRUCTIONS, tools, stopWhen: ai.stepCountIs(MAX_STEPS) }),
    async runTask(prompt) {
      const result = ai.streamText({ ...options, prompt });
      return check(await result.text);
    },
    async firstDelta(prompt) {
      const start = performance.now();
      let first = -1;
      const result = ai.streamText({ ...options, prompt });
      for await (const _ of result.textStream) if (first < 0) first = performance.now() - start;
      return first;
    },
  };
}

// ---- OpenAI Agents JS ----------------------------------------------------------------------

async function openaiAgents(servers: Servers): Promise<Adapter> {
  const agents = await peer('@openai/agents');
  const { default: PeerOpenAI } = await peer('openai');
  const { z: pz } = await peer('zod');
  agents.setTracingDisabled(true);
  const client = new PeerOpenAI({ apiKey: 'bench', baseURL: servers.openai, maxRetries: 0 });
  const model = new agents.OpenAIChatCompletionsModel(client, OPENAI_MODEL);
  const echo = agents.tool({ name: 'echo', description: echoDescription, parameters: pz.object({ n: pz.number() }), execute: async ({ n }: { n: number }) => echoOf(n) });
  const createAgent = () => new agents.Agent({ name: 'bench', instructions: INSTRUCTIONS, model, tools: [echo], modelSettings: { maxTokens: MAX_TOKENS } });
  // Agents are stateless configuration in OpenAI Agents JS: one agent serves every run.
  const agent = createAgent();
  return {
    createAgent,
    async runTask(prompt) {
      const result = await agents.run(agent, prompt, { stream: true, maxTurns: MAX_STEPS });
      for await (const _ of result);
      await result.completed;
      return check(String(result.finalOutput));
    },
    async firstDelta(prompt) {
      const start = performance.now();
      let first = -1;
      const result = await agents.run(agent, prompt, { stream: true, maxTurns: MAX_STEPS });
      for await (const e of result) if (first < 0 && e.type === 'raw_model_stream_event' && e.data?.type === 'output_text_delta') first = performance.now() - start;
      await result.completed;
      return first;
    },
  };
}

// ---- Mastra --------------------------------------------------------------------------------

async function mastra(provider: Provider, servers: Servers): Promise<Adapter> {
  const { Agent: MastraAgent } = await peer('@mastra/core/agent');
  const { createTool } = await peer('@mastra/core/tools');
  const { z: pz } = await peer('zod');
  // Mastra 0.24 runs AI SDK v5 models (LanguageModelV2), so it gets the v5 providers it depends on.
  const model =
    provider === 'anthropic'
      ? (await peer('@ai-sdk/anthropic-v5')).createAnthropic({ apiKey: 'bench', baseURL: `${servers.anthropic}/v1` })(ANTHROPIC_MODEL)
      : (await peer('@ai-sdk/openai-v5')).createOpenAI({ apiKey: 'bench', baseURL: servers.openai }).chat(OPENAI_MODEL);
  const echo = createTool({ id: 'echo', description: echoDescription, inputSchema: pz.object({ n: pz.number() }), execute: async ({ context }: { context: { n: number } }) => echoOf(context.n) });
  const createAgent = () => new MastraAgent({ name: 'bench', instructions: INSTRUCTIONS, model, tools: { echo } });
  // A Mastra agent without memory is stateless configuration: one agent serves every run.
  const agent = createAgent();
  const options = { maxSteps: MAX_STEPS, maxRetries: 0, modelSettings: { maxOutputTokens: MAX_TOKENS } };
  return {
    createAgent,
    async runTask(prompt) {
      const out = await agent.stream(prompt, options);
      return check(await out.text);
    },
    async firstDelta(prompt) {
      const start = performance.now();
      let first = -1;
      const out = await agent.stream(prompt, options);
      for await (const _ of out.textStream) if (first < 0) first = performance.now() - start;
      return first;
    },
  };
}
