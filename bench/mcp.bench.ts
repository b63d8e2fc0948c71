/**
 * MCP tool-call overhead: Mixtape's `McpTool` (validate → call → map result) against the bare
 * official SDK `Client.callTool` on the same server program, over stdio (child process) and
 * Streamable HTTP (127.0.0.1), sequential and 10 at a time. Also the time to start a stdio
 * server and list its tools.
 */
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpClient, McpToolset, type McpServerConfig, type McpTool } from '@mixtape/mcp';
import { startHttpTestServer } from '../packages/mcp/test/fixtures/http-server.js';

const SERVER = fileURLToPath(new URL('../packages/mcp/test/fixtures/test-server.ts', import.meta.url));
const EVERYTHING = fileURLToPath(new URL('../node_modules/.bin/mcp-server-everything', import.meta.url));
const CALLS = 300;
const PARALLEL = 10;

type Call = (i: number) => Promise<unknown>;

async function rate(call: Call, parallel: number): Promise<number> {
  for (let i = 0; i < 20; i++) await call(i); // warm-up
  const started = performance.now();
  for (let i = 0; i < CALLS; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, CALLS - i) }, (_, k) => call(i + k)));
  }
  return CALLS / ((performance.now() - started) / 1000);
}

async function mixtapeCall(config: McpServerConfig): Promise<{ call: Call; close: () => Promise<void> }> {
  const toolset = new McpToolset([{ ...config, include: ['add'] }]);
  const add = (await toolset.tools())[0] as McpTool;
  return {
    call: async (i) => {
      const checked = add.validate({ a: i, b: 1 });
      if (!checked.ok) throw new Error(checked.error);
      // As in an agent run: one signal per call.
      return add.execute(checked.value, { signal: new AbortController().signal, toolUseId: String(i) });
    },
    close: () => toolset.close(),
  };
}

async function sdkCall(transport: StdioClientTransport | StreamableHTTPClientTransport): Promise<{ call: Call; close: () => Promise<void> }> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  return { call: (i) => client.callTool({ name: 'add', arguments: { a: i, b: 1 } }), close: () => client.close() };
}

async function time(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export default async function bench(): Promise<string> {
  const http = await startHttpTestServer();
  const stdioArgs = ['--import', 'tsx', SERVER];
  const rows: string[] = [];
  try {
    for (const transport of ['stdio', 'streamable HTTP'] as const) {
      const ours = await mixtapeCall(
        transport === 'stdio'
          ? { name: 'b', transport: { type: 'stdio', command: process.execPath, args: stdioArgs } }
          : { name: 'b', transport: { type: 'http', url: `${http.url}/mcp` } },
      );
      const peer = await sdkCall(
        transport === 'stdio'
          ? new StdioClientTransport({ command: process.execPath, args: stdioArgs, stderr: 'ignore' })
          : new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`)),
      );
      try {
        for (const parallel of [1, PARALLEL]) {
          const sdk = await rate(peer.call, parallel);
          const mix = await rate(ours.call, parallel);
          rows.push(`| ${transport} | ${parallel} | ${sdk.toFixed(0)} | ${mix.toFixed(0)} | ${(mix / sdk).toFixed(2)} |`);
        }
      } finally {
        await ours.close();
        await peer.close();
      }
    }
  } finally {
    await http.close();
  }

  const startRows: string[] = [];
  for (const [label, config] of [
    ['project test server (node + tsx)', { name: 's', transport: { type: 'stdio', command: process.execPath, args: stdioArgs } }],
    ['@modelcontextprotocol/server-everything', { name: 's', transport: { type: 'stdio', command: EVERYTHING, args: ['stdio'] } }],
  ] as const) {
    const client = new McpClient(config as McpServerConfig);
    const listMs = await time(async () => {
      await client.listTools();
    });
    const closeMs = await time(() => client.close());
    startRows.push(`| ${label} | ${listMs.toFixed(0)} | ${closeMs.toFixed(0)} |`);
  }

  return [
    '## MCP tool calls (@mixtape/mcp vs the bare SDK client)',
    '',
    `Tool \`add\` of the project test server, ${CALLS} calls after a warm-up. "Mixtape" includes input validation against the server schema and result mapping. Ratio > 1 means Mixtape is faster.`,
    '',
    '| transport | calls in flight | SDK Client calls/s | Mixtape McpTool calls/s | ratio |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    '| stdio server | spawn + initialize + tools/list (ms) | close, child reaped (ms) |',
    '|---|---|---|',
    ...startRows,
  ].join('\n');
}
