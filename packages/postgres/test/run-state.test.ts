import { runResumeAcrossStores } from '@mixtape/core/testing';
import { PostgresSessionStore } from '@mixtape/postgres';
import { beforeAll } from 'vitest';
import { createTestDatabase, describePostgres } from '../../../test-support/postgres.js';

// Each agent has its own pool on one real database, as two instances of a service do.
describePostgres('paused runs on a real PostgreSQL', () => {
  let url = '';
  beforeAll(async () => {
    url = await createTestDatabase('runstate');
  });
  runResumeAcrossStores('PostgresSessionStore', () => new PostgresSessionStore({ connectionString: url, poolSize: 2 }));
});
