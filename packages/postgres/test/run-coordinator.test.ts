import { PostgresRunCoordinator } from '@mixtape/postgres';
import { beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../../../test-support/postgres.js';

describePostgres('PostgresRunCoordinator', () => {
  let url = '';
  beforeAll(async () => {
    url = await createTestDatabase('coordinator');
  });

  it('one run per thread across instances; a lock is freed by release and when the instance closes', async () => {
    const a = new PostgresRunCoordinator({ connectionString: url });
    const b = new PostgresRunCoordinator({ connectionString: url });
    const lease = await a.tryLock('thread-1');
    expect(lease).not.toBeNull();
    expect(await a.tryLock('thread-1')).toBeNull(); // same instance
    expect(await b.tryLock('thread-1')).toBeNull(); // other instance
    expect(await b.tryLock('thread-2')).not.toBeNull(); // other threads are free
    await lease!.release();
    const again = await b.tryLock('thread-1');
    expect(again).not.toBeNull();
    await b.close(); // its connection closes: PostgreSQL frees its locks
    expect(await a.tryLock('thread-1')).not.toBeNull();
    await a.close();
  });

  it('an answer reaches the instance whose run waits, once; answers for nothing waiting are refused', async () => {
    const a = new PostgresRunCoordinator({ connectionString: url });
    const b = new PostgresRunCoordinator({ connectionString: url });
    const got: unknown[] = [];
    let answered!: () => void;
    const delivered = new Promise<void>((resolve) => (answered = resolve));
    // Resolves once the request is recorded, visible to every instance.
    await a.expectApproval('t', { proposalId: 'p1', toolName: 'rm', toolCallId: 'p1', params: { path: '/tmp/x' } }, (r) => {
      got.push(r);
      answered();
    });
    expect(await b.pendingApprovals('t')).toEqual([{ proposalId: 'p1', toolName: 'rm', toolCallId: 'p1', params: { path: '/tmp/x' } }]);
    expect(await b.answer('t', 'p1', { action: 'tool', scope: 'project', expiresAt: new Date('2030-01-01T00:00:00Z') })).toBe(true);
    await delivered;
    expect(got).toEqual([{ action: 'tool', scope: 'project', expiresAt: new Date('2030-01-01T00:00:00Z') }]);
    expect(await b.answer('t', 'p1', { action: 'once' })).toBe(false);
    expect(await b.answer('t', 'unknown', { action: 'once' })).toBe(false);
    expect(await a.pendingApprovals('t')).toEqual([]);
    await a.close();
    await b.close();
  });

  it('requests of an instance that went away are neither listed nor answerable', async () => {
    const a = new PostgresRunCoordinator({ connectionString: url });
    const b = new PostgresRunCoordinator({ connectionString: url });
    await a.expectApproval('gone', { proposalId: 'p', toolName: 'x', toolCallId: 'p', params: {} }, () => {});
    expect(await b.pendingApprovals('gone')).toHaveLength(1);
    await a.close();
    // pg_stat_activity can list a closed backend for a moment; its row stops counting once it is gone.
    while ((await b.pendingApprovals('gone')).length) await new Promise((r) => setImmediate(r));
    expect(await b.answer('gone', 'p', { action: 'once' })).toBe(false);
    await b.close();
  });
});
