/**
 * Tool-call arguments stream to the agent's events as the model writes them (tool_calls[].function.arguments deltas
 * on the wire → `tool_input_streaming` events), before the call runs.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, tool } from '@mixtape/core';
import { collectEvents } from '@mixtape/core/testing';
import { startFakeOpenAI, type FakeServer } from '@mixtape/testing';
import { openaiCompatible } from '@mixtape/openai';

let server: FakeServer;
beforeEach(async () => {
  server = await startFakeOpenAI();
});
afterEach(async () => {
  await server.close();
});

it('an agent emits tool_input_streaming deltas that add up to the call input, before the tool runs', async () => {
  const input = { path: 'notes/ideas.md', content: 'Streaming tool arguments let a UI show a call while the model writes it. '.repeat(4) };
  server.script.toolUse('write_note', input).text('Saved.');
  const writeNote = tool({
    name: 'write_note',
    description: 'Writes a note',
    input: z.object({ path: z.string(), content: z.string() }),
    execute: () => 'ok',
  });
  const agent = new Agent({ model: openaiCompatible({ baseURL: server.baseURL, model: 'llama3.2' }), tools: [writeNote] });
  const events = collectEvents(agent);
  const result = await agent.run('save my idea');
  expect(result.text).toBe('Saved.');
  const deltas = events.ofType('tool_input_streaming');
  expect(deltas.length).toBeGreaterThan(1);
  const call = events.ofType('tool_requested')[0]!;
  expect(new Set(deltas.map((d) => d.toolUseId))).toEqual(new Set([call.toolUseId]));
  expect(deltas.every((d) => d.name === 'write_note')).toBe(true);
  expect(JSON.parse(deltas.map((d) => d.delta).join(''))).toEqual(input);
  expect(events.indexOf(deltas.at(-1)!)).toBeLessThan(events.indexOf(call));
});
