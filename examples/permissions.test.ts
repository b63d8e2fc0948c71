import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';

it('the permissions example applies rules, remembers answers in JSON and SQLite, times out and audits', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mixtape-permissions-example-'));
  try {
    const out = execFileSync(
      process.execPath,
      ['--conditions=mixtape-source', '--import', 'tsx', 'examples/permissions.ts', '--dir', dir],
      { encoding: 'utf8' },
    );
    // Rules: command prefix on parsed argv, deny wins, path globs normalised, trusted tools.
    expect(out).toContain('✓ bash({"command":"git status -s"}) → granted (user)');
    expect(out).toMatch(/✗ bash\(\{"command":"git statusx"\}\) → denied: No grant for tool 'bash'\. Grant it with/);
    expect(out).toContain('✗ bash({"command":"git status; rm -rf /"}) → denied: Deleting files is not allowed — denied by rule no-rm');
    expect(out).toContain('✓ write_file({"path":"src/app.ts","content":"..."}) → granted (user)');
    expect(out).toMatch(/✗ write_file\(\{"path":"src\/\.\.\/\.\.\/etc\/passwd","content":"\.\.\."\}\) → denied/);
    expect(out).toContain('✓ read_file({"path":"README.md"}) → granted (user)');
    expect(out).toContain('✗ read_file({"path":"config/.env"}) → denied: Secrets stay private — denied by rule no-env');
    // A project grant in the JSON file applies in a later run of the project, not elsewhere.
    expect(out).toMatch(
      /project grant\n {2}\? fetch.*ask a person\n.*allow the tool \(project\)\n {2}✓ fetch.*granted \(project\)\n {2}\? fetch.*ask a person/,
    );
    // A session grant in SQLite does not follow into another session.
    expect(out).toMatch(
      /session grant\n {2}\? fetch.*ask a person\n.*allow the tool \(session\)\n {2}✓ fetch.*granted \(session\)\n {2}\? fetch.*ask a person/,
    );
    expect(out).toContain('call_a → {"action":"exact","scope":"session"}');
    expect(out).toContain('call_b → {"action":"deny","reason":"Approval timed out after 0.05 s","origin":"timeout"}');
    expect(out).toContain('unknown id answered: false');
    expect(out).toMatch(
      /fetch ask by policy, session session-A\n.*fetch granted \(session\) by user, session session-A\n.*fetch granted \(session\) by grant, session session-A\n.*fetch ask by policy, session session-B/,
    );
    // The files are real and readable.
    const grants = JSON.parse(readFileSync(path.join(dir, 'grants.json'), 'utf8'));
    expect(grants.grants).toEqual([expect.objectContaining({ tool: 'fetch', scope: 'project', project: path.join(dir, 'project') })]);
    expect(readFileSync(path.join(dir, 'grants.audit.jsonl'), 'utf8').trim().split('\n').length).toBe(4);
    expect(existsSync(path.join(dir, 'grants.db'))).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
