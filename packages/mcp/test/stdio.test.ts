import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpClient, McpConnectionError, McpToolError, McpToolset, mcpTools } from '../src/index.js';
import { TINY_PNG_BASE64 } from './fixtures/test-server.js';
import { byName, processExists, runTool, testServerConfig, TEST_SERVER_TOOLS } from './helpers.js';

const ALL = TEST_SERVER_TOOLS;

describe('MCP over stdio with the project test server', { timeout: 60_000 }, () => {
  let toolset: McpToolset;
  beforeAll(() => {
    toolset = new McpToolset([testServerConfig('test')]);
  });
  afterAll(async () => {
    await toolset.close();
  });

  it('lists the server tools namespaced <server>_<tool> with the server schema', async () => {
    const tools = await toolset.tools();
    expect(tools.map((t) => t.name)).toEqual(ALL.map((n) => `test_${n}`));
    const add = byName(tools, 'test_add');
    expect(add.description).toBe('Adds two numbers');
    expect(add.inputSchema).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    });
    expect(add.inputSchema).not.toHaveProperty('$schema');
  });

  it('calls echo and add and returns their text', async () => {
    const tools = await toolset.tools();
    expect(await runTool(byName(tools, 'test_echo'), { message: 'hello' })).toEqual([{ type: 'text', text: 'hello' }]);
    expect(await runTool(byName(tools, 'test_add'), { a: 2, b: 40 })).toEqual([{ type: 'text', text: '42' }]);
  });

  it('rejects input that does not match the server schema before calling the server', async () => {
    const add = byName(await toolset.tools(), 'test_add');
    const checked = add.validate({ a: 'two', b: 1 });
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.error).toContain('a:');
    expect(add.validate([1, 2])).toEqual({ ok: false, error: 'Tool input must be a JSON object, got: array' });
  });

  it('turns an isError result into a thrown McpToolError (a failure for the agent)', async () => {
    const fail = byName(await toolset.tools(), 'test_fail');
    const error = await runTool(fail, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpToolError);
    expect(error).toMatchObject({ kind: 'is_error', serverName: 'test', toolName: 'fail', message: 'the tool failed on purpose' });
  });

  it('maps image, embedded resource and structured content', async () => {
    const tools = await toolset.tools();
    expect(await runTool(byName(tools, 'test_image'), {})).toEqual([
      { type: 'text', text: 'a tiny image' },
      { type: 'image', mediaType: 'image/png', data: TINY_PNG_BASE64 },
    ]);
    expect(await runTool(byName(tools, 'test_resource'), {})).toEqual([{ type: 'text', text: 'embedded note' }]);
    // The text copy of the structured content is dropped: the model reads it once, as JSON.
    expect(await runTool(byName(tools, 'test_structured'), { a: 1, b: 2 })).toEqual([{ type: 'json', value: { sum: 3 } }]);
  });

  it('aborting the signal cancels the request on the server', async () => {
    const tools = await toolset.tools();
    const controller = new AbortController();
    const slow = runTool(byName(tools, 'test_slow'), {}, controller.signal).catch((e: unknown) => e);
    await runTool(byName(tools, 'test_slow_running'), {});
    controller.abort(new Error('user pressed stop'));
    const error = await slow;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('user pressed stop');
    // Cancellation is a notification sent before this request on the same pipe.
    const stats = await runTool(byName(tools, 'test_stats'), {});
    expect(JSON.parse((stats as Array<{ text: string }>)[0]!.text)).toEqual({ cancelled: 1, running: 0 });
  });

  it('a call that takes longer than timeoutMs fails with kind timeout and is cancelled on the server', async () => {
    const client = toolset.clients[0]!;
    const error = await client.callTool('slow', {}, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpToolError);
    expect(error).toMatchObject({ kind: 'timeout', message: "MCP tool 'slow' on server 'test' did not answer within 200 ms." });
    const stats = await client.callTool('stats', {});
    expect(JSON.parse((stats.content[0] as { text: string }).text)).toMatchObject({ running: 0 });
  });

  it('an unknown tool name is a protocol error naming the server and the tool', async () => {
    const client = toolset.clients[0]!;
    const result = await client.callTool('nope', {});
    // The SDK server reports unknown tools as an isError result.
    expect(result.isError).toBe(true);
  });
});

describe('McpClient lifecycle', { timeout: 60_000 }, () => {
  it('connects lazily: no process before the first use, one process for concurrent first uses', async () => {
    const client = new McpClient(testServerConfig('lazy'));
    try {
      expect(client.connected).toBe(false);
      expect(client.pid).toBeUndefined();
      const [a, b] = await Promise.all([
        client.callTool('echo', { message: 'a' }),
        client.callTool('echo', { message: 'b' }),
        client.connect(),
      ]);
      expect(a.content).toEqual([{ type: 'text', text: 'a' }]);
      expect(b.content).toEqual([{ type: 'text', text: 'b' }]);
      expect(client.connected).toBe(true);
      const pid = client.pid!;
      await client.connect();
      expect(client.pid).toBe(pid);
      const served = await client.callTool('pid', {});
      expect(served.content).toEqual([{ type: 'text', text: String(pid) }]);
      expect(client.serverInfo).toMatchObject({ name: 'mixtape-test-server' });
    } finally {
      await client.close();
    }
  });

  it('reconnects once after the server process was killed and the call succeeds', async () => {
    const client = new McpClient(testServerConfig('phoenix'));
    try {
      await client.connect();
      const first = client.pid!;
      process.kill(first, 'SIGKILL');
      // echo is read-only: safe to send again if the kill is noticed only once it is in flight.
      const result = await client.callTool('echo', { message: 'back again' }, { retrySafe: true });
      expect(result.content).toEqual([{ type: 'text', text: 'back again' }]);
      expect(client.pid).not.toBe(first);
      expect(processExists(first)).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('close ends the child process (no process or zombie left) and is idempotent', async () => {
    const { toolset, close } = await mcpTools([testServerConfig('closing', { include: ['echo'] })]);
    const pid = toolset.clients[0]!.pid!;
    expect(processExists(pid)).toBe(true);
    await close();
    expect(processExists(pid)).toBe(false);
    expect(toolset.clients[0]!.connected).toBe(false);
    await close();
  });

  it('close() during a call fails that call and does not start the server again', async () => {
    const client = new McpClient(testServerConfig('interrupted'));
    await client.connect();
    const pid = client.pid!;
    const pending = client.callTool('slow', {}).catch((e: unknown) => e);
    await client.callTool('slow_running', {});
    await client.close();
    const error = await pending;
    expect(error).toBeInstanceOf(McpConnectionError);
    expect((error as Error).message).toContain('closed while a request was in flight');
    expect(client.connected).toBe(false);
    expect(processExists(pid)).toBe(false);
  });

  it('a command that does not exist is an McpConnectionError naming the server', async () => {
    const client = new McpClient({ name: 'ghost', transport: { type: 'stdio', command: '/nonexistent/mcp-server' } });
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpConnectionError);
    expect((error as Error).message).toContain("MCP server 'ghost'");
    expect((error as Error).message).toContain('not found');
  });

  it('a server that exits at start-up shows its stderr in the error', async () => {
    const client = new McpClient({
      name: 'crashy',
      transport: { type: 'stdio', command: process.execPath, args: ['-e', 'console.error("missing API key FOO"); process.exit(3)'] },
    });
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpConnectionError);
    expect((error as Error).message).toContain("MCP server 'crashy'");
    expect((error as Error).message).toContain('missing API key FOO');
  });

  it('passes env to the child and not the parent environment', async () => {
    process.env.MIXTAPE_MCP_SECRET_TEST = 'parent-secret';
    const client = new McpClient(testServerConfig('envy', {}, { GREETING: 'hi from env' }));
    try {
      expect((await client.callTool('env', { name: 'GREETING' })).content).toEqual([{ type: 'text', text: 'hi from env' }]);
      expect((await client.callTool('env', { name: 'MIXTAPE_MCP_SECRET_TEST' })).content).toEqual([{ type: 'text', text: '(unset)' }]);
    } finally {
      delete process.env.MIXTAPE_MCP_SECRET_TEST;
      await client.close();
    }
  });
});
