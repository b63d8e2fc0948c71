import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Agent, GrantStoreError, tool } from '@mixtape/core';
import { ScriptedModel, runGrantStoreConformance } from '@mixtape/core/testing';
import { PostgresGrantStore } from '@mixtape/postgres';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../../../test-support/postgres.js';

describePostgres('PostgresGrantStore on a real PostgreSQL', () => {
  let url = '';
  let pool: pg.Pool;
  beforeAll(async () => {
    url = await createTestDatabase('grants');
    pool = new pg.Pool({ connectionString: url, max: 4 });
  });
  afterAll(async () => {
    await pool?.end();
  });
  // Each store of the suite must start empty: a schema of its own on the shared database and pool.
  runGrantStoreConformance(
    'PostgresGrantStore',
    () => new PostgresGrantStore({ pool, schema: `grants_${randomBytes(5).toString('hex')}` }),
  );

  const add = tool({
    name: 'add',
    description: 'Adds',
    input: z.object({ a: z.number(), b: z.number() }),
    execute: ({ a, b }) => String(a + b),
  });

  it('a grant saved through one process is honoured by another agent on another connection', async () => {
    const first = new PostgresGrantStore({ connectionString: url, schema: 'shared_grants' });
    const asking = new Agent({
      model: new ScriptedModel().toolUse('add', { a: 1, b: 1 }).text('2'),
      tools: [add],
      grantStore: first,
      interactive: true,
    });
    asking.addHook(
      (e) => void (e.type === 'permission_required' && asking.respondToPermission(e.proposalId, { action: 'tool', scope: 'user' })),
    );
    await asking.run('1+1');
    const second = new PostgresGrantStore({ connectionString: url, schema: 'shared_grants' });
    const headless = new Agent({
      model: new ScriptedModel().toolUse('add', { a: 2, b: 2 }).text('4'),
      tools: [add],
      grantStore: second,
      interactive: false,
    });
    const result = await headless.run('2+2');
    expect(result.toolCalls[0]).toMatchObject({ name: 'add', success: true });
    expect((await second.auditLog({ tool: 'add' })).map((e) => e.by)).toEqual(expect.arrayContaining(['user', 'grant']));
    await first.close();
    await second.close();
  });

  it('connection problems are io errors that say what to do', async () => {
    const u = new URL(url);
    u.port = '1';
    const nowhere = new PostgresGrantStore({ connectionString: u.toString() });
    const e = await nowhere.list().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GrantStoreError);
    expect((e as GrantStoreError).kind).toBe('io');
    expect((e as Error).message).toMatch(/cannot be reached/);
    await nowhere.close();
  });
});
