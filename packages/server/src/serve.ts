/**
 * `serve`: runs a {@link MixtapeServer} on a Node HTTP server, with graceful shutdown.
 * @module
 */
import type { AddressInfo } from 'node:net';
import { serve as nodeServe } from '@hono/node-server';
import { startTelemetryFromEnv } from '@mixtape/core';
import type { MixtapeServer } from './app.js';

/** Host the server listens on unless told otherwise: loopback only. */
export const DEFAULT_HOST = '127.0.0.1';

/** Options of {@link serve}. */
export interface ServeOptions {
  /** Port (0 = any free port; see `RunningServer.port`). */
  port: number;
  /** Address to listen on (default {@link DEFAULT_HOST}). */
  host?: string;
}

/** A listening server. */
export interface RunningServer {
  port: number;
  host: string;
  /** `http://host:port`. */
  url: string;
  /**
   * Graceful shutdown: refuses new runs (503; `/health` answers 503 "draining" so load
   * balancers move away) while still taking approvals, lets running runs finish for `graceMs`
   * (default `DEFAULT_SHUTDOWN_GRACE_MS`) and cancels the rest, then stops listening and closes
   * every connection. Safe to call twice.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Listens on `host:port` and resolves once the server accepts connections. */
export async function serve(server: MixtapeServer, options: ServeOptions): Promise<RunningServer> {
  // Tracing from the standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_EXPORTER…),
  // unless the program registered its own OpenTelemetry SDK.
  const telemetry = await startTelemetryFromEnv({ serviceName: 'mixtape-server' });
  const host = options.host ?? DEFAULT_HOST;
  // The listen address is a name clients use in the Host header (wildcards are not).
  if (host !== '0.0.0.0' && host !== '::' && host !== '') server.allowHost(host.includes(':') ? `[${host}]` : host);
  return new Promise((resolve, reject) => {
    const http = nodeServe({ fetch: server.fetch, port: options.port, hostname: host }, (info: AddressInfo) => {
      let closing: Promise<void> | undefined;
      resolve({
        port: info.port,
        host,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`,
        close(opts = {}) {
          closing ??= (async () => {
            // Draining first, still listening: new runs get 503 (and /health says draining) while
            // approvals for paused runs still arrive; then the listener and connections close.
            await server.shutdown(opts);
            const closed = new Promise<void>((r) => http.close(() => r()));
            if ('closeAllConnections' in http) http.closeAllConnections();
            await closed;
            await telemetry?.shutdown();
          })();
          return closing;
        },
      });
    });
    http.once('error', reject);
  });
}
