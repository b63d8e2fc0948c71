import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpTools, type McpServerConfig } from '../src/index.js';
import { startHttpTestServer, type HttpTestServer } from './fixtures/http-server.js';
import { byName, runTool, TEST_SERVER_TOOLS } from './helpers.js';

// Naming and filtering do not depend on the transport: these use the in-process HTTP server
// (no child process to start for each of the many servers).
const ALL = TEST_SERVER_TOOLS;
let server: HttpTestServer;
beforeAll(async () => {
  server = await startHttpTestServer();
});
afterAll(async () => {
  await server.close();
});
function remote(name: string, extra: Partial<McpServerConfig> = {}): McpServerConfig {
  return { name, transport: { type: 'http', url: `${server.url}/mcp` }, ...extra };
}

describe('names and filters', () => {
  it('namespace false keeps the server names; a custom namespace gets an underscore', async () => {
    const { tools, close } = await mcpTools([
      remote('plain', { namespace: false, include: ['echo'] }),
      remote('custom', { namespace: 'my', include: ['echo'] }),
      remote('dash', { namespace: 'x-', include: ['echo'] }),
    ]);
    try {
      expect(tools.map((t) => t.name)).toEqual(['echo', 'my_echo', 'x-echo']);
      expect(await runTool(byName(tools, 'my_echo'), { message: 'via custom' })).toEqual([{ type: 'text', text: 'via custom' }]);
    } finally {
      await close();
    }
  });

  it('include and exclude match the original tool names', async () => {
    const { tools, close } = await mcpTools([
      remote('a', { include: ['echo', 'add', 'fail'], exclude: ['fail'] }),
      remote('b', { exclude: ALL.filter((n) => n !== 'pid') }),
    ]);
    try {
      expect(tools.map((t) => t.name)).toEqual(['a_echo', 'a_add', 'b_pid']);
    } finally {
      await close();
    }
  });

  it('server names that are not valid tool-name characters are sanitised', async () => {
    const { tools, close } = await mcpTools([remote('my.server v2', { include: ['echo'] })]);
    try {
      expect(tools.map((t) => t.name)).toEqual(['my_server_v2_echo']);
    } finally {
      await close();
    }
  });

  it('two tools with the same final name are a clear error', async () => {
    const error = await mcpTools([
      remote('one', { namespace: false, include: ['echo'] }),
      remote('two', { namespace: false, include: ['echo'] }),
    ]).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'McpConfigError', kind: 'duplicate_tool' });
    expect((error as Error).message).toContain("servers 'one' and 'two'");
  });
});

describe('servers that cannot be reached', () => {
  it("fail tools() by default, naming the server; with onServerError 'skip' the others' tools are still listed", async () => {
    const dead = await startHttpTestServer();
    const deadUrl = `${dead.url}/mcp`;
    await dead.close();
    const configs: McpServerConfig[] = [remote('good', { include: ['echo'] }), { name: 'down', transport: { type: 'http', url: deadUrl } }];
    const error = await mcpTools(configs).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'McpConnectionError', serverName: 'down' });
    const { tools, toolset, close } = await mcpTools(configs, { onServerError: 'skip' });
    try {
      expect(tools.map((t) => t.name)).toEqual(['good_echo']);
      expect(toolset.failures.map((f) => f.server)).toEqual(['down']);
    } finally {
      await close();
    }
  });
});
