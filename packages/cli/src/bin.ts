/**
 * Entry point of the `mixtape` executable.
 * @module
 */
import { main } from './cli.js';

// Tracing from the standard OTEL_* variables; @mixtape/core and the SDK load only when asked for.
const env = process.env;
const tracing =
  env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_TRACES_EXPORTER
    ? await import('@mixtape/core')
        .then((core) => core.startTelemetryFromEnv({ serviceName: 'mixtape-cli' }))
        .catch((error: unknown) => {
          process.stderr.write(`mixtape: tracing stays off: ${(error as Error).message}\n`);
          return null;
        })
    : null;
const code = await main(process.argv.slice(2));
// Spans still buffered are sent before the process exits.
await tracing
  ?.shutdown()
  .catch((error: unknown) => process.stderr.write(`mixtape: could not send the last traces: ${(error as Error).message}\n`));
process.exit(code);
