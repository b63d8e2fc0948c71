import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnTs } from '../test-support/processes.js';

const example = fileURLToPath(new URL('./server-approve-later.ts', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'mixtape-approve-later-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTs(example, args, { env: { ...process.env, ...env } });
  child.stdin!.end();
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('examples/server-approve-later.ts', () => {
  it('asks in one process that exits, and the approval is answered by another process later', async () => {
    const env = { MIXTAPE_SQLITE_PATH: join(folder, 'sessions.db') };
    const asked = await run(['ask', 'buy', 'milk'], env);
    expect(asked.stderr).toBe('');
    expect(asked.code).toBe(0);
    expect(asked.stdout).toContain('Asked: Allow save_note to run');
    const [, threadId, interruptId] = /thread (\S+) interrupt (\S+)/.exec(asked.stdout)!;
    // Nothing ran yet, and no process is left waiting.
    expect(() => readFileSync(join(folder, 'sessions.db.notes'), 'utf8')).toThrow();

    const answered = await run(['answer', threadId!, interruptId!, 'approve'], env);
    expect(answered.code).toBe(0);
    expect(answered.stdout.trim()).toBe('Result: Done: Saved note: buy milk');
    expect(readFileSync(join(folder, 'sessions.db.notes'), 'utf8')).toBe('buy milk\n');
  });
});
