/**
 * An MCP server asks the person a question in the middle of a tool call, and the person answers
 * through the AG-UI server.
 *
 * The agent calls server-everything's `trigger-elicitation-request` tool; the MCP server asks
 * for a form (name, email, …). The HTTP server ends the run's response with an AG-UI interrupt
 * carrying the question and its requested schema; the MCP call waits in this process. The
 * client shows the form, and its resume (`{ action: 'accept', content }`) continues the same
 * run: the MCP server gets the answer and the agent finishes.
 *
 *   node --conditions=mixtape-source --import tsx examples/server-mcp-elicitation.ts "Ada Lovelace" ada@example.org
 *
 * The model is a small offline demo model (no API key needed); the MCP server is the published
 * @modelcontextprotocol/server-everything, started over stdio.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { HttpAgent } from '@ag-ui/client';
import type { BaseEvent, Interrupt } from '@ag-ui/core';
import { Agent, type ContentBlock, MemorySessionStore, type Model } from '@mixtape/core';
import { McpToolset, elicitationBroker } from '@mixtape/mcp';
import { createServer, serve } from '@mixtape/server';

const [name = 'Ada Lovelace', email = 'ada@example.org'] = process.argv.slice(2);
const everything = fileURLToPath(new URL('../node_modules/.bin/mcp-server-everything', import.meta.url));

/** Offline demo model: calls the MCP tool that asks for a form, then repeats what the tool returned. */
const model: Model = {
  provider: 'demo',
  modelId: 'demo',
  async *stream({ messages }) {
    const result = messages.at(-1)!.content.find((b) => b.type === 'tool_result');
    const content: ContentBlock[] =
      result?.type === 'tool_result'
        ? [{ type: 'text', text: `The MCP server got: ${result.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ')}` }]
        : [{ type: 'tool_use', id: `toolu_${randomUUID()}`, name: 'everything_trigger-elicitation-request', input: {} }];
    for (const b of content) if (b.type === 'text') yield { type: 'text_delta', text: b.text };
    yield {
      type: 'response',
      response: { content, stopReason: result ? 'end_turn' : 'tool_use', usage: { inputTokens: 0, outputTokens: 0 } },
    };
  },
};

// One broker: the MCP clients hand it their servers' questions, the HTTP server turns them into interrupts.
const questions = elicitationBroker();
const toolset = new McpToolset([{ name: 'everything', transport: { type: 'stdio', command: everything, args: ['stdio'] } }], {
  onElicitation: questions.handler,
});
const tools = await toolset.tools();
const sessionStore = new MemorySessionStore();
const token = randomUUID();
const server = createServer({
  agentFactory: (sessionId) => new Agent({ model, tools, sessionStore, sessionId }),
  sessionStore,
  auth: { token },
  questions,
});
const running = await serve(server, { port: 0 });

/** One AG-UI run; returns its result and the interrupts it ended with. */
async function runOnce(agent: HttpAgent, resume?: unknown[]): Promise<{ result: unknown; interrupts: Interrupt[] }> {
  let interrupts: Interrupt[] = [];
  const { result } = await agent.runAgent(resume ? { resume: resume as never } : {}, {
    onEvent: ({ event }: { event: BaseEvent }) => {
      const outcome = (event as BaseEvent & { outcome?: { type: string; interrupts?: Interrupt[] } }).outcome;
      if (event.type === 'RUN_FINISHED' && outcome?.type === 'interrupt') interrupts = outcome.interrupts ?? [];
    },
  });
  return { result, interrupts };
}

try {
  const client = new HttpAgent({ url: `${running.url}/agent`, headers: { Authorization: `Bearer ${token}` } });
  client.addMessage({ id: randomUUID(), role: 'user', content: 'Register me, please.' });
  const { interrupts } = await runOnce(client);
  const question = interrupts[0]!;
  const asked = (question.metadata as { mixtape: { server: string; requestedSchema: { properties: Record<string, unknown> } } }).mixtape;
  console.log(`MCP server '${asked.server}' asks: ${question.message}`);
  console.log(`Fields: ${Object.keys(asked.requestedSchema.properties).join(', ')}`);
  console.log(`Answer by ${question.expiresAt}; interrupt ${question.id}`);
  // What a form in the UI would send back:
  const { result } = await runOnce(client, [
    { interruptId: question.id, status: 'resolved', payload: { action: 'accept', content: { name, email, check: true } } },
  ]);
  console.log(`Result: ${String(result)}`);
} finally {
  await running.close();
  await toolset.close();
}
