/**
 * The same agent on the three providers — Anthropic, Bedrock and an OpenAI-compatible server —
 * each through its official SDK, against the loopback fake servers of @mixtape/testing (so it
 * runs offline, with no account). Swap the fake URL for the real endpoint and it is production.
 *
 *   node --conditions=mixtape-source --import tsx examples/providers-offline.ts
 */
import { z } from 'zod';
import { Agent, DEFAULT_MODEL, type Model, tool } from '@mixtape/core';
import { anthropic } from '@mixtape/anthropic';
import { bedrock } from '@mixtape/bedrock';
import { openaiCompatible } from '@mixtape/openai';
import { type FakeServer, startFakeAnthropic, startFakeBedrock, startFakeOpenAI } from '@mixtape/testing';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const weather = tool({
  name: 'get_weather',
  description: 'Current weather of a city',
  input: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, tempC: 21, sky: 'clear' }),
});

const setups: [string, () => Promise<FakeServer>, (s: FakeServer) => Model][] = [
  ['anthropic', startFakeAnthropic, (s) => anthropic(DEFAULT_MODEL, { apiKey: 'offline-demo', baseURL: s.baseURL })],
  [
    'bedrock',
    startFakeBedrock,
    (s) =>
      bedrock(DEFAULT_MODEL, { endpoint: s.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDDEMO', secretAccessKey: 'demo' } }),
  ],
  ['openai-compatible', startFakeOpenAI, (s) => openaiCompatible({ baseURL: s.baseURL, model: 'llama3.1' })],
];

for (const [name, start, makeModel] of setups) {
  const server = await start();
  server.script.error(429, { retryAfterMs: 10 }).toolUse('get_weather', { city: 'Lisbon' }).text('It is 21 °C and clear in Lisbon.');
  const agent = new Agent({ model: makeModel(server), tools: [weather] });
  let deltas = 0;
  agent.addHook((e) => void (e.type === 'model_call_streaming' && deltas++));
  const result = await agent.run('Weather in Lisbon?');
  console.log(
    `${name}: "${result.text}" — ${deltas} streamed deltas, ${server.requests.length} HTTP requests (one 429 retried), ${result.usage.inputTokens}+${result.usage.outputTokens} tokens, ${result.cost !== undefined ? `$${result.cost.toFixed(6)}` : 'cost unknown (no prices for this model)'}`,
  );
  await server.close();
}
