import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

const run = (file: string) => execFileSync(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', file], { encoding: 'utf8' });

it('the MCP client-features example answers roots, sampling, elicitation, progress, resources and prompts of server-everything', { timeout: 60_000 }, () => {
  const out = run('examples/mcp-client-features.ts');
  expect(out).toContain('roots →');
  expect(out).toContain('[rule] sampling request of 50 tokens: approved');
  expect(out).toContain('sampling → the model answered Paris.');
  expect(out).toContain('sampling usage: 20 in / 2 out tokens, 1 answered');
  expect(out).toContain('[person] asked (form)');
  expect(out).toContain('[person] asked (url)');
  expect(out).toContain('[progress] trigger-long-running-operation 1/2');
  expect(out).toMatch(/resources: \d+, templates: 2/);
  expect(out).toContain('/ev:args-prompt city=<city> [state=<state>]');
  expect(out).toContain('/ev:args-prompt city=Lyon →');
  expect(out.trimEnd().endsWith('Server stopped.')).toBe(true);
});

it('the MCP server example serves a tool and an agent to the SDK client, with rules and a session', { timeout: 60_000 }, () => {
  const out = run('examples/mcp-server.ts');
  expect(out).toMatch(/Serving http:\/\/127\.0\.0\.1:\d+\/mcp/);
  expect(out).toContain('tools: add, remove_file, run_agent');
  expect(out).toContain('add → [{"type":"text","text":"3"}]');
  expect(out).toContain('remove_file → refused by the rules');
  expect(out).toContain('run_agent → [{"type":"text","text":"The answer is 42."}]');
  expect(out).toContain('run_agent (same session) → [{"type":"text","text":"You asked me to add 2 and 40."}]');
  expect(out.trimEnd().endsWith('Server stopped.')).toBe(true);
});
