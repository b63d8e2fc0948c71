/**
 * Property tests of the wire formats: arbitrary text (newlines, "data:" lines, emoji, lone
 * surrogate-free unicode) and arbitrary JSON tool inputs, split into arbitrary deltas, go through
 * each fake server's encoder (Anthropic SSE, OpenAI SSE, Bedrock binary event stream) and the
 * official SDK's parser, and come out of the provider exactly as they went in.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaudeSonnet4_6, type Model, type ModelResponse } from '@mixtape/core';
import { anthropic } from '@mixtape/anthropic';
import { bedrock } from '@mixtape/bedrock';
import { openaiCompatible } from '@mixtape/openai';
import { type FakeServer, startFakeAnthropic, startFakeBedrock, startFakeOpenAI } from '@mixtape/testing';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const RUNS = 25;

const providers: { name: string; start: () => Promise<FakeServer>; model: (s: FakeServer) => Model }[] = [
  {
    name: 'anthropic',
    start: () => startFakeAnthropic(),
    model: (s) => anthropic(ClaudeSonnet4_6, { apiKey: 'k', baseURL: s.baseURL, retry: { maxAttempts: 1 } }),
  },
  {
    name: 'openai',
    start: () => startFakeOpenAI(),
    model: (s) => openaiCompatible({ baseURL: s.baseURL, model: 'm', apiKey: 'k', retry: { maxAttempts: 1 } }),
  },
  {
    name: 'bedrock',
    start: () => startFakeBedrock(),
    model: (s) =>
      bedrock(ClaudeSonnet4_6, {
        endpoint: s.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'x' },
        retry: { maxAttempts: 1 },
      }),
  },
];

const text = fc
  .oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
    fc
      .array(fc.constantFrom('data: x', '\n', '\r\n', 'event: ping', '\n\n', ':', '{"a":1}', ' ', '🎵', 'é', '\u2028', '[DONE]'), {
        minLength: 1,
        maxLength: 20,
      })
      .map((a) => a.join('')),
  )
  .filter((s) => s.trim().length > 0);
const input = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== '__proto__'),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 5 },
);

async function collect(model: Model): Promise<{ deltas: string; response: ModelResponse }> {
  let deltas = '';
  let response: ModelResponse | undefined;
  for await (const e of model.stream({
    messages: [{ role: 'user', content: [{ type: 'text', text: 'go' }] }],
    tools: [{ name: 'tool', description: 'd', inputSchema: { type: 'object' } }],
  })) {
    if (e.type === 'text_delta') deltas += e.text;
    if (e.type === 'response') response = e.response;
  }
  return { deltas, response: response! };
}

describe('wire round trips', () => {
  for (const p of providers) {
    describe(p.name, () => {
      let server: FakeServer;
      beforeAll(async () => void (server = await p.start()));
      afterAll(async () => server.close());

      it('text split into any deltas arrives intact, as deltas and as the final message', async () => {
        await fc.assert(
          fc.asyncProperty(text, fc.integer({ min: 1, max: 17 }), async (t, deltaSize) => {
            server.script.clear().text(t, { deltaSize });
            const { deltas, response } = await collect(p.model(server));
            expect(deltas).toBe(t);
            expect(response.content).toEqual([{ type: 'text', text: t }]);
          }),
          { numRuns: RUNS },
        );
      });

      it('any JSON tool input arrives intact (empty input is {})', async () => {
        await fc.assert(
          fc.asyncProperty(input, async (value) => {
            server.script.clear().toolUse('tool', value);
            const { response } = await collect(p.model(server));
            const use = response.content.find((b) => b.type === 'tool_use');
            expect(use && use.type === 'tool_use' ? use.input : undefined).toEqual(JSON.parse(JSON.stringify(value)));
            expect(response.stopReason).toBe('tool_use');
          }),
          { numRuns: RUNS },
        );
      });
    });
  }
});
