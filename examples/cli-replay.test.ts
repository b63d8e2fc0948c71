import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('cli-replay example', () => {
  it('answers from the tour cassette with no account and no network', { timeout: 120_000 }, () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ANTHROPIC_|AWS_|OPENAI_|MIXTAPE_)/.test(k)));
    const r = spawnSync(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', 'examples/cli-replay.ts'], {
      env,
      encoding: 'utf8',
      input: '',
    });
    expect(r.stdout).toContain('Welcome to **mixtape**!');
    expect(r.stdout).toContain('What you just saw');
    expect(r.stdout).toContain('exit code: 0');
    // Tool calls are reported on stderr: list_directory ran, write_file was denied (no terminal to ask on).
    expect(r.stderr).toContain('● list_directory(');
    expect(r.stderr).toMatch(/write_file[\s\S]*denied: No grant for tool 'write_file'/);
  });
});
