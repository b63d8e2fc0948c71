import { randomUUID } from 'node:crypto';
import { HttpAgent } from '@ag-ui/client';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ScriptedModel } from '@mixtape/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { say, serversClosedAfterEach, TOKEN } from './helpers.js';

const start = serversClosedAfterEach();
const exporter = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('server-test');

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  propagation.disable();
  context.disable();
});

describe('trace context through the server', () => {
  it("a run's invoke_agent span continues the caller's W3C traceparent (sent by @ag-ui/client's HttpAgent)", async () => {
    const s = await start({ model: new ScriptedModel().toolUse('add', { a: 1, b: 2 }).text('3'), agentOptions: { telemetry: { tracer } } });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const client = new HttpAgent({
      url: `${s.url}/agent`,
      threadId: randomUUID(),
      headers: { Authorization: `Bearer ${TOKEN}`, traceparent: `00-${traceId}-${parentId}-01` },
    });
    const { error } = await say(client, 'add 1 and 2');
    expect(error).toBeUndefined();
    const spans = exporter.getFinishedSpans();
    const run = spans.find((sp) => sp.name.startsWith('invoke_agent'))!;
    expect(run.spanContext().traceId).toBe(traceId);
    expect(run.parentSpanContext?.spanId).toBe(parentId);
    const names = spans.filter((sp) => sp.spanContext().traceId === traceId).map((sp) => sp.name.split(' ')[0]);
    expect(names.sort()).toEqual(['chat', 'chat', 'execute_tool', 'invoke_agent']);
  });
});
