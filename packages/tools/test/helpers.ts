import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Tool, ToolResult } from '@mixtape/core';

/** Calls a tool as the agent does: validate the raw input, then execute. */
export async function call(t: Tool<any>, input: unknown, signal: AbortSignal = new AbortController().signal): Promise<ToolResult> {
  const parsed = t.validate(input);
  if (!parsed.ok) throw new Error(parsed.error);
  return await t.execute(parsed.value, { signal, toolUseId: 'toolu_test' });
}

/** Like {@link call} but expects text. */
export async function callText(t: Tool<any>, input: unknown): Promise<string> {
  const result = await call(t, input);
  if (typeof result !== 'string') throw new Error(`expected text, got ${JSON.stringify(result).slice(0, 200)}`);
  return result;
}

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(prefix = 'mixtape-tools-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Finds a tool by name. */
export function byName(tools: Tool<any>[], name: string): Tool<any> {
  const found = tools.find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}
