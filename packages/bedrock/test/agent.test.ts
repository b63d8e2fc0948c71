process.env.AWS_EC2_METADATA_DISABLED = 'true';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, ClaudeSonnet4_6, costOf, MemorySessionStore, tool, type AgentEvent } from '@mixtape/core';
import { startFakeBedrock, type FakeBedrockServer } from '@mixtape/testing';
import { bedrock } from '@mixtape/bedrock';

const credentials = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' };

let server: FakeBedrockServer;
beforeEach(async () => {
  server = await startFakeBedrock();
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

function model() {
  return bedrock(ClaudeSonnet4_6, {
    endpoint: server.url,
    region: 'us-east-1',
    credentials,
    promptCaching: true,
    retry: { baseDelayMs: 1 },
  });
}

describe('Agent on the bedrock provider (fake runtime)', () => {
  it('streams deltas to agent.stream(), runs parallel tools, keeps thinking, sums usage and cost', async () => {
    server.script.thinking('I should add twice.', 'sig-xyz').toolUses(
      [
        { name: 'add', input: { a: 2, b: 2 } },
        { name: 'add', input: { a: 3, b: 3 } },
      ],
      { usage: { inputTokens: 100, outputTokens: 20, cacheWriteTokens: 50 } },
    );
    server.script.text('The answers are 4 and 6.', { usage: { inputTokens: 120, outputTokens: 10, cacheReadTokens: 50 } });
    const agent = new Agent({
      model: model(),
      systemPrompt: 'You add numbers.',
      tools: [add],
      thinking: { budgetTokens: 1024 },
      trustedTools: ['add'],
    });
    const events: AgentEvent[] = [];
    const stream = agent.stream('What are 2 + 2 and 3 + 3?');
    for await (const e of stream) events.push(e);
    const result = await stream.result;
    expect(result.text).toBe('The answers are 4 and 6.');
    expect(events.filter((e) => e.type === 'model_call_streaming' && e.kind === 'text').length).toBeGreaterThan(1);
    expect(events.some((e) => e.type === 'model_call_streaming' && e.kind === 'thinking')).toBe(true);
    expect(result.usage).toEqual({ inputTokens: 220, outputTokens: 30, cacheReadTokens: 50, cacheWriteTokens: 50 });
    expect(result.cost).toBeCloseTo(costOf(result.usage, ClaudeSonnet4_6.pricing)!, 12);

    const first = server.requests[0]!.body;
    expect(first.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 1024 } });
    expect(first.system).toEqual([{ text: expect.stringContaining('You add numbers.') }, { cachePoint: { type: 'default' } }]);
    // The second request carries the signed thinking, both tool calls and their results in call order.
    const sent = server.requests[1]!.body.messages;
    expect(sent[1].content[0]).toEqual({ reasoningContent: { reasoningText: { text: 'I should add twice.', signature: 'sig-xyz' } } });
    expect(sent[1].content.slice(1).map((b: { toolUse: { input: unknown } }) => b.toolUse.input)).toEqual([
      { a: 2, b: 2 },
      { a: 3, b: 3 },
    ]);
    expect(sent[2].content.filter((b: object) => 'toolResult' in b).map((b: { toolResult: unknown }) => b.toolResult)).toEqual([
      { toolUseId: sent[1].content[1].toolUse.toolUseId, status: 'success', content: [{ text: '4' }] },
      { toolUseId: sent[1].content[2].toolUse.toolUseId, status: 'success', content: [{ text: '6' }] },
    ]);
  });

  it('keeps thinking in the session and sends it back to Bedrock after a resume', async () => {
    const store = new MemorySessionStore();
    server.script.thinking('Remember 42.', 'sig-42').text('Noted.').text('It was 42.');
    await new Agent({ model: model(), sessionStore: store, thinking: { budgetTokens: 1024 } }).run('Remember a number.');
    const resumed = new Agent({ model: model(), sessionStore: store, thinking: { budgetTokens: 1024 } });
    const result = await resumed.run('Which number?');
    expect(result.text).toBe('It was 42.');
    const sent = server.requests[1]!.body.messages;
    expect(sent[1].content).toEqual([
      { reasoningContent: { reasoningText: { text: 'Remember 42.', signature: 'sig-42' } } },
      { text: 'Noted.' },
    ]);
  });

  it('cancels a run at once with its AbortSignal', async () => {
    server.script.text('never sent', { firstByteDelayMs: 60_000 });
    const controller = new AbortController();
    const agent = new Agent({ model: model() });
    const pending = agent.run('Hello', { signal: controller.signal }).catch((e: unknown) => e);
    await new Promise<void>((resolve) => {
      const poll = () => (server.requests.length > 0 ? resolve() : setImmediate(poll));
      poll();
    });
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(await server.requests[0]!.ended).toBe('client_closed');
  });
});
