/**
 * The published @modelcontextprotocol/server-filesystem (a root devDependency) over stdio: its
 * results reach the model once — a file as its text (not also as a JSON copy), an image as an
 * image (not also as base64 text inside JSON).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, type ContentBlock } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpToolset, type McpTool } from '../src/index.js';
import { byName, runTool } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../node_modules/.bin/mcp-server-filesystem', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'mixtape-mcp-fs-'));
// A 100 KB "PNG": the server picks the media type from the extension.
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100 * 1024, 7)]);

describe('server-filesystem: no duplicated content', () => {
  let toolset: McpToolset;
  let tools: McpTool[];
  beforeAll(async () => {
    expect(existsSync(BIN)).toBe(true);
    writeFileSync(path.join(dir, 'notes.md'), '# Notes\nline two\n');
    writeFileSync(path.join(dir, 'pixel.png'), png);
    toolset = new McpToolset([{ name: 'fs', transport: { type: 'stdio', command: BIN, args: [dir] } }], {
      roots: [{ uri: dir, name: 'work' }],
    });
    tools = await toolset.tools();
  }, 60_000);
  afterAll(() => toolset.close());

  it('a text file is one text item (the server also sends it as structuredContent)', async () => {
    const result = await runTool(byName(tools, 'fs_read_text_file'), { path: path.join(dir, 'notes.md') });
    expect(result).toEqual([{ type: 'text', text: '# Notes\nline two\n' }]);
  });

  it('a 100 KB image is one image item; no base64 travels as text', async () => {
    const result = (await runTool(byName(tools, 'fs_read_media_file'), { path: path.join(dir, 'pixel.png') })) as Array<{
      type: string;
      data?: string;
    }>;
    expect(result.map((c) => c.type)).toEqual(['image']);
    expect(Buffer.from(result[0]!.data!, 'base64').equals(png)).toBe(true);
  });

  it('through an agent, the model gets the image block and nothing else for that call', async () => {
    const model = new ScriptedModel().toolUse('fs_read_media_file', { path: path.join(dir, 'pixel.png') }).text('a picture');
    const agent = new Agent({ model, tools });
    await agent.run('show me');
    const toolResult = model.requests[1]!.messages.flatMap((m) => m.content).find(
      (b): b is Extract<ContentBlock, { type: 'tool_result' }> => b.type === 'tool_result',
    )!;
    expect(toolResult.content.map((c) => c.type)).toEqual(['image']);
    const sentText = JSON.stringify(
      model.requests[1]!.messages.flatMap((m) => m.content)
        .filter((b) => b.type === 'text' || b.type === 'tool_result')
        .map((b) => (b.type === 'tool_result' ? b.content.filter((c) => c.type !== 'image') : b)),
    );
    expect(sentText.length).toBeLessThan(1_000);
  });

  it('the roots we declare are the directories the server allows', async () => {
    const text = JSON.stringify(await runTool(byName(tools, 'fs_list_allowed_directories'), {}));
    expect(text).toContain(path.basename(dir));
  });
});
