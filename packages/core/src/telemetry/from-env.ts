/**
 * Turns tracing on from the standard OTEL_* environment variables, for programs (the CLI, the
 * server) rather than libraries. The OpenTelemetry SDK packages are optional peer dependencies
 * of @mixtape/core, imported only when the environment asks for tracing, so an agent that does
 * not trace never loads them.
 * @module
 */
// Types only (erased): the SDK packages are optional peers, imported below only when asked for.
import type * as ContextHooks from '@opentelemetry/context-async-hooks';
import type * as OtelCore from '@opentelemetry/core';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as OtelResources from '@opentelemetry/resources';
import type * as SdkTraceBase from '@opentelemetry/sdk-trace-base';
import { otelApi } from '../lazy-require.js';

/** What {@link startTelemetryFromEnv} started; `shutdown` flushes and stops the exporter. */
export interface EnvTelemetry {
  /** The exporter in use: 'otlp' (HTTP/JSON to OTEL_EXPORTER_OTLP_ENDPOINT) or 'console'. */
  exporter: 'otlp' | 'console';
  /** Sends spans still buffered. */
  flush(): Promise<void>;
  /** Flushes and unregisters the global tracer provider. */
  shutdown(): Promise<void>;
}

/** Thrown when the environment asks for tracing but the SDK packages are not installed. */
export class TelemetrySetupError extends Error {
  override readonly name = 'TelemetrySetupError';
}

const SDK_PACKAGES = [
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/core',
];

/**
 * Which exporter the environment asks for, or null for none. Tracing is on when
 * OTEL_TRACES_EXPORTER names `otlp` or `console`, or when an OTLP endpoint is set
 * (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); OTEL_SDK_DISABLED=true and
 * OTEL_TRACES_EXPORTER=none turn it off.
 */
export function tracesExporterFromEnv(env: NodeJS.ProcessEnv = process.env): 'otlp' | 'console' | null {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return null;
  const named = env.OTEL_TRACES_EXPORTER?.split(',').map((s) => s.trim().toLowerCase()) ?? [];
  if (named.includes('none')) return null;
  if (named.includes('console')) return 'console';
  if (named.includes('otlp')) return 'otlp';
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return 'otlp';
  return null;
}

/**
 * The OTLP/HTTP traces endpoint and headers named by `env` (the exporter reads process.env itself;
 * this lets a caller pass another environment): OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else
 * OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces"; headers from OTEL_EXPORTER_OTLP(_TRACES)_HEADERS
 * ("k=v,k2=v2", values URL-decoded).
 */
export function otlpConfigFromEnv(env: NodeJS.ProcessEnv): { url?: string; headers?: Record<string, string> } {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base}/v1/traces` : undefined);
  const headers: Record<string, string> = {};
  for (const list of [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS]) {
    for (const pair of list?.split(',') ?? []) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue; // not a k=v pair: the specification says to ignore it
      const key = pair.slice(0, eq).trim();
      let value = pair.slice(eq + 1).trim();
      try {
        value = decodeURIComponent(value);
      } catch {
        // Not percent-encoded text: the raw value is what the user wrote.
      }
      headers[key] = value;
    }
  }
  return { ...(url ? { url } : {}), ...(Object.keys(headers).length ? { headers } : {}) };
}

/**
 * Registers a global tracer provider, an AsyncLocalStorage context manager and the W3C trace
 * context propagator when the environment asks for tracing (see {@link tracesExporterFromEnv});
 * returns null otherwise. The OTLP exporter reads its endpoint, headers and timeout from the
 * standard variables itself. `serviceName` is used unless OTEL_SERVICE_NAME is set. Returns null
 * too when the program already registered a tracer provider (its set-up wins).
 */
export async function startTelemetryFromEnv(options: { serviceName?: string; env?: NodeJS.ProcessEnv } = {}): Promise<EnvTelemetry | null> {
  const env = options.env ?? process.env;
  const exporterKind = tracesExporterFromEnv(env);
  if (!exporterKind) return null;
  let sdk: typeof SdkTraceBase;
  let otlp: typeof OtlpHttp;
  let hooks: typeof ContextHooks;
  let core: typeof OtelCore;
  let resources: typeof OtelResources;
  try {
    [sdk, otlp, hooks, core, resources] = await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/resources'),
    ]);
  } catch (error) {
    throw new TelemetrySetupError(
      `Tracing is turned on by OTEL_* environment variables, but the OpenTelemetry SDK is not installed: npm install ${SDK_PACKAGES.join(' ')} @opentelemetry/resources (or unset OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_ENDPOINT). ${(error as Error).message}`,
      { cause: error },
    );
  }
  const exporter = exporterKind === 'console' ? new sdk.ConsoleSpanExporter() : new otlp.OTLPTraceExporter(otlpConfigFromEnv(env));
  const serviceName = env.OTEL_SERVICE_NAME ?? options.serviceName ?? 'mixtape';
  const provider = new sdk.BasicTracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new sdk.BatchSpanProcessor(exporter)],
  });
  const { context, propagation, trace } = otelApi();
  // A program that registered its own SDK keeps it: ours is dropped and nothing is changed.
  if (!trace.setGlobalTracerProvider(provider)) {
    await provider.shutdown();
    return null;
  }
  context.setGlobalContextManager(new hooks.AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  return {
    exporter: exporterKind,
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
