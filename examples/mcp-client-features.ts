/**
 * What an MCP server may ask of Mixtape, against the published @modelcontextprotocol/server-everything
 * (stdio): roots, sampling (answered by a model only after a rule approves it, its tokens
 * counted), elicitation (a form and a URL, answered here by code standing in for a person),
 * progress, resources and prompts. No account needed: the sampling model is a ScriptedModel.
 *
 *   node --conditions=mixtape-source --import tsx examples/mcp-client-features.ts
 */
import { fileURLToPath } from 'node:url';
import { toolResultContentText, type Tool, type ToolResultContent } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { McpToolset, mcpPromptCommands, modelSamplingHandler } from '@mixtape/mcp';

const everything = fileURLToPath(new URL('../node_modules/.bin/mcp-server-everything', import.meta.url));

// Sampling: the server's request goes to this model only when the rule says yes.
const model = new ScriptedModel({ modelId: 'example-model' }).text('Paris.', { usage: { inputTokens: 20, outputTokens: 2 } });
const sampling = modelSamplingHandler({
  model,
  approve: (request) => {
    const short = request.maxTokens <= 200;
    console.log(`  [rule] sampling request of ${request.maxTokens} tokens: ${short ? 'approved' : 'refused'}`);
    return short;
  },
});

const toolset = new McpToolset([{ name: 'ev', transport: { type: 'stdio', command: everything, args: ['stdio'] } }], {
  roots: [{ uri: process.cwd(), name: 'this project' }],
  onSampling: sampling,
  onElicitation: async (request) => {
    // A person would answer here (the CLI asks in the terminal; the HTTP server makes it an interrupt).
    console.log(`  [person] asked (${request.mode ?? 'form'}): ${request.message}`);
    return request.mode === 'url'
      ? { action: 'accept' }
      : { action: 'accept', content: { name: 'Ada', check: true, email: 'ada@example.org' } };
  },
  onProgress: (p) => console.log(`  [progress] ${p.tool} ${p.progress}/${p.total ?? '?'}`),
});

async function call(tools: Tool[], name: string, input: Record<string, unknown>): Promise<string> {
  const tool = tools.find((t) => t.name === name)!;
  const output = (await tool.execute(input, { signal: new AbortController().signal, toolUseId: name })) as ToolResultContent[];
  return toolResultContentText(output);
}

try {
  const tools = await toolset.tools();
  console.log(`${tools.length} tools offered to the model (the server shows roots/sampling/elicitation tools because we declared them).`);
  console.log('roots →', (await call(tools, 'ev_get-roots-list', {})).split('\n')[2]);
  console.log(
    'sampling →',
    (await call(tools, 'ev_trigger-sampling-request', { prompt: 'Capital of France?', maxTokens: 50 })).includes('Paris.')
      ? 'the model answered Paris.'
      : 'no answer',
  );
  console.log(
    `sampling usage: ${sampling.usage.inputTokens} in / ${sampling.usage.outputTokens} out tokens, ${sampling.counts.answered} answered`,
  );
  console.log('elicitation (form) →', (await call(tools, 'ev_trigger-elicitation-request', {})).split('\n')[0]);
  console.log(
    'elicitation (url) →',
    (await call(tools, 'ev_trigger-url-elicitation', { url: 'https://example.org/consent' })).split('\n')[0],
  );
  await call(tools, 'ev_trigger-long-running-operation', { duration: 0.2, steps: 2 });
  const client = toolset.clients[0]!;
  console.log(`resources: ${(await client.listResources()).length}, templates: ${(await client.listResourceTemplates()).length}`);
  const prompts = await mcpPromptCommands(toolset.clients);
  console.log(`prompts as commands: ${prompts.map((p) => p.usage).join(' | ')}`);
  console.log(
    '/ev:args-prompt city=Lyon →',
    (await prompts.find((p) => p.command === '/ev:args-prompt')!.run({ city: 'Lyon' })).slice(0, 60),
  );
} finally {
  await toolset.close();
  console.log('Server stopped.');
}
