process.env.AWS_EC2_METADATA_DISABLED = 'true';

import { anthropic } from '@mixtape/anthropic';
import { bedrock } from '@mixtape/bedrock';
import { openaiCompatible } from '@mixtape/openai';
import { SqliteSessionStore } from '@mixtape/sqlite';
import { startFakeAnthropic, startFakeBedrock, startFakeOpenAI } from '@mixtape/testing';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { Agent, type AgentEvent, BudgetExceededError, ClaudeSonnet4_6, type Logger, StructuredOutputError, tool } from '../src/index.js';
import { ScriptedModel } from '../src/testing/index.js';

const Weather = z.object({ city: z.string(), tempC: z.number(), conditions: z.array(z.string()) });
const answer = { city: 'Oslo', tempC: -3, conditions: ['snow', 'wind'] };
const lookup = tool({
  name: 'lookup',
  description: 'Weather of a city',
  input: z.object({ city: z.string() }),
  execute: ({ city }) => `${city}: -3 C, snow, wind`,
});
const FAST = { baseDelayMs: 1, maxDelayMs: 2 };

describe('structured output on the providers (fake servers speaking the official wire formats)', () => {
  it('Anthropic: output_config.format json_schema, with a tool call in the same run; typed result.output', async () => {
    const server = await startFakeAnthropic();
    try {
      server.script.toolUse('lookup', { city: 'Oslo' }).text(JSON.stringify(answer));
      const agent = new Agent({
        model: anthropic(ClaudeSonnet4_6, { apiKey: 'k', baseURL: server.baseURL, retry: FAST }),
        tools: [lookup],
      });
      const result = await agent.run('Weather in Oslo?', { output: Weather });
      expectTypeOf(result.output).toEqualTypeOf<z.output<typeof Weather>>();
      expect(result.output).toEqual(answer);
      const body = server.requests[0]!.body as {
        output_config?: { format?: { type: string; schema: { properties: Record<string, unknown> } } };
        tools: unknown[];
      };
      expect(body.output_config?.format?.type).toBe('json_schema');
      expect(Object.keys(body.output_config!.format!.schema.properties)).toEqual(['city', 'tempC', 'conditions']);
      expect(body.tools).toHaveLength(1);
      expect(result.toolCalls.map((c) => c.name)).toEqual(['lookup']);
    } finally {
      await server.close();
    }
  });

  it('OpenAI: response_format json_schema; an invalid answer gets one repair turn naming the problem', async () => {
    const server = await startFakeOpenAI();
    try {
      server.script.text(JSON.stringify({ city: 'Oslo', tempC: 'cold', conditions: [] })).text(JSON.stringify(answer));
      const agent = new Agent({ model: openaiCompatible({ baseURL: server.baseURL, model: 'llama3.2', retry: FAST }) });
      const result = await agent.run('Weather in Oslo?', { output: { schema: Weather, name: 'weather' } });
      expect(result.output).toEqual(answer);
      const first = server.requests[0]!.body as { response_format?: { type: string; json_schema: { name: string; schema: object } } };
      expect(first.response_format?.type).toBe('json_schema');
      expect(first.response_format?.json_schema.name).toBe('weather');
      const second = server.requests[1]!.body as { messages: { role: string; content: string }[] };
      const repair = second.messages[second.messages.length - 1]!;
      expect(repair.role).toBe('user');
      expect(repair.content).toContain('tempC');
      expect(result.steps).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('Bedrock: the schema as a forced tool (toolChoice any) beside the real tools; its input is the answer', async () => {
    const server = await startFakeBedrock();
    try {
      server.script.toolUses([{ name: 'lookup', input: { city: 'Oslo' } }]).toolUses([{ name: 'final_answer', input: answer }]);
      const model = bedrock(ClaudeSonnet4_6, {
        endpoint: server.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'x' },
        retry: FAST,
      });
      const agent = new Agent({ model, tools: [lookup] });
      const partials: unknown[] = [];
      agent.addHook((e: AgentEvent) => {
        if (e.type === 'output_streaming') partials.push(e.partial);
      });
      const result = await agent.run('Weather in Oslo?', { output: Weather });
      expect(result.output).toEqual(answer);
      expect(result.text).toBe(JSON.stringify(answer));
      const body = server.requests[0]!.body as { toolConfig: { tools: { toolSpec: { name: string } }[]; toolChoice?: unknown } };
      expect(body.toolConfig.tools.map((t) => t.toolSpec.name)).toEqual(['lookup', 'final_answer']);
      expect(body.toolConfig.toolChoice).toEqual({ any: {} });
      // Partial objects streamed while the answer's JSON arrived, ending with the whole object.
      expect(partials.length).toBeGreaterThan(0);
      expect(partials[partials.length - 1]).toMatchObject({ city: 'Oslo' });
    } finally {
      await server.close();
    }
  });
});

describe('structured output in the loop', () => {
  it('a JSON Schema works too; an answer that stays invalid fails with the issues, and the session keeps the answers', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mixtape-output-'));
    const store = new SqliteSessionStore(path.join(dir, 's.db'));
    const model = new ScriptedModel().text('not json at all').text('{"n": "three"}');
    const agent = new Agent({ model, sessionStore: store });
    const error = await agent
      .run('count', { output: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect((error as StructuredOutputError).kind).toBe('output');
    expect((error as StructuredOutputError).issues.join(' ')).toMatch(/^n: /);
    expect((error as StructuredOutputError).text).toBe('{"n": "three"}');
    expect(model.requests).toHaveLength(2);
    expect(JSON.stringify(model.requests[1]!.messages)).toContain('not JSON');
    const stored = await store.getSession(agent.sessionInfo()!.id);
    expect(stored!.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    await store.close?.();
  });

  it('an answer in a ```json fence is accepted and persisted', async () => {
    const agent = new Agent({ model: new ScriptedModel().text('Here it is:\n```json\n{"ok": true}\n```') });
    const result = await agent.run('x', { output: z.object({ ok: z.boolean() }) });
    expect(result.output).toEqual({ ok: true });
  });
});

describe('budgets', () => {
  const priced = () => new ScriptedModel({ info: ClaudeSonnet4_6 });

  it('a run stops with a BudgetExceededError before the call that would exceed maxTokens; nothing is sent', async () => {
    // The estimate of the first call, read from the error a budget of 1 token gives.
    const probe = await new Agent({ model: priced().text('x'), tools: [lookup], budget: { run: { maxTokens: 1 } } })
      .run('Weather?')
      .catch((e: unknown) => e);
    expect(probe).toBeInstanceOf(BudgetExceededError);
    const firstEstimate = (probe as BudgetExceededError).estimate;
    expect(firstEstimate).toBeGreaterThan(1_024); // the output allowance plus the prompt
    // A budget that fits exactly the first call: the second (more history, tokens spent) does not fit.
    const model = priced().toolUse('lookup', { city: 'Oslo' }).text('done');
    const agent = new Agent({ model, tools: [lookup], budget: { run: { maxTokens: firstEstimate } } });
    const error = await agent.run('Weather?').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    const b = error as BudgetExceededError;
    expect(b.kind).toBe('budget');
    expect(b.scope).toBe('run');
    expect(b.limit).toBe('tokens');
    expect(b.spent).toBeGreaterThan(0);
    expect(b.spent + b.estimate).toBeGreaterThan(firstEstimate);
    expect(b.message).toContain('budget.run.maxTokens');
    expect(model.requests).toHaveLength(1);
  });

  it('maxCostUsd per session counts what earlier runs spent', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mixtape-budget-'));
    const store = new SqliteSessionStore(path.join(dir, 's.db'));
    const model = priced().text('one').text('two').text('three');
    const agent = new Agent({ model, sessionStore: store, budget: { session: { maxCostUsd: 0.025 } } });
    await agent.run('first'); // ≈ $0.0155 estimated, spends far less (ScriptedModel's usage is small)
    const first = (await store.getSession(agent.sessionInfo()!.id))!.usage?.costUsd ?? 0;
    expect(first).toBeGreaterThan(0);
    await agent.run('second');
    const afterTwo = (await store.getSession(agent.sessionInfo()!.id))!.usage!.costUsd;
    expect(afterTwo).toBeGreaterThan(first);
    const error = await new Agent({
      model,
      sessionStore: store,
      sessionId: agent.sessionInfo()!.id,
      budget: { session: { maxCostUsd: afterTwo + 0.0001 } },
    })
      .run('third')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as BudgetExceededError).scope).toBe('session');
    expect((error as BudgetExceededError).spent).toBeCloseTo(afterTwo, 9);
    await store.close?.();
  });
});

describe('logger', () => {
  it('receives a hook that throws and a hook that rejects; the run completes', async () => {
    const seen: string[] = [];
    const logger: Logger = { error: (m) => seen.push(m), warn: (m) => seen.push(m) };
    const agent = new Agent({ model: new ScriptedModel().text('ok'), logger });
    agent.addHook((e) => {
      if (e.type === 'run_started') throw new Error('hook bug');
    });
    agent.addHook(async (e) => {
      if (e.type === 'run_completed') throw new Error('async hook bug');
    });
    expect((await agent.run('hi')).text).toBe('ok');
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['A hook threw on the run_started event', 'A hook rejected on the run_completed event']);
  });
});
