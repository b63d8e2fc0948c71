/**
 * PostgreSQL for test files: `describePostgres` registers a suite that runs against the test
 * run's shared cluster (started on first use by the global setup) or is skipped, with a message
 * saying why, when PostgreSQL is not installed. `createTestDatabase` gives each test file a
 * fresh database of its own on that cluster.
 * @module
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';
import './provided-context.js';

/** Why the PostgreSQL tests of this run are skipped, or null when they run. */
export const postgresSkipReason: string | null =
  inject('postgresBroker') === undefined && inject('postgresUnavailable') === undefined
    ? 'the vitest global setup (test-support/global-setup.ts) did not run; use the root vitest.config.ts'
    : inject('postgresUnavailable');

let warned = false;

/** `describe` that is skipped (saying why, once per file) when PostgreSQL is not installed. */
export function describePostgres(name: string, fn: () => void): void {
  if (postgresSkipReason && !warned) {
    warned = true;
    console.warn(`SKIPPED PostgreSQL tests: ${postgresSkipReason}`);
  }
  describe.skipIf(postgresSkipReason !== null)(name, fn);
}

let shared: Promise<string> | undefined;

/** Connection string of the run's shared cluster (superuser, database `postgres`). */
export function sharedPostgresUrl(): Promise<string> {
  const broker = inject('postgresBroker');
  if (!broker) throw new Error(`PostgreSQL is not available: ${postgresSkipReason}`);
  shared ??= fetch(`${broker}/postgres`).then(async (r) => {
    const text = await r.text();
    if (!r.ok) throw new Error(text);
    return text;
  });
  return shared;
}

/** Creates a new, empty database on the shared cluster and returns its connection string. */
export async function createTestDatabase(prefix = 'test'): Promise<string> {
  const url = await sharedPostgresUrl();
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
