/**
 * Hardened tools: a command rule that sees through wrappers, path rules that hold whatever name
 * reaches a file, and the bubblewrap sandbox for commands (Linux). A scripted model plays the
 * attacker; the Agent answers each call with a result or a refusal.
 *
 *   node --conditions=mixtape-source --import tsx examples/tools-hardening.ts [folder]
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, PermissionAuthorizer, toolResultContentText } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { allTools, sandboxProblem } from '@mixtape/tools';

const root = process.argv[2] ?? mkdtempSync(path.join(os.tmpdir(), 'mixtape-hardening-'));
mkdirSync(path.join(root, 'secrets'), { recursive: true });
writeFileSync(path.join(root, 'secrets', 'key.txt'), 'API_KEY=sk-live-123\n');
writeFileSync(path.join(root, 'notes.txt'), 'The API_KEY lives in secrets/.\n');
writeFileSync(path.join(root, 'victim.txt'), 'keep me\n');
symlinkSync('secrets', path.join(root, 'alias'));

// One authorizer holds the rules: the Agent asks it before each call, the tools ask it about every path they open or show.
const authorizer = new PermissionAuthorizer({
  policy: 'allow',
  project: root,
  rules: [
    { tool: 'start_process', effect: 'deny', match: { kind: 'command', prefix: ['rm'] }, reason: 'No deleting' },
    { tool: 'read_file', effect: 'deny', match: { kind: 'path', argument: 'path', glob: 'secrets/**' }, reason: 'Secrets stay secret' },
  ],
});
const sandbox = sandboxProblem() === null; // bubblewrap present: writes only inside the root, no network
const tools = allTools({ root, deny: authorizer, process: { sandbox } });

const calls = [
  { name: 'start_process', input: { command: 'env nice sh -c "rm victim.txt"', wait_ms: 2000 } },
  { name: 'start_process', input: { command: 'a=rm; $a victim.txt', wait_ms: 2000 } },
  { name: 'read_file', input: { path: 'alias/key.txt' } },
  { name: 'search', input: { pattern: 'API_KEY' } },
  { name: 'search', input: { pattern: '(a+)+$' } },
  {
    name: 'start_process',
    input: { command: 'echo inside > made-here.txt && echo escape > /tmp/../var/tmp/mixtape-escape.txt; echo done', wait_ms: 3000 },
  },
];
const model = new ScriptedModel().toolUses(calls).text('Done.');
const agent = new Agent({ model, tools, authorizer });
await agent.run('Tidy up this folder.');

console.log(`Root folder: ${root} (sandbox ${sandbox ? 'on' : 'unavailable here'})`);
const results = model.requests[1]?.messages.at(-1)?.content ?? [];
calls.forEach((c, i) => {
  const r = results[i];
  const text = r?.type === 'tool_result' ? toolResultContentText(r.content) : '?';
  console.log(
    `\n🛠  ${c.name} ${JSON.stringify(c.input)}\n${r?.type === 'tool_result' && r.isError ? '✗' : '✓'} ${text.split('\n').slice(0, 6).join('\n  ')}`,
  );
});
