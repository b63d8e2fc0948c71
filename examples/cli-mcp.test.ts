import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('cli-mcp example', () => {
  it('a server-everything sampling request runs on the replayed model; its tokens are part of the run', { timeout: 120_000 }, () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ANTHROPIC_|AWS_|OPENAI_|MIXTAPE_)/.test(k)));
    const r = spawnSync(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', 'examples/cli-mcp.ts'], {
      env,
      encoding: 'utf8',
      input: '',
    });
    expect(r.stdout).toContain('tool everything_trigger-sampling-request: LLM sampling result:');
    expect(r.stdout).toContain('Paris.');
    expect(r.stdout).toContain('answer: The server asked the model for the capital of France; the model said Paris.');
    // 1200 + 30 (sampling) + 1300 in, 40 + 3 (sampling) + 20 out.
    expect(r.stdout).toContain('run usage, the sampling included: {"inputTokens":2530,"outputTokens":63}');
    expect(r.stdout).toContain('exit code: 0');
    expect(r.stderr).toContain("MCP server 'everything' uses the model (up to 50 tokens; allowed by mcpServers.everything.sampling).");
    expect(r.stderr).toMatch(/everything: sampling on .* used 30 in · 3 out · \$\d\.\d{4}/);
  });
});
