import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';

const noCredentials = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ANTHROPIC_|AWS_|OPENAI_)/.test(k)));

it('the main example resumes the conversation in a second process', () => {
  const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'mixtape-main-')), 'sessions.db');
  const out = execFileSync(
    process.execPath,
    ['--conditions=mixtape-source', '--import', 'tsx', 'examples/persistent-session.ts', '--db', db],
    {
      env: noCredentials,
      encoding: 'utf8',
    },
  );
  expect(out).toContain('ScriptedModel (canned answers, no real model)');
  expect(out).toContain('🛠  calculator({"a":1234,"b":5678,"op":"*"})');
  expect(out).toContain('→ 7006652');
  // The second process starts from the four stored messages of the first.
  expect(out).toMatch(/↺ resumed session [0-9a-f]{8} with 4 messages/);
  expect(out).toContain('→ 7006653');
  expect(out).toMatch(/: 8 messages/);
});
