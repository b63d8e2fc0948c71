import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, ClaudeSonnet4_6, costOf, tool, type AgentEvent } from '@mixtape/core';
import { startFakeAnthropic, type FakeServer } from '@mixtape/testing';
import { anthropic } from '@mixtape/anthropic';

let server: FakeServer;
beforeEach(async () => {
  server = await startFakeAnthropic();
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

describe('Agent on the anthropic provider (fake server)', () => {
  it('streams deltas to agent.stream(), runs tools, keeps thinking, sums usage and cost', async () => {
    server.script
      .thinking('I should add.', 'sig-xyz')
      .toolUse('add', { a: 2, b: 2 }, { usage: { inputTokens: 100, outputTokens: 20, cacheWriteTokens: 50 } });
    server.script.text('The answer is 4.', { usage: { inputTokens: 120, outputTokens: 10, cacheReadTokens: 50 } });
    const agent = new Agent({
      model: anthropic(ClaudeSonnet4_6, { apiKey: 'k', baseURL: server.baseURL }),
      systemPrompt: 'You add numbers.',
      tools: [add],
      thinking: { budgetTokens: 1024 },
      trustedTools: ['add'],
    });
    const events: AgentEvent[] = [];
    const stream = agent.stream('What is 2 + 2?');
    for await (const e of stream) events.push(e);
    const result = await stream.result;
    expect(result.text).toBe('The answer is 4.');
    const deltas = events.filter((e) => e.type === 'model_call_streaming' && e.kind === 'text');
    expect(deltas.length).toBeGreaterThan(1);
    expect(events.some((e) => e.type === 'model_call_streaming' && e.kind === 'thinking')).toBe(true);
    expect(result.usage).toEqual({ inputTokens: 220, outputTokens: 30, cacheReadTokens: 50, cacheWriteTokens: 50 });
    expect(result.cost).toBeCloseTo(costOf(result.usage, ClaudeSonnet4_6.pricing)!, 12);
    // The second request carries the thinking block with its signature, the tool call and its result.
    const sent = server.requests[1]!.body.messages;
    expect(sent[1].content[0]).toEqual({ type: 'thinking', thinking: 'I should add.', signature: 'sig-xyz' });
    expect(sent[1].content[1]).toMatchObject({ type: 'tool_use', name: 'add', input: { a: 2, b: 2 } });
    expect(sent[2].content[0]).toMatchObject({ type: 'tool_result', is_error: false, content: [{ type: 'text', text: '4' }] });
    expect(server.requests[0]!.body.system[0].cache_control).toEqual({ type: 'ephemeral' });
  });
});
