/**
 * `mixtape worker` (the CLI's worker command) executes durable runs from PostgreSQL with the
 * CLI's provider configuration — here the Anthropic provider pointed at the fake Anthropic server
 * — and stops gracefully on SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { createRuns } from '@mixtape/runs';
import { startFakeAnthropic } from '@mixtape/testing';
import { createTestDatabase, describePostgres } from '../../../test-support/postgres.js';
import { exited, spawnTs, waitForOutput } from '../../../test-support/processes.js';

const bin = fileURLToPath(new URL('../../cli/src/bin.ts', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'mixtape-cli-worker-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describePostgres('mixtape worker', () => {
  it("executes queued runs with the CLI's provider and stops gracefully on SIGTERM", { timeout: 120_000 }, async () => {
    const url = await createTestDatabase('cliworker');
    const fake = await startFakeAnthropic();
    fake.script.text('Hello from a durable worker.').text('Second answer.');
    const runs = createRuns({ connectionString: url });
    const { ANTHROPIC_API_KEY: _, DATABASE_URL: __, MIXTAPE_PROVIDER: ___, ...env } = process.env;
    const child = spawnTs(bin, ['worker', '--concurrency', '2', '--tools', 'none', '--base-url', fake.baseURL, '-C', folder], {
      env: { ...env, ANTHROPIC_API_KEY: 'fake-key', DATABASE_URL: url, HOME: folder },
    });
    child.stdin!.end();
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitForOutput(child, /ready \(concurrency 2\)/);
      const first = await runs.start('cli-thread', 'Say hello');
      expect(await runs.result(first)).toMatchObject({ status: 'completed', result: { text: 'Hello from a durable worker.' } });
      const second = await runs.start('cli-thread', 'Again');
      expect(await runs.result(second)).toMatchObject({ status: 'completed', result: { text: 'Second answer.' } });
      // The second model call saw the first exchange: the thread's history is shared through PostgreSQL.
      const sent = fake.requests.at(-1)!.body as { messages: { role: string }[] };
      expect(sent.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    } finally {
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      await runs.close();
      await fake.close();
    }
    expect(out).toMatch(/mixtape worker: stopped/);
  });

  it('refuses to start without a database', async () => {
    const { DATABASE_URL: _, ...env } = process.env;
    const child = spawnTs(bin, ['worker', '-C', folder], { env: { ...env, ANTHROPIC_API_KEY: 'fake-key', HOME: folder } });
    child.stdin!.end();
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(child)).toBe(2);
    expect(err).toMatch(/--database-url/);
  });
});
