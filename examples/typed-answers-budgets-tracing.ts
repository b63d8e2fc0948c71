/**
 * A typed final answer, a cost budget and OpenTelemetry traces, with a ScriptedModel (canned
 * answers, no network) and the OpenTelemetry SDK's in-memory exporter.
 *
 *   node --conditions=mixtape-source --import tsx examples/typed-answers-budgets-tracing.ts
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { Agent, BudgetExceededError, ClaudeSonnet4_6, tool } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';

// Tracing: any OpenTelemetry SDK works; here spans are kept in memory and printed as a tree.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const forecast = tool({
  name: 'forecast',
  description: 'Forecast for a city',
  input: z.object({ city: z.string() }),
  execute: ({ city }) => `${city}: 4 °C, light rain, wind 20 km/h`,
});

// 1. A typed answer: result.output is { city: string; tempC: number; umbrella: boolean }.
const Answer = z.object({ city: z.string(), tempC: z.number(), umbrella: z.boolean() });
const model = new ScriptedModel({ info: ClaudeSonnet4_6 })
  .toolUse('forecast', { city: 'Bergen' })
  .text('{"city": "Bergen", "tempC": "four"}') // wrong: the agent asks for a repair
  .text('{"city": "Bergen", "tempC": 4, "umbrella": true}');
const agent = new Agent({ model, tools: [forecast], telemetry: { tracer: provider.getTracer('example'), agentName: 'weather' } });
const result = await agent.run('Do I need an umbrella in Bergen?', { output: Answer });
console.log(`typed answer: ${result.output.city}, ${result.output.tempC} °C, umbrella: ${result.output.umbrella}`);
console.log(`model calls: ${result.steps} (one repair turn), cost: $${result.cost?.toFixed(6)}`);

// 2. The span tree of that run (GenAI semantic conventions).
const spans = exporter.getFinishedSpans();
const children = (id: string | undefined) => spans.filter((s) => s.parentSpanContext?.spanId === id);
const print = (s: (typeof spans)[number], depth: number): void => {
  const tokens = s.attributes['gen_ai.usage.output_tokens'];
  console.log(`${'  '.repeat(depth)}${s.name}${tokens !== undefined ? ` (${String(tokens)} output tokens)` : ''}`);
  for (const c of children(s.spanContext().spanId)) print(c, depth + 1);
};
for (const root of spans.filter((s) => !s.parentSpanContext)) print(root, 0);

// 3. A budget: the run stops before a call that would take it past $0.01.
const costly = new Agent({ model: new ScriptedModel({ info: ClaudeSonnet4_6 }).text('never sent'), budget: { run: { maxCostUsd: 0.01 } } });
try {
  await costly.run('Summarise this very long document: ' + 'lorem ipsum '.repeat(2_000));
} catch (error) {
  if (!(error instanceof BudgetExceededError)) throw error;
  console.log(`budget: stopped before the call (${error.limit}, estimate $${error.estimate.toFixed(4)} > $${error.max})`);
}
await provider.shutdown();
