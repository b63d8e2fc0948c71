/**
 * MCP tools without a model: start the project's own MCP test server as a child process
 * (stdio), list its tools as agent tools (namespaced `test_<tool>`), call a few, and shut the
 * server down cleanly.
 *
 *   node --conditions=mixtape-source --import tsx examples/mcp-tools.ts
 *
 * Pass these tools to `new Agent({ model, tools })` to let a model use them.
 */
import { fileURLToPath } from 'node:url';
import { toolResultContentText, type Tool, type ToolResultContent } from '@mixtape/core';
import { mcpTools } from '@mixtape/mcp';

const server = fileURLToPath(new URL('../packages/mcp/test/fixtures/test-server.ts', import.meta.url));

const { tools, toolset, close } = await mcpTools([
  {
    name: 'test',
    transport: { type: 'stdio', command: process.execPath, args: ['--import', 'tsx', server] },
    exclude: ['slow', 'slow_running', 'stats', 'write_then_crash', 'idempotent_write_then_crash'],
  },
]);

async function call(tool: Tool, input: Record<string, unknown>): Promise<void> {
  const checked = tool.validate(input);
  if (!checked.ok) {
    console.log(`✗ ${tool.name}: ${checked.error}`);
    return;
  }
  try {
    const output = (await tool.execute(checked.value, {
      signal: AbortSignal.timeout(30_000),
      toolUseId: tool.name,
    })) as ToolResultContent[];
    console.log(`✓ ${tool.name}(${JSON.stringify(input)}) → ${toolResultContentText(output)}`);
  } catch (error) {
    console.log(`✗ ${tool.name}(${JSON.stringify(input)}) failed: ${(error as Error).message}`);
  }
}

try {
  const client = toolset.clients[0]!;
  console.log(`Connected to ${client.serverInfo?.name} ${client.serverInfo?.version} (pid ${client.pid}) over ${client.transportKind}`);
  console.log(`${tools.length} tools:`);
  for (const tool of tools) console.log(`  ${tool.name.padEnd(16)} ${tool.description}`);
  const byName = (name: string) => tools.find((t) => t.name === name)!;
  await call(byName('test_echo'), { message: 'hello from Mixtape' });
  await call(byName('test_add'), { a: 2, b: 40 });
  await call(byName('test_image'), {});
  await call(byName('test_structured'), { a: 3, b: 4 });
  await call(byName('test_add'), { a: 'two', b: 40 });
  await call(byName('test_fail'), {});
} finally {
  await close();
  console.log('Server stopped.');
}
