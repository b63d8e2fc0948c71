/**
 * Mixtape as an MCP server: a tool and an agent (as the tool `run_agent`, keeping its session)
 * served over Streamable HTTP on 127.0.0.1 with a bearer token, then used by the official MCP
 * SDK client. The CLI does the same for its own agent with `mixtape mcp` (stdio) or
 * `mixtape mcp --http 8080`.
 *
 *   node --conditions=mixtape-source --import tsx examples/mcp-server.ts
 */
import { Agent, MemorySessionStore, PermissionAuthorizer, tool } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { serveMcpHttp } from '@mixtape/mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { z } from 'zod';

const add = tool({
  name: 'add',
  description: 'Adds two numbers',
  input: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => String(a + b),
});
const remove = tool({
  name: 'remove_file',
  description: 'Removes a file',
  input: z.object({ path: z.string() }),
  execute: () => 'removed',
});
const model = new ScriptedModel().toolUse('add', { a: 2, b: 40 }).text('The answer is 42.').text('You asked me to add 2 and 40.');
const sessions = new MemorySessionStore();

const served = await serveMcpHttp({
  tools: [add, remove],
  // The same permission rules as in an agent run (the agent's own tool calls follow the agent's rules).
  authorizer: new PermissionAuthorizer({
    policy: 'deny',
    rules: [
      { tool: 'add', effect: 'allow' },
      { tool: 'run_agent', effect: 'allow' },
    ],
  }),
  agent: { create: (sessionId) => new Agent({ model, tools: [add], sessionStore: sessions, ...(sessionId ? { sessionId } : {}) }) },
  token: 'example-token',
});
console.log(`Serving ${served.url}`);

const client = new Client({ name: 'example-client', version: '1.0.0' });
await client.connect(
  new StreamableHTTPClientTransport(new URL(served.url), { requestInit: { headers: { authorization: 'Bearer example-token' } } }),
);
try {
  console.log('tools:', (await client.listTools()).tools.map((t) => t.name).join(', '));
  const sum = await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
  console.log('add →', JSON.stringify(sum.content));
  const refused = await client.callTool({ name: 'remove_file', arguments: { path: 'x' } });
  console.log('remove_file →', refused.isError ? 'refused by the rules' : 'ran');
  const first = await client.callTool({ name: 'run_agent', arguments: { prompt: 'What is 2 + 40?' } });
  const sessionId = (first.structuredContent as { session_id: string }).session_id;
  console.log('run_agent →', JSON.stringify(first.content));
  const second = await client.callTool({ name: 'run_agent', arguments: { prompt: 'What did I ask?', session_id: sessionId } });
  console.log('run_agent (same session) →', JSON.stringify(second.content));
} finally {
  await client.close();
  await served.close();
  console.log('Server stopped.');
}
