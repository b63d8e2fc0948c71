import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  ProviderError,
  providerError,
  resolveRetryPolicy,
  retryAfterMs,
  retryDelayMs,
  withRetry,
} from '@mixtape/core';

const fail = (status: number, retryAfter?: number) =>
  providerError({
    provider: 'p',
    kind: status === 429 ? 'rate_limited' : 'server',
    status,
    detail: 'x',
    ...(retryAfter !== undefined && { retryAfterMs: retryAfter }),
  });

describe('withRetry', () => {
  it('has named defaults: 4 attempts, 500 ms base, 30 s cap', () => {
    expect(DEFAULT_RETRY_POLICY).toMatchObject({ maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 30_000 });
  });

  it.each([408, 409, 429, 500, 502, 503, 529])('retries HTTP %i', async (status) => {
    let n = 0;
    const out = await withRetry(async () => (++n < 3 ? Promise.reject(fail(status)) : 'ok'), { baseDelayMs: 0 });
    expect(out).toBe('ok');
    expect(n).toBe(3);
  });

  it.each([400, 401, 403, 404])('never retries HTTP %i', async (status) => {
    let n = 0;
    const err = providerError({ provider: 'p', kind: 'invalid_request', status, detail: 'bad' });
    await expect(withRetry(async () => (n++, Promise.reject(err)), { baseDelayMs: 0 })).rejects.toBe(err);
    expect(n).toBe(1);
  });

  it('does not retry errors that are not ProviderErrors', async () => {
    let n = 0;
    await expect(withRetry(async () => (n++, Promise.reject(new TypeError('bug'))))).rejects.toThrow('bug');
    expect(n).toBe(1);
  });

  it('stops after maxAttempts and says so', async () => {
    let n = 0;
    const error = await withRetry(async () => (n++, Promise.reject(fail(500))), { maxAttempts: 3, baseDelayMs: 0 }).catch((e) => e);
    expect(n).toBe(3);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.attempts).toBe(3);
    expect(error.status).toBe(500);
    expect(error.message).toMatch(/^p: x \(HTTP 500\) — .*gave up after 3 attempts/);
  });

  it('uses retry-after when given and exponential backoff with jitter otherwise', () => {
    const p = resolveRetryPolicy({ baseDelayMs: 100, maxDelayMs: 1000, jitter: 'none' });
    expect(retryDelayMs(1, p)).toBe(100);
    expect(retryDelayMs(2, p)).toBe(200);
    expect(retryDelayMs(5, p)).toBe(1000);
    expect(retryDelayMs(1, p, 7000)).toBe(7000);
    expect(retryDelayMs(1, p, 10 * 60_000)).toBe(100); // beyond maxRetryAfterMs: back to backoff
    const full = resolveRetryPolicy({ baseDelayMs: 100, jitter: 'full' });
    expect(retryDelayMs(3, full, undefined, () => 0.5)).toBe(200);
    const equal = resolveRetryPolicy({ baseDelayMs: 100, jitter: 'equal' });
    expect(retryDelayMs(3, equal, undefined, () => 0)).toBe(200);
  });

  it('passes the provider delay to onRetry', async () => {
    const delays: number[] = [];
    let n = 0;
    await withRetry(async () => (++n === 1 ? Promise.reject(fail(429, 4)) : 'ok'), {}, { onRetry: (i) => delays.push(i.delayMs) });
    expect(delays).toEqual([4]);
  });

  it('abort stops the wait at once with an aborted error', async () => {
    const controller = new AbortController();
    const p = withRetry(
      async () => Promise.reject(fail(429, 50_000)),
      {},
      { signal: controller.signal, provider: 'p', onRetry: () => queueMicrotask(() => controller.abort()) },
    );
    const error = await p.catch((e) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.kind).toBe('aborted');
  });
});

describe('retryAfterMs', () => {
  it('reads retry-after-ms, retry-after seconds and HTTP dates', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000);
    const date = new Date(Date.now() + 60_000).toUTCString();
    expect(retryAfterMs(new Headers({ 'retry-after': date }))).toBeGreaterThan(50_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
