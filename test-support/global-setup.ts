/**
 * Global test setup (vitest `globalSetup`): shared services for the whole test run.
 *
 * PostgreSQL: one throwaway cluster per test run (see `postgres-cluster.ts`), started lazily —
 * only when a test file asks for it (through `test-support/postgres.ts`), so runs that need no
 * PostgreSQL pay nothing. The test workers reach this process through a tiny HTTP endpoint on
 * 127.0.0.1 whose address is handed over with vitest's `provide`/`inject`; the first request
 * starts the cluster, later ones get the same connection string. The cluster is stopped and its
 * folder removed when the run ends.
 *
 * When PostgreSQL is not installed the PostgreSQL tests are skipped with a message saying so,
 * except under `CI=true`, where this setup fails the run instead.
 */
import { createServer } from 'node:http';
import type { TestProject } from 'vitest/node';
import './provided-context.js';
import { type PostgresCluster, postgresUnavailableReason, startPostgresCluster } from './postgres-cluster.js';

function isCi(): boolean {
  const v = (process.env.CI ?? '').toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const unavailable = postgresUnavailableReason();
  if (unavailable) {
    if (isCi()) throw new Error(`CI=true: the PostgreSQL tests must run, but ${unavailable}`);
    project.provide('postgresBroker', null);
    project.provide('postgresUnavailable', unavailable);
    return async () => {};
  }

  let cluster: Promise<PostgresCluster> | undefined;
  const broker = createServer((req, res) => {
    if (req.url !== '/postgres') {
      res.writeHead(404).end();
      return;
    }
    cluster ??= startPostgresCluster();
    cluster.then(
      (c) => res.writeHead(200, { 'content-type': 'text/plain' }).end(c.url),
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`Could not start PostgreSQL: ${e.message}`),
    );
  });
  await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
  const { port } = broker.address() as { port: number };
  project.provide('postgresBroker', `http://127.0.0.1:${port}`);
  project.provide('postgresUnavailable', null);

  return async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    if (cluster) (await cluster.catch(() => undefined))?.stop();
  };
}
