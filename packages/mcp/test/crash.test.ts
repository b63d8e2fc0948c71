/**
 * A server that dies while a tool runs (issues 12 and 14): the call is sent again only when the
 * tool declares itself idempotent; otherwise it fails with a clear error and ran exactly once.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { McpToolError, McpToolset } from '../src/index.js';
import { byName, processExists, runTool, testServerConfig } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mixtape-mcp-crash-'));
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('a server crash in the middle of a call', () => {
  const toolset = new McpToolset([testServerConfig('crashy', { include: ['write_then_crash', 'idempotent_write_then_crash', 'echo'] })]);
  afterAll(() => toolset.close());

  it('a tool without idempotentHint is not sent again: McpToolError kind interrupted, the tool ran once', async () => {
    const tools = await toolset.tools();
    const file = path.join(dir, 'once.log');
    const pid = toolset.clients[0]!.pid!;
    const error = await runTool(byName(tools, 'crashy_write_then_crash'), { file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpToolError);
    expect((error as McpToolError).kind).toBe('interrupted');
    expect((error as Error).message).toMatch(/stopped while tool 'write_then_crash' was running.*not sent again.*idempotentHint/s);
    expect(lines(file)).toHaveLength(1);
    expect(processExists(pid)).toBe(false);
    // The client is usable again: the next call starts a new server.
    expect(await runTool(byName(tools, 'crashy_echo'), { message: 'still here' })).toEqual([{ type: 'text', text: 'still here' }]);
    expect(toolset.clients[0]!.pid).not.toBe(pid);
  });

  it('a tool declaring idempotentHint is sent again once on a new server process', async () => {
    const tools = await toolset.tools();
    const file = path.join(dir, 'idempotent.log');
    const result = await runTool(byName(tools, 'crashy_idempotent_write_then_crash'), { file });
    expect(result).toEqual([{ type: 'text', text: 'ran 2 times' }]);
    const [first, second] = lines(file);
    expect(first).not.toBe(second); // two different server processes ran it
  });
});
