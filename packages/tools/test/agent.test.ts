import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Agent } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { editTools, readOnlyFilesystemTools } from '../src/index.js';
import { tempDir } from './helpers.js';

let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir());
});
afterEach(() => cleanup());

it('an agent runs the tools: results and refusals reach the model as tool results', async () => {
  await writeFile(path.join(root, 'hello.txt'), 'hello agent\n');
  const model = new ScriptedModel()
    .toolUses([
      { name: 'read_file', input: { path: 'hello.txt' } },
      { name: 'read_file', input: { path: '../outside.txt' } },
    ])
    .toolUse('edit_block', { file_path: 'hello.txt', old_string: 'agent', new_string: 'world' })
    .text('done');
  const agent = new Agent({ model, tools: [...readOnlyFilesystemTools({ root }), ...editTools({ root })] });
  const result = await agent.run('read and edit');
  expect(result.text).toBe('done');
  expect(model.requests[1]?.messages.at(-1)?.content).toMatchObject([
    { type: 'tool_result', isError: false, content: [{ type: 'text', text: 'hello agent\n' }] },
    { type: 'tool_result', isError: true, content: [{ type: 'text', text: expect.stringMatching(/outside the root folder/) }] },
  ]);
  expect(model.requests[2]?.messages.at(-1)?.content).toMatchObject([
    {
      type: 'tool_result',
      isError: false,
      content: [{ type: 'text', text: expect.stringMatching(/^Edited hello.txt using exact matching/) }],
    },
  ]);
  expect(await readFile(path.join(root, 'hello.txt'), 'utf8')).toBe('hello world\n');
});
