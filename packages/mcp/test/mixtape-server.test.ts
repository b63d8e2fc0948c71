/**
 * Mixtape as an MCP server, driven by the SDK's own Client: over stdio (a child process) and
 * over Streamable HTTP on 127.0.0.1; the same permission rules as in an agent run; an agent as
 * a tool that keeps its session.
 */
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Agent, MemorySessionStore, tool } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { McpToolset, serveMcpHttp } from '../src/index.js';

const SERVER = fileURLToPath(new URL('./fixtures/mixtape-stdio-server.ts', import.meta.url));
const stdioTransport = () =>
  new StdioClientTransport({
    command: process.execPath,
    args: ['--conditions=mixtape-source', '--import', 'tsx', SERVER],
    stderr: 'ignore',
  });

describe('Mixtape over stdio, through the SDK Client', () => {
  it('lists the tools with their annotations; rules allow, deny, and ask a person through elicitation', async () => {
    const client = new Client({ name: 'sdk', version: '1' }, { capabilities: { elicitation: { form: {} } } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { approve: true } };
    });
    await client.connect(stdioTransport());
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['add', 'delete_everything', 'shout']);
      expect(tools[0]!.annotations).toMatchObject({ readOnlyHint: true });
      expect(tools[0]!.inputSchema).toMatchObject({ type: 'object', required: ['a', 'b'] });
      expect(await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } })).toMatchObject({ content: [{ type: 'text', text: '42' }] });
      expect(asked).toEqual([]);
      const denied = await client.callTool({ name: 'delete_everything', arguments: {} });
      expect(denied.isError).toBe(true);
      expect(JSON.stringify(denied.content)).toContain('Never');
      const shouted = await client.callTool({ name: 'shout', arguments: { text: 'hi' } });
      expect(shouted.content).toEqual([{ type: 'text', text: 'HI' }]);
      expect(asked).toEqual(['Allow shout to run with {"text":"hi"}?']);
      const invalid = await client.callTool({ name: 'add', arguments: { a: 'x' } });
      expect(invalid.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('a client without elicitation is refused what needs a person, with the reason', async () => {
    const client = new Client({ name: 'sdk', version: '1' });
    await client.connect(stdioTransport());
    try {
      const result = await client.callTool({ name: 'shout', arguments: { text: 'hi' } });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toContain('offers no way to ask a person');
    } finally {
      await client.close();
    }
  });
});

describe('Mixtape over Streamable HTTP, through the SDK Client', () => {
  const store = new MemorySessionStore();
  const model = new ScriptedModel().toolUse('add', { a: 1, b: 2 }).text('It is 3.').text('You asked about 1 + 2.');
  const add = tool({
    name: 'add',
    description: 'Adds',
    input: z.object({ a: z.number(), b: z.number() }),
    execute: ({ a, b }) => String(a + b),
  });
  let served: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    served = await serveMcpHttp({
      tools: [add],
      token: 'let-me-in',
      agent: { create: (sessionId) => new Agent({ model, tools: [add], sessionStore: store, ...(sessionId ? { sessionId } : {}) }) },
    });
  });
  afterAll(() => served.close());

  const connect = async () => {
    const client = new Client({ name: 'sdk', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(served.url), { requestInit: { headers: { authorization: 'Bearer let-me-in' } } }),
    );
    return client;
  };

  it('runs the agent as a tool, reports progress, and continues the same session by id', async () => {
    const client = await connect();
    try {
      const progress: number[] = [];
      const first = await client.callTool({ name: 'run_agent', arguments: { prompt: 'What is 1 + 2?' } }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      expect(first.content).toEqual([{ type: 'text', text: 'It is 3.' }]);
      const sessionId = (first.structuredContent as { session_id: string }).session_id;
      expect(sessionId).toBeTruthy();
      expect(progress.length).toBeGreaterThan(0);
      const second = await client.callTool({ name: 'run_agent', arguments: { prompt: 'What did I ask?', session_id: sessionId } });
      expect(second.content).toEqual([{ type: 'text', text: 'You asked about 1 + 2.' }]);
      // The third model call saw the whole first conversation.
      expect(JSON.stringify(model.requests[2]!.messages)).toContain('What is 1 + 2?');
    } finally {
      await client.close();
    }
  });

  it('a request without the token is refused (401), another Host too (403)', async () => {
    expect((await fetch(served.url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    // fetch cannot set Host; a DNS-rebinding page's request carries its own name.
    const url = new URL(served.url);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { host: `evil.example:${url.port}`, authorization: 'Bearer let-me-in', 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(403);
  });

  it("Mixtape's own McpToolset uses the served tools (a Mixtape agent calling a Mixtape server)", async () => {
    const toolset = new McpToolset([
      { name: 'served', transport: { type: 'http', url: served.url, headers: { authorization: 'Bearer let-me-in' } } },
    ]);
    try {
      const tools = await toolset.tools();
      expect(tools.map((t) => t.name)).toEqual(['served_add', 'served_run_agent']);
      expect(await tools[0]!.execute({ a: 20, b: 22 }, { signal: new AbortController().signal, toolUseId: 't' })).toEqual([
        { type: 'text', text: '42' },
      ]);
    } finally {
      await toolset.close();
    }
  });
});
