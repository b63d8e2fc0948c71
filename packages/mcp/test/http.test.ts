import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpClient, McpConnectionError, McpToolError, mcpTools } from '../src/index.js';
import { startHttpTestServer, type HttpTestServer } from './fixtures/http-server.js';
import { TINY_PNG_BASE64 } from './fixtures/test-server.js';
import { byName, runTool } from './helpers.js';

describe('MCP over HTTP on 127.0.0.1', () => {
  let server: HttpTestServer;
  beforeAll(async () => {
    server = await startHttpTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('lists and calls tools over Streamable HTTP', async () => {
    const { tools, toolset, close } = await mcpTools([{ name: 'remote', transport: { type: 'http', url: `${server.url}/mcp` } }]);
    try {
      expect(toolset.clients[0]!.transportKind).toBe('streamable-http');
      expect(tools.map((t) => t.name)).toContain('remote_add');
      expect(await runTool(byName(tools, 'remote_add'), { a: 20, b: 22 })).toEqual([{ type: 'text', text: '42' }]);
      expect(await runTool(byName(tools, 'remote_image'), {})).toContainEqual({
        type: 'image',
        mediaType: 'image/png',
        data: TINY_PNG_BASE64,
      });
      await expect(runTool(byName(tools, 'remote_fail'), {})).rejects.toBeInstanceOf(McpToolError);
      expect(server.sessions.size).toBe(1);
    } finally {
      await close();
    }
    // close() ends the HTTP session on the server (DELETE).
    expect(server.requests).toContain('DELETE /mcp');
    expect(server.sessions.size).toBe(0);
  });

  it('cancels a request over HTTP when the signal aborts', async () => {
    const { tools, close } = await mcpTools([
      { name: 'remote', transport: { type: 'http', url: `${server.url}/mcp` }, include: ['slow', 'slow_running'] },
    ]);
    try {
      const before = server.state.cancelled;
      const controller = new AbortController();
      const slow = runTool(byName(tools, 'remote_slow'), {}, controller.signal).catch((e: unknown) => e);
      await runTool(byName(tools, 'remote_slow_running'), {});
      controller.abort(new Error('stop'));
      expect(await slow).toMatchObject({ message: 'stop' });
      // The cancellation notification is a separate POST; the server counts it once it arrives.
      await expect.poll(() => server.state.cancelled).toBe(before + 1);
    } finally {
      await close();
    }
  });

  it('sends the configured headers with every request', async () => {
    const denied = new McpClient({ name: 'locked', transport: { type: 'http', url: `${server.url}/auth/mcp` } });
    const error = await denied.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpConnectionError);
    expect((error as Error).message).toContain("MCP server 'locked'");
    const allowed = new McpClient({
      name: 'locked',
      transport: { type: 'http', url: `${server.url}/auth/mcp`, headers: { Authorization: 'Bearer secret' } },
    });
    try {
      expect((await allowed.callTool('echo', { message: 'let in' })).content).toEqual([{ type: 'text', text: 'let in' }]);
    } finally {
      await allowed.close();
    }
  });

  it('falls back to HTTP+SSE when the server answers the Streamable HTTP POST with 4xx', async () => {
    const client = new McpClient({ name: 'old', transport: { type: 'http', url: `${server.url}/legacy` } });
    try {
      const result = await client.callTool('add', { a: 1, b: 2 });
      expect(result.content).toEqual([{ type: 'text', text: '3' }]);
      expect(client.transportKind).toBe('sse');
      expect(server.requests).toEqual(expect.arrayContaining(['POST /legacy', 'GET /legacy', 'POST /legacy/messages']));
    } finally {
      await client.close();
    }
  });

  it('type sse connects with HTTP+SSE directly', async () => {
    const client = new McpClient({ name: 'old', transport: { type: 'sse', url: `${server.url}/legacy` } });
    try {
      expect((await client.callTool('echo', { message: 'sse' })).content).toEqual([{ type: 'text', text: 'sse' }]);
      expect(client.transportKind).toBe('sse');
    } finally {
      await client.close();
    }
  });

  it('starts a new session when the server forgot the old one (404) and the call succeeds', async () => {
    const client = new McpClient({ name: 'remote', transport: { type: 'http', url: `${server.url}/mcp` } });
    try {
      await client.connect();
      await server.dropSessions();
      expect((await client.callTool('echo', { message: 'new session' })).content).toEqual([{ type: 'text', text: 'new session' }]);
      expect(server.sessions.size).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('a server that is not listening is an McpConnectionError naming the server and the URL', async () => {
    const probe = await startHttpTestServer();
    const url = `${probe.url}/mcp`;
    await probe.close();
    const client = new McpClient({ name: 'gone', transport: { type: 'http', url } });
    const error = await client.listTools().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpConnectionError);
    expect((error as Error).message).toContain(url);
    expect((error as Error).message).toContain("MCP server 'gone'");
  });
});
