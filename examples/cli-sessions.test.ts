import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('cli-sessions example', () => {
  it('continues a session, starts a new one, and refuses a config typo with exit code 2', { timeout: 120_000 }, () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ANTHROPIC_|AWS_|OPENAI_|MIXTAPE_)/.test(k)));
    const r = spawnSync(process.execPath, ['--conditions=mixtape-source', '--import', 'tsx', 'examples/cli-sessions.ts'], {
      env,
      encoding: 'utf8',
      input: '',
    });
    expect(r.stdout).toContain('Noted: you like apples.\n[exit code 0]');
    expect(r.stdout).toContain('You like apples.\n[exit code 0]');
    expect(r.stdout).toContain('(the model saw the first question again: true)');
    expect(r.stdout).toContain('(a new session: the model saw the first question: false)');
    expect(r.stdout.trim().endsWith('[exit code 2]')).toBe(true);
    expect(r.stderr).toContain("tools[1]: unknown tool group 'fetchh' (did you mean 'fetch'?)");
  });
});
