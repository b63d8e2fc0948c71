import { describe, expect, it, vi } from 'vitest';
import { ApprovalError, ApprovalQueue, DEFAULT_APPROVAL_TIMEOUT_MS, parsePermissionResponse } from '../src/permissions/index.js';

const event = (proposalId: string) => ({ proposalId, toolUseId: proposalId, toolName: 'bash', params: { command: 'ls' }, paramsHash: 'h' });

describe('ApprovalQueue', () => {
  it('waits five minutes by default', () => {
    expect(DEFAULT_APPROVAL_TIMEOUT_MS).toBe(300_000);
    expect(new ApprovalQueue().timeoutMs).toBe(300_000);
  });

  it('resolves a request with the answer and lists it while it waits', async () => {
    const queue = new ApprovalQueue();
    const answer = queue.request(event('p1'));
    expect(queue.pending().map((p) => [p.proposalId, p.request.toolName])).toEqual([['p1', 'bash']]);
    expect(queue.pending()[0]?.expiresAt?.getTime()).toBe(queue.pending()[0]!.requestedAt.getTime() + 300_000);
    expect(queue.respond('p1', { action: 'tool', scope: 'project' })).toBe(true);
    await expect(answer).resolves.toEqual({ action: 'tool', scope: 'project' });
    expect(queue.pending()).toEqual([]);
    expect(queue.respond('p1', { action: 'once' })).toBe(false); // already answered
  });

  it('returns false for an unknown proposal id', () => {
    expect(new ApprovalQueue().respond('nope', { action: 'once' })).toBe(false);
  });

  it('denies a request nobody answers in time', async () => {
    const queue = new ApprovalQueue({ timeoutMs: 20 });
    await expect(queue.request(event('p1'))).resolves.toEqual({
      action: 'deny',
      reason: 'Approval timed out after 0.02 s',
      origin: 'timeout',
    });
    expect(queue.pending()).toEqual([]);
    expect(queue.respond('p1', { action: 'once' })).toBe(false);
    // A per-request timeout overrides the queue's.
    await expect(new ApprovalQueue().request(event('p2'), { timeoutMs: 5 })).resolves.toMatchObject({ action: 'deny', origin: 'timeout' });
  });

  it('denies after 300 s with the default timeout, not before', async () => {
    vi.useFakeTimers();
    try {
      const queue = new ApprovalQueue();
      let settled = false;
      const answer = queue.request(event('p1')).finally(() => (settled = true));
      await vi.advanceTimersByTimeAsync(299_999);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await expect(answer).resolves.toEqual({ action: 'deny', reason: 'Approval timed out after 300 s', origin: 'timeout' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('denies with "Run cancelled" when the run is aborted, also before the request', async () => {
    const queue = new ApprovalQueue();
    const controller = new AbortController();
    const answer = queue.request(event('p1'), { signal: controller.signal });
    controller.abort();
    await expect(answer).resolves.toEqual({ action: 'deny', reason: 'Run cancelled', origin: 'cancelled' });
    expect(queue.pending()).toEqual([]);
    await expect(queue.request(event('p2'), { signal: controller.signal })).resolves.toMatchObject({ reason: 'Run cancelled' });
    expect(queue.pending()).toEqual([]);
  });

  it('keeps requests apart: answering one leaves the others waiting', async () => {
    const queue = new ApprovalQueue();
    const a = queue.request(event('a'));
    const b = queue.request(event('b'));
    queue.respond('b', { action: 'deny', reason: 'no' });
    await expect(b).resolves.toEqual({ action: 'deny', reason: 'no' });
    expect(queue.pending().map((p) => p.proposalId)).toEqual(['a']);
    expect(queue.cancelAll('Agent closed')).toBe(1);
    await expect(a).resolves.toEqual({ action: 'deny', reason: 'Agent closed', origin: 'cancelled' });
  });

  it('refuses a second request with an id that is already waiting', async () => {
    const queue = new ApprovalQueue();
    const first = queue.request(event('p1'));
    await expect(queue.request(event('p1'))).rejects.toMatchObject({ kind: 'duplicate' });
    queue.respond('p1', { action: 'once' });
    await expect(first).resolves.toEqual({ action: 'once' });
  });

  it('refuses a malformed answer and keeps the request waiting', async () => {
    const queue = new ApprovalQueue();
    const answer = queue.request(event('p1'));
    expect(() => queue.respond('p1', { action: 'always' } as never)).toThrow(ApprovalError);
    expect(() => queue.respond('p1', { action: 'tool', scope: 'forever' } as never)).toThrow(/scope/);
    expect(queue.pending().length).toBe(1);
    queue.respond('p1', { action: 'exact' });
    await expect(answer).resolves.toEqual({ action: 'exact' });
  });

  it('rejects invalid timeouts and accepts Infinity', async () => {
    expect(() => new ApprovalQueue({ timeoutMs: 0 })).toThrow(/positive/);
    expect(() => new ApprovalQueue({ timeoutMs: Number.NaN })).toThrow(ApprovalError);
    const queue = new ApprovalQueue({ timeoutMs: Infinity });
    const answer = queue.request(event('p1'));
    expect(queue.pending()[0]?.expiresAt).toBeUndefined();
    queue.respond('p1', { action: 'once' });
    await expect(answer).resolves.toEqual({ action: 'once' });
  });

  it('parses answers that arrive as JSON', () => {
    expect(parsePermissionResponse(JSON.parse('{"action":"exact","scope":"user","expiresAt":"2030-01-01T00:00:00Z"}'))).toEqual({
      action: 'exact',
      scope: 'user',
      expiresAt: new Date('2030-01-01T00:00:00Z'),
    });
    expect(() => parsePermissionResponse(null)).toThrow(/Invalid permission response/);
  });
});
