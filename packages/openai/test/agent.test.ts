import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, tool, type AgentEvent } from '@mixtape/core';
import { startFakeOpenAI, type FakeServer } from '@mixtape/testing';
import { openaiCompatible } from '@mixtape/openai';

let server: FakeServer;
beforeEach(async () => {
  server = await startFakeOpenAI();
});
afterEach(async () => {
  await server.close();
});

const add = tool({
  name: 'add',
  description: 'Adds two numbers',
  input: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => String(a + b),
});

describe('Agent on an OpenAI-compatible server (fake)', () => {
  it('streams deltas, runs parallel tool calls in order and survives a 429', async () => {
    server.script.error(429, { retryAfterMs: 1 });
    server.script.toolUse('add', { a: 1, b: 2 }).toolUse('add', { a: 3, b: 4 });
    server.script.text('3 and 7.', { usage: { inputTokens: 5, outputTokens: 3 } });
    const agent = new Agent({
      model: openaiCompatible({ baseURL: server.baseURL, model: 'llama3.2' }),
      tools: [add],
      trustedTools: ['add'],
    });
    const events: AgentEvent[] = [];
    const stream = agent.stream('sums?');
    for await (const e of stream) events.push(e);
    const result = await stream.result;
    expect(result.text).toBe('3 and 7.');
    expect(events.filter((e) => e.type === 'model_call_streaming').length).toBeGreaterThan(1);
    expect(server.requests).toHaveLength(3);
    const tools = server.requests[2]!.body.messages.filter((m: { role: string }) => m.role === 'tool');
    expect(tools).toEqual([
      { role: 'tool', tool_call_id: 'call_fake_1', content: '3' },
      { role: 'tool', tool_call_id: 'call_fake_2', content: '7' },
    ]);
  });
});
