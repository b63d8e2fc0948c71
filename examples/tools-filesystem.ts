/**
 * The filesystem, edit and search tools of @mixtape/tools, called directly (no model needed):
 * exactly what an agent does with a tool call — validate the model's input, then execute.
 *
 *   node --conditions=mixtape-source --import tsx examples/tools-filesystem.ts [folder]
 *
 * Works in a fresh temporary folder (or the one given) and shows that paths outside it are refused.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { normalizeToolResult, toolResultContentText, type Tool } from '@mixtape/core';
import { editTools, filesystemTools, searchTools } from '@mixtape/tools';

const root = process.argv[2] ?? (await mkdtemp(path.join(os.tmpdir(), 'mixtape-tools-example-')));
const tools = [...filesystemTools({ root }), ...editTools({ root }), ...searchTools({ root })];
const byName = new Map(tools.map((t) => [t.name, t]));

/** One tool call as the agent makes it; errors become error results, as the model would see them. */
async function callTool(name: string, input: unknown): Promise<void> {
  const t = byName.get(name) as Tool<unknown>;
  const parsed = t.validate(input);
  const shown = parsed.ok ? (t.formatInput?.(parsed.value) ?? JSON.stringify(input)) : JSON.stringify(input);
  console.log(`\n🛠  ${name}: ${shown.split('\n')[0]}`);
  if (!parsed.ok) {
    console.log(`✗ ${parsed.error}`);
    return;
  }
  try {
    const result = await t.execute(parsed.value, { signal: AbortSignal.timeout(30_000), toolUseId: `call_${name}` });
    console.log(toolResultContentText(normalizeToolResult(result)));
  } catch (error) {
    console.log(`✗ ${(error as Error).message}`);
  }
}

console.log(`Root folder: ${root}`);
await callTool('write_file', { path: 'notes/todo.md', content: '# Todo\n\n- write the report\n- call Ada\n' });
await callTool('write_file', { path: 'src/greet.ts', content: 'export function greet(name: string) {\n  return "Hello, " + name;\n}\n' });
await callTool('list_directory', { path: '.' });
await callTool('read_file', { path: 'notes/todo.md', offset: 2, length: 2, line_numbers: true });
await callTool('edit_block', {
  file_path: 'src/greet.ts',
  old_string: 'return "Hello, " + name;',
  new_string: 'return `Hello, ${name}!`;',
});
await callTool('search', { pattern: 'Hello', context_lines: 1 });
await callTool('search', { pattern: '*.md', mode: 'files' });
await callTool('file_info', { path: 'src/greet.ts' });
// Escapes are refused with an error naming the path and the root:
await callTool('read_file', { path: '../../etc/passwd' });
await callTool('write_file', { path: 'missing/../../outside.txt', content: 'nope' });
// Invalid input is reported the way the model would get it:
await callTool('read_file', { path: 'notes/todo.md', offset: -3 });
