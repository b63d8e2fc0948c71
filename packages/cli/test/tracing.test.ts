import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli, tempProject } from './helpers.js';

describe('mixtape and OTEL_* variables', () => {
  it('sends the spans of a run over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, named by OTEL_SERVICE_NAME', async () => {
    const bodies: string[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(`${req.url} ${Buffer.concat(chunks).toString('utf8')}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const { port } = receiver.address() as AddressInfo;
      const env = cleanEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'cli-tracing-test',
      });
      const r = await runCli(['--replay', 'tour', 'run', 'Show me around'], { cwd: tempProject(), env });
      expect(r.code).toBe(0);
      const all = bodies.join('\n');
      expect(all).toContain('/v1/traces');
      expect(all).toContain('cli-tracing-test');
      expect(all).toContain('invoke_agent');
      expect(all).toMatch(/"name":"chat /);
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });
});
