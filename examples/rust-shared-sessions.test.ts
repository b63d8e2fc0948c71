import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const folder = mkdtempSync(join(tmpdir(), 'mixtape-example-rust-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

it('the shared-sessions example resumes a Rust-written file, closes a failed prompt, and summarizes a long conversation', () => {
  const out = execFileSync(
    process.execPath,
    ['--conditions=mixtape-source', '--import', 'tsx', 'examples/rust-shared-sessions.ts', join(folder, 'sessions.db')],
    { encoding: 'utf8' },
  );
  expect(out).toContain('Sent to the model: user(text) → assistant(tool_use) → user(tool_result "8") → assistant(text) → user(text)');
  expect(out).toMatch(/What the Rust binary reads: roles User, Assistant, User, Assistant; newest timestamp \d{10} s \(20\d\d\)/);
  expect(out).toContain('Run failed: Internal server error');
  expect(out).toContain('Stored after the failure: "Are you there?" | [note] | "Hello?" | "Hello again."');
  expect(out).toContain('The failed prompt was sent again: no');
  expect(out).toMatch(/Summary stored through message [1-9]\d* of 16 by cheap-model: "The user counted/);
  expect(out).toContain("Last request starts with the summary: yes; summary call counted in the run's usage: yes");
});
