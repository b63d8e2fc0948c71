import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpToolset, type McpTool } from '../src/index.js';
import { byName, processExists, runTool } from './helpers.js';

/** The published @modelcontextprotocol/server-everything (a root devDependency), as installed by npm. */
const BIN = fileURLToPath(new URL('../../../node_modules/.bin/mcp-server-everything', import.meta.url));

describe('a published MCP server from npm (@modelcontextprotocol/server-everything) as a child process', () => {
  let toolset: McpToolset;
  let tools: McpTool[];
  beforeAll(async () => {
    expect(existsSync(BIN)).toBe(true);
    toolset = new McpToolset([{ name: 'everything', transport: { type: 'stdio', command: BIN, args: ['stdio'] } }]);
    tools = await toolset.tools();
  });
  afterAll(async () => {
    await toolset.close();
  });

  it('lists its tools, namespaced', () => {
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['everything_echo', 'everything_get-sum', 'everything_get-tiny-image']));
    expect((byName(tools, 'everything_get-tiny-image') as McpTool).annotations).toMatchObject({ readOnlyHint: true });
  });

  it('calls echo and get-sum', async () => {
    expect(await runTool(byName(tools, 'everything_echo'), { message: 'hi' })).toEqual([{ type: 'text', text: 'Echo: hi' }]);
    expect(await runTool(byName(tools, 'everything_get-sum'), { a: 2, b: 3 })).toEqual([
      { type: 'text', text: 'The sum of 2 and 3 is 5.' },
    ]);
  });

  it('maps its image result to image content', async () => {
    const result = (await runTool(byName(tools, 'everything_get-tiny-image'), {})) as Array<{
      type: string;
      mediaType?: string;
      data?: string;
    }>;
    expect(result.map((c) => c.type)).toEqual(['text', 'image', 'text']);
    expect(result[1]).toMatchObject({ type: 'image', mediaType: 'image/png' });
    expect(Buffer.from(result[1]!.data!, 'base64').subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('close ends its process', async () => {
    const pid = toolset.clients[0]!.pid!;
    expect(processExists(pid)).toBe(true);
    await toolset.close();
    expect(processExists(pid)).toBe(false);
  });
});
