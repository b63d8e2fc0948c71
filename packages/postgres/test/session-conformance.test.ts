import { runSessionStoreConformance } from '@mixtape/core/testing';
import { PostgresSessionStore } from '@mixtape/postgres';
import { beforeAll } from 'vitest';
import { createTestDatabase, describePostgres } from '../../../test-support/postgres.js';

// Every store of the suite connects to the same real database, as the processes of a service do.
describePostgres('PostgresSessionStore on a real PostgreSQL', () => {
  let url = '';
  beforeAll(async () => {
    url = await createTestDatabase('conformance');
  });
  runSessionStoreConformance(
    'PostgresSessionStore',
    ({ directory }) => new PostgresSessionStore({ connectionString: url, directory, poolSize: 2 }),
  );
});
