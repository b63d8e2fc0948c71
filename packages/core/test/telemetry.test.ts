import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { anthropic } from '@mixtape/anthropic';
import { startFakeAnthropic } from '@mixtape/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, ClaudeSonnet4_6, startTelemetryFromEnv, tool, tracesExporterFromEnv } from '../src/index.js';
import { ScriptedModel } from '../src/testing/index.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('test');
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});
afterEach(() => exporter.reset());

const byName = (spans: ReadableSpan[], prefix: string) => spans.filter((s) => s.name.startsWith(prefix));
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

const slowEcho = tool({
  name: 'echo',
  description: 'Echoes after a tick',
  input: z.object({ text: z.string() }),
  execute: async ({ text }) => {
    await new Promise((r) => setImmediate(r));
    return text;
  },
});
const broken = tool({
  name: 'broken',
  description: 'Always fails',
  input: z.object({}),
  execute: () => {
    throw new Error('disk on fire');
  },
});

describe('OpenTelemetry GenAI spans', () => {
  it('a run with parallel tools and a failing tool: invoke_agent → chat ×2 and execute_tool ×3 with gen_ai attributes', async () => {
    const model = new ScriptedModel()
      .toolUses([
        { name: 'echo', input: { text: 'a' } },
        { name: 'echo', input: { text: 'b' } },
        { name: 'broken', input: {} },
      ])
      .text('done');
    const agent = new Agent({ model, tools: [slowEcho, broken], telemetry: { tracer } });
    await agent.run('go');
    const spans = exporter.getFinishedSpans();
    const [run] = byName(spans, 'invoke_agent');
    expect(run).toBeDefined();
    expect(run!.attributes['gen_ai.operation.name']).toBe('invoke_agent');
    expect(run!.attributes['gen_ai.provider.name']).toBe('scripted');
    expect(run!.attributes['mixtape.run.outcome']).toBe('completed');
    const chats = byName(spans, 'chat');
    expect(chats).toHaveLength(2);
    for (const c of chats) {
      expect(parentOf(c)).toBe(run!.spanContext().spanId);
      expect(c.attributes['gen_ai.operation.name']).toBe('chat');
      expect(typeof c.attributes['gen_ai.usage.input_tokens']).toBe('number');
      expect(typeof c.attributes['gen_ai.usage.output_tokens']).toBe('number');
    }
    expect(chats.map((c) => c.attributes['gen_ai.response.finish_reasons'])).toEqual([['tool_use'], ['end_turn']]);
    const tools = byName(spans, 'execute_tool');
    expect(tools.map((t) => t.attributes['gen_ai.tool.name']).sort()).toEqual(['broken', 'echo', 'echo']);
    for (const t of tools) expect(parentOf(t)).toBe(run!.spanContext().spanId);
    const failed = tools.find((t) => t.attributes['gen_ai.tool.name'] === 'broken')!;
    expect(failed.status.code).toBe(2); // ERROR
    expect(failed.status.message).toContain('disk on fire');
    expect(new Set(tools.map((t) => t.attributes['gen_ai.tool.call.id'])).size).toBe(3);
    // Content is not captured unless asked for.
    expect(spans.some((s) => Object.keys(s.attributes).some((k) => k.endsWith('.messages') || k.endsWith('.arguments')))).toBe(false);
  });

  it('a sub-agent run as a tool nests under the parent tool span; content capture is opt-in', async () => {
    const inner = new Agent({ model: new ScriptedModel().text('inner answer'), telemetry: { tracer, agentName: 'researcher' } });
    const outer = new Agent({
      model: new ScriptedModel().toolUse('research', { prompt: 'look it up' }).text('outer answer'),
      tools: [inner.asTool({ name: 'research', description: 'Researches' })],
      telemetry: { tracer, captureContent: true, agentName: 'lead' },
    });
    await outer.run('question');
    const spans = exporter.getFinishedSpans();
    const outerRun = spans.find((s) => s.name === 'invoke_agent lead')!;
    const innerRun = spans.find((s) => s.name === 'invoke_agent researcher')!;
    const toolSpan = spans.find((s) => s.name === 'execute_tool research')!;
    expect(parentOf(toolSpan)).toBe(outerRun.spanContext().spanId);
    expect(parentOf(innerRun)).toBe(toolSpan.spanContext().spanId);
    expect(innerRun.spanContext().traceId).toBe(outerRun.spanContext().traceId);
    expect(String(toolSpan.attributes['gen_ai.tool.call.arguments'])).toContain('look it up');
    expect(String(toolSpan.attributes['gen_ai.tool.call.result'])).toContain('inner answer');
    expect(String(outerRun.attributes['gen_ai.input.messages'])).toContain('question');
  });

  it('a provider retry is an event on the chat span; a failed run records the error; metrics are recorded', async () => {
    const server = await startFakeAnthropic();
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    try {
      server.script.error(529).text('after retry').error(400, { message: 'bad request' });
      const model = anthropic(ClaudeSonnet4_6, {
        apiKey: 'k',
        baseURL: server.baseURL,
        retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 },
      });
      const agent = new Agent({ model, telemetry: { tracer, meter: meterProvider.getMeter('test') } });
      await agent.run('hello');
      const [chat] = byName(exporter.getFinishedSpans(), 'chat');
      expect(chat!.events.map((e) => e.name)).toEqual(['gen_ai.retry']);
      expect(chat!.events[0]!.attributes?.['http.response.status_code']).toBe(529);
      expect(chat!.attributes['gen_ai.request.model']).toBe(model.modelId);
      expect(typeof chat!.attributes['mixtape.cost.usd']).toBe('number');

      exporter.reset();
      await expect(agent.run('again')).rejects.toThrow(/bad request/);
      const spans = exporter.getFinishedSpans();
      const [run] = byName(spans, 'invoke_agent');
      expect(run!.status.code).toBe(2);
      expect(run!.attributes['error.type']).toBe('provider');
      expect(run!.attributes['mixtape.run.outcome']).toBe('failed');
      expect(byName(spans, 'chat')[0]!.status.code).toBe(2);

      await reader.forceFlush();
      const names = metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor.name)));
      expect(names).toContain('gen_ai.client.token.usage');
      expect(names).toContain('gen_ai.client.operation.duration');
    } finally {
      await meterProvider.shutdown();
      await server.close();
    }
  });

  it('trace context from an incoming traceparent header becomes the run span parent', async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const parentId = 'b7ad6b7169203331';
      const incoming = propagation.extract(context.active(), { traceparent: `00-${traceId}-${parentId}-01` });
      const agent = new Agent({ model: new ScriptedModel().text('ok'), telemetry: { tracer } });
      await context.with(incoming, () => agent.run('hi'));
      const [run] = byName(exporter.getFinishedSpans(), 'invoke_agent');
      expect(run!.spanContext().traceId).toBe(traceId);
      expect(parentOf(run!)).toBe(parentId);
    } finally {
      propagation.disable();
    }
  });

  it('telemetry: false emits nothing even with a global provider', async () => {
    trace.setGlobalTracerProvider(provider);
    try {
      await new Agent({ model: new ScriptedModel().text('ok'), telemetry: false }).run('hi');
      expect(exporter.getFinishedSpans()).toHaveLength(0);
      await new Agent({ model: new ScriptedModel().text('ok') }).run('hi');
      expect(byName(exporter.getFinishedSpans(), 'invoke_agent')).toHaveLength(1);
    } finally {
      trace.disable();
    }
  });
});

describe('tracing from OTEL_* environment variables', () => {
  it('reads which exporter the environment asks for', () => {
    expect(tracesExporterFromEnv({})).toBeNull();
    expect(tracesExporterFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe('otlp');
    expect(tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'console' })).toBe('console');
    expect(tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })).toBeNull();
    expect(tracesExporterFromEnv({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBeNull();
  });

  it('sends OTLP/HTTP spans of a run to a receiver on 127.0.0.1', async () => {
    const bodies: { path: string; body: unknown }[] = [];
    const receiver = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const { port } = receiver.address() as AddressInfo;
    context.disable();
    const started = await startTelemetryFromEnv({
      serviceName: 'telemetry-test',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    });
    try {
      expect(started?.exporter).toBe('otlp');
      await new Agent({ model: new ScriptedModel().text('ok') }).run('hi');
      await started!.flush();
      expect(bodies.map((b) => b.path)).toContain('/v1/traces');
      const text = JSON.stringify(bodies.map((b) => b.body));
      expect(text).toContain('invoke_agent mixtape');
      expect(text).toContain('chat scripted-model');
      expect(text).toContain('telemetry-test');
    } finally {
      await started?.shutdown();
      context.setGlobalContextManager(contextManager.enable());
      await new Promise((r) => receiver.close(r));
    }
  });
});
