/**
 * Streaming, parallel tools and cancellation, with a ScriptedModel (canned answers, no network).
 *
 *   node --conditions=mixtape-source --import tsx examples/streaming-and-cancel.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { Agent, MemorySessionStore, tool } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';

let inFlight = 0;
let maxInFlight = 0;
const lookup = tool({
  name: 'lookup_city',
  description: 'Looks up a city population (slow)',
  input: z.object({ city: z.string() }),
  execute: async ({ city }, { signal }) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      await sleep(city === 'Atlantis' ? 60_000 : 50, undefined, { signal }); // honours cancellation
      return { city, population: city === 'Paris' ? 2_100_000 : 3_600_000 };
    } finally {
      inFlight--;
    }
  },
});

// 1. Streaming: text deltas arrive as the model produces them; the two tool calls run in parallel.
const model = new ScriptedModel()
  .toolUses([
    { name: 'lookup_city', input: { city: 'Paris' } },
    { name: 'lookup_city', input: { city: 'Berlin' } },
  ])
  .text('Berlin (3.6 M) is larger than Paris (2.1 M).');
const store = new MemorySessionStore();
const agent = new Agent({ model, tools: [lookup], sessionStore: store });
for await (const event of agent.stream('Which is larger, Paris or Berlin?')) {
  if (event.type === 'tool_requested') console.log(`→ ${event.name} ${JSON.stringify(event.input)}`);
  if (event.type === 'tool_completed') console.log(`← ${event.outputText}`);
  if (event.type === 'model_call_streaming' && event.kind === 'text') process.stdout.write(event.delta);
  if (event.type === 'run_completed') console.log(`\n[done in ${event.steps} model steps; tool calls running at once: ${maxInFlight}]`);
}

// 2. Cancellation: abort while a tool runs; the tool gets the signal and the session stays valid.
const slow = new Agent({
  model: new ScriptedModel().toolUse('lookup_city', { city: 'Atlantis' }).text('never'),
  tools: [lookup],
  sessionStore: store,
  sessionId: 'cancel-demo',
});
const controller = new AbortController();
setTimeout(() => controller.abort(), 100);
try {
  await slow.run('How many people live in Atlantis?', { signal: controller.signal });
} catch (error) {
  console.log(`cancelled: ${(error as Error).message}`);
}
const session = (await store.getSession('cancel-demo'))!;
console.log(
  `stored after cancel: ${session.messages.map((m) => `${m.role}${m.toolResults.length ? `(result: ${m.toolResults[0]!.success ? 'ok' : 'error'})` : m.toolCalls.length ? '(tool call)' : ''}`).join(', ')}`,
);
