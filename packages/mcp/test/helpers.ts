import { fileURLToPath } from 'node:url';
import type { Tool } from '@mixtape/core';
import type { McpServerConfig } from '../src/index.js';

/** Path of the project's own MCP test server. */
export const TEST_SERVER = fileURLToPath(new URL('./fixtures/test-server.ts', import.meta.url));

/** Config of the test server run as a real child process over stdio. */
export function testServerConfig(name = 'test', extra: Partial<McpServerConfig> = {}, env?: Record<string, string>): McpServerConfig {
  return {
    name,
    transport: { type: 'stdio', command: process.execPath, args: ['--import', 'tsx', TEST_SERVER], ...(env ? { env } : {}) },
    ...extra,
  };
}

/** Whether a process with this id exists (a zombie would still exist). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs a tool the way the agent does: validate, then execute. */
export async function runTool(tool: Tool, input: unknown, signal: AbortSignal = new AbortController().signal): Promise<unknown> {
  const checked = tool.validate(input);
  if (!checked.ok) throw new Error(checked.error);
  return tool.execute(checked.value, { signal, toolUseId: 'call-1' });
}

export function byName(tools: readonly Tool[], name: string): Tool {
  const found = tools.find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name} in ${tools.map((t) => t.name).join(', ')}`);
  return found;
}

/** Every tool of the project test server (fixtures/test-server.ts), in the order it lists them. */
export const TEST_SERVER_TOOLS = [
  'echo',
  'add',
  'fail',
  'slow',
  'slow_running',
  'stats',
  'image',
  'env',
  'structured',
  'resource',
  'write_then_crash',
  'idempotent_write_then_crash',
  'pid',
];
