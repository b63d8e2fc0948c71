import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpClient } from '../src/index.js';
import { isolatedAbortFetch, requestsLinkedTo } from '../src/request-signal.js';
import { startHttpTestServer, type HttpTestServer } from './fixtures/http-server.js';

/** 127.0.0.1 server: /json answers at once; /events sends two events and ends; /open sends one and stays open. */
function startFixture(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: one\n\n');
    if (req.url === '/events') res.end('data: two\n\n');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })),
  );
}

describe('isolatedAbortFetch: one listener on the connection-wide signal, requests unlinked when done', () => {
  let fixture: { url: string; server: Server };
  beforeAll(async () => {
    fixture = await startFixture();
  });
  afterAll(async () => {
    fixture.server.closeAllConnections();
    await new Promise((resolve) => fixture.server.close(resolve));
  });

  it('JSON answers leave nothing on the shared signal', async () => {
    const connection = new AbortController();
    const wrapped = isolatedAbortFetch();
    for (let i = 0; i < 200; i++) {
      const response = await wrapped(`${fixture.url}/json`, { signal: connection.signal });
      expect(await response.json()).toEqual({ ok: true });
    }
    expect(getEventListeners(connection.signal, 'abort')).toHaveLength(1);
    expect(requestsLinkedTo(connection.signal)).toBe(0);
  });

  it('an event stream stays linked while it is read, and is unlinked when it ends or is cancelled', async () => {
    const connection = new AbortController();
    const wrapped = isolatedAbortFetch();
    const ended = await wrapped(`${fixture.url}/events`, { signal: connection.signal });
    expect(requestsLinkedTo(connection.signal)).toBe(1);
    expect(await ended.text()).toBe('data: one\n\ndata: two\n\n');
    expect(requestsLinkedTo(connection.signal)).toBe(0);

    const open = await wrapped(`${fixture.url}/open`, { signal: connection.signal });
    const reader = open.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: one\n\n');
    expect(requestsLinkedTo(connection.signal)).toBe(1);
    await reader.cancel();
    expect(requestsLinkedTo(connection.signal)).toBe(0);
    expect(getEventListeners(connection.signal, 'abort')).toHaveLength(1);
  });

  it('aborting the shared signal still aborts a stream in flight', async () => {
    const connection = new AbortController();
    const open = await isolatedAbortFetch()(`${fixture.url}/open`, { signal: connection.signal });
    const reader = open.body!.getReader();
    await reader.read();
    connection.abort(new Error('transport closed'));
    await expect(reader.read()).rejects.toThrow('transport closed');
    expect(requestsLinkedTo(connection.signal)).toBe(0);
    expect(getEventListeners(connection.signal, 'abort')).toHaveLength(0);
  });
});

describe('many calls over one Streamable HTTP connection', () => {
  let server: HttpTestServer;
  beforeAll(async () => {
    server = await startHttpTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('2,000 calls raise no MaxListenersExceededWarning (the SDK shares one signal across requests)', { timeout: 60_000 }, async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => {
      if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    const client = new McpClient({ name: 'remote', transport: { type: 'http', url: `${server.url}/mcp` } });
    try {
      let sum = 0;
      for (let i = 0; i < 2_000; i += 10) {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, k) => client.callTool('add', { a: i + k, b: 0 }, { signal: new AbortController().signal })),
        );
        for (const r of results) sum += Number((r.content[0] as { text: string }).text);
      }
      expect(sum).toBe((1_999 * 2_000) / 2);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await client.close();
    }
  });
});
