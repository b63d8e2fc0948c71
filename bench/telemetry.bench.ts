/**
 * Cost of tracing per agent step: the same ScriptedModel run (5 tool steps, 2 parallel calls
 * each) with telemetry off, on without an SDK (the global no-op providers: the default), and on
 * with the OpenTelemetry SDK registered (BasicTracerProvider + BatchSpanProcessor to an exporter
 * that drops spans, AsyncLocalStorage context manager). CPU time of the process is measured;
 * variants run interleaved in rounds so that load from other processes hits them alike; the median
 * round is reported. Goal: ≤ 1.05×.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { context, trace } from '@opentelemetry/api';
import { anthropic } from '@mixtape/anthropic';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Agent, type TelemetryOptions } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { echo, script, STEPS } from './support/tool-steps.js';

const RUNS_PER_ROUND = 100;
const ROUNDS = 11;
const HTTP_RUNS_PER_ROUND = 10;
const HTTP_ROUNDS = 7;

/** Drops every span: measures the SDK's own cost, not an exporter's. */
class DroppingExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (r: { code: 0 }) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The fake Anthropic server in a child process (its CPU time is not this process's), scripted for `turns` runs. */
async function anthropicChild(turns: number): Promise<{ baseURL: string; stop: () => void }> {
  const code = `
    import { startFakeAnthropic } from '@mixtape/testing';
    const server = await startFakeAnthropic({ keepAliveTimeoutMs: 60_000 });
    for (let i = 0; i < ${turns}; i++) {
      for (let s = 0; s < ${STEPS}; s++) server.script.toolUses([{ name: 'echo', input: { n: s } }, { name: 'echo', input: { n: s + 100 } }]);
      server.script.text('done');
    }
    console.log(server.baseURL);
    process.stdin.resume();
    process.stdin.on('end', () => server.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return { baseURL: line.trim(), stop: () => child.stdin.end() };
}

async function usPerStepOverHttp(baseURL: string, telemetry: TelemetryOptions | false): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < HTTP_RUNS_PER_ROUND; i++) {
    const model = anthropic('claude-sonnet-4-6', { apiKey: 'bench', baseURL });
    await new Agent({ model, tools: [echo], telemetry }).run('go');
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / HTTP_RUNS_PER_ROUND / (STEPS + 1);
}

async function usPerStep(telemetry: TelemetryOptions | false | undefined): Promise<number> {
  // CPU time of this process (user + system), not wall time: other processes on the machine
  // change wall time far more than they change the work done here.
  const start = process.cpuUsage();
  for (let i = 0; i < RUNS_PER_ROUND; i++)
    await new Agent({ model: script(new ScriptedModel()), tools: [echo], ...(telemetry !== undefined ? { telemetry } : {}) }).run('go');
  const used = process.cpuUsage(start);
  return (used.user + used.system) / RUNS_PER_ROUND / (STEPS + 1);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export default async function (): Promise<string> {
  const exporter = new DroppingExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  const sdkTracer = provider.getTracer('bench');
  const manager = new AsyncLocalStorageContextManager();
  const variants: [string, () => Promise<number>][] = [
    ['telemetry: false', () => usPerStep(false)],
    ['default (global API, no SDK registered)', () => usPerStep(undefined)],
    [
      'telemetry: false, AsyncLocalStorage context manager enabled',
      async () => {
        context.setGlobalContextManager(manager.enable());
        try {
          return await usPerStep(false);
        } finally {
          context.disable();
        }
      },
    ],
    [
      'OpenTelemetry SDK registered (batch processor, dropping exporter, AsyncLocalStorage context manager)',
      async () => {
        context.setGlobalContextManager(manager.enable());
        try {
          return await usPerStep({ tracer: sdkTracer });
        } finally {
          context.disable();
        }
      },
    ],
  ];
  for (const [, fn] of variants) await fn(); // warm up
  const samples = variants.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) for (let v = 0; v < variants.length; v++) samples[v]!.push(await variants[v]![1]());
  // The same with a real provider stack: @anthropic-ai/sdk over HTTP/SSE to the fake server.
  const child = await anthropicChild((HTTP_ROUNDS + 1) * 2 * HTTP_RUNS_PER_ROUND);
  const http: number[][] = [[], []];
  try {
    context.setGlobalContextManager(manager.enable());
    await usPerStepOverHttp(child.baseURL, false); // warm up
    await usPerStepOverHttp(child.baseURL, { tracer: sdkTracer });
    for (let r = 0; r < HTTP_ROUNDS; r++) {
      http[0]!.push(await usPerStepOverHttp(child.baseURL, false));
      http[1]!.push(await usPerStepOverHttp(child.baseURL, { tracer: sdkTracer }));
    }
  } finally {
    context.disable();
    child.stop();
  }
  await provider.forceFlush();
  await provider.shutdown();
  trace.disable();
  const base = median(samples[0]!);
  const lines = [
    '## Tracing overhead per agent step',
    '',
    `ScriptedModel, ${STEPS} tool steps + a final answer per run, ${RUNS_PER_ROUND} runs per round, median of ${ROUNDS} interleaved rounds. ${exporter.spans} spans were exported (and dropped) by the SDK variant.`,
    '',
    '| variant | CPU µs per step | ratio to telemetry: false |',
    '|---|---:|---:|',
    ...variants.map(([name], i) => `| ${name} | ${median(samples[i]!).toFixed(1)} | ${(median(samples[i]!) / base).toFixed(2)}× |`),
    '',
    `With the Anthropic provider over HTTP/SSE (fake server in a child process, ${HTTP_RUNS_PER_ROUND} runs per round, median of ${HTTP_ROUNDS}), AsyncLocalStorage context manager in both: telemetry off ${median(http[0]!).toFixed(1)} CPU µs per step, SDK tracing on ${median(http[1]!).toFixed(1)}: **${(median(http[1]!) / median(http[0]!)).toFixed(2)}×**.`,
    '',
    `Mixtape's own cost of tracing with an SDK (spans, attributes, context switches), against the same process with the context manager an SDK installs: ${(median(samples[3]!) / median(samples[2]!)).toFixed(2)}×. The rest is the AsyncLocalStorage context manager itself (Node's async hooks on every promise), which any OpenTelemetry set-up pays.`,
  ];
  return lines.join('\n');
}
