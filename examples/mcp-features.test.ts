import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

const run = (file: string) =>
  execFileSync(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', file], { encoding: 'utf8' });

it(
  'the MCP client-features example answers roots, sampling, elicitation, progress, resources and prompts of server-everything',
  { timeout: 60_000 },
  () => {
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
  },
);

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

it(
  '`mixtape mcp` serves the CLI agent over stdio to the SDK client (a recorded conversation, no account)',
  { timeout: 90_000 },
  async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const cwd = mkdtempSync(path.join(tmpdir(), 'mixtape-mcp-cli-'));
    const client = new Client({ name: 'sdk', version: '1' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [
          '--conditions=mixtape-source',
          '--import',
          'tsx',
          'packages/cli/src/bin.ts',
          'mcp',
          '--replay',
          'tour',
          '--tools',
          'none',
          '-C',
          cwd,
        ],
        stderr: 'ignore',
      }),
    );
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['run_agent']);
      const result = await client.callTool({ name: 'run_agent', arguments: { prompt: 'hello' } });
      expect(result.isError).toBeFalsy();
      expect((result.content as Array<{ type: string; text: string }>)[0]!.text.length).toBeGreaterThan(0);
      expect((result.structuredContent as { session_id?: string }).session_id).toMatch(/.+/);
    } finally {
      await client.close();
    }
  },
);
