import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../test-support/postgres.js';
import { exited, spawnTs } from '../test-support/processes.js';

const example = fileURLToPath(new URL('./durable-runs.ts', import.meta.url));

describePostgres('examples/durable-runs.ts', () => {
  it('a server and two workers: killing the worker of a run mid-run, the run still finishes once', { timeout: 180_000 }, async () => {
    const url = await createTestDatabase('durable_example');
    const { ANTHROPIC_API_KEY: _, ...env } = process.env;
    const child = spawnTs(example, [], { env: { ...env, DATABASE_URL: url } });
    child.stdin!.end();
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(child), err).toBe(0);
    expect(out).toMatch(/two workers ready/);
    expect(out).toMatch(/killed worker \d+ \(SIGKILL\) in the middle of the run/);
    expect(out).toMatch(/answer: Counted to 6\./);
    expect(out).toMatch(/run completed after [2-9] attempts; the client saw \d+ tool results and one RUN_FINISHED: true/);
    expect(out).toMatch(/re-attached: Counted to 6\./);
    expect(out).toMatch(/survived: the run finished once on the other worker/);
  });
});
