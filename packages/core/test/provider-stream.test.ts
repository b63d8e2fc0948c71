import { describe, expect, it } from 'vitest';
import { ProviderError, providerError, streamModelCall, type ModelStreamEvent, type StreamAssembler } from '@mixtape/core';

/** Raw events: strings are text deltas; 'END' finishes; an Error is thrown at that point. */
type Raw = string;

function assembler(): StreamAssembler<Raw> {
  let text = '';
  let ended = false;
  return {
    handle(raw, out) {
      if (raw === 'END') ended = true;
      else if (raw !== 'META') {
        text += raw;
        out.push({ type: 'text_delta', text: raw });
      }
    },
    finish() {
      if (!ended) throw providerError({ provider: 'fake', kind: 'stream', retryable: false, detail: 'no END' });
      return { content: [{ type: 'text', text }], stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 } };
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- 'HANG' documents the marker next to the raw events
function source(items: (Raw | Error | 'HANG')[], onCancel?: () => void) {
  return async (signal: AbortSignal) => ({
    events: (async function* () {
      for (const item of items) {
        if (item instanceof Error) throw item;
        if (item === 'HANG')
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
        else yield item;
      }
    })(),
    cancel: () => onCancel?.(),
  });
}

const toError = (e: unknown, before: boolean) =>
  e instanceof ProviderError ? e : providerError({ provider: 'fake', kind: 'stream', retryable: before, detail: String(e) });

async function run(
  opens: ((s: AbortSignal) => Promise<{ events: AsyncIterator<Raw>; cancel(): void }>)[],
  extra: { signal?: AbortSignal; idleTimeoutMs?: number } = {},
) {
  let n = 0;
  const events: ModelStreamEvent[] = [];
  try {
    for await (const e of streamModelCall<Raw>({
      provider: 'fake',
      retry: { baseDelayMs: 0 },
      open: (s) => opens[n++]!(s),
      assembler,
      toError,
      ...extra,
    }))
      events.push(e);
    return { events, attempts: n };
  } catch (error) {
    return { events, attempts: n, error: error as ProviderError };
  }
}

describe('streamModelCall', () => {
  it('passes deltas through and ends with one response', async () => {
    const r = await run([source(['META', 'a', 'b', 'END'])]);
    expect(r.events.map((e) => e.type)).toEqual(['text_delta', 'text_delta', 'response']);
    expect(r.attempts).toBe(1);
  });

  it('retries a failure before the first delta but not after', async () => {
    const before = await run([source(['META', new Error('reset')]), source(['x', 'END'])]);
    expect(before.error).toBeUndefined();
    expect(before.attempts).toBe(2);
    const after = await run([source(['a', new Error('reset')]), source(['x', 'END'])]);
    expect(after.error?.kind).toBe('stream');
    expect(after.attempts).toBe(1);
    expect(after.events).toEqual([{ type: 'text_delta', text: 'a' }]);
  });

  it('turns a stall into a stream error, retried only before output', async () => {
    const r1 = await run([source(['META', 'HANG']), source(['ok', 'END'])], { idleTimeoutMs: 30 });
    expect(r1.error).toBeUndefined();
    expect(r1.attempts).toBe(2);
    const r2 = await run([source(['a', 'HANG'])], { idleTimeoutMs: 30 });
    expect(r2.error?.message).toMatch(/stalled/);
  });

  it('cancels the request when the caller stops early', async () => {
    let cancelled = false;
    for await (const e of streamModelCall<Raw>({
      provider: 'fake',
      open: source(['a', 'b', 'END'], () => (cancelled = true)),
      assembler,
      toError,
    })) {
      if (e.type === 'text_delta') break;
    }
    expect(cancelled).toBe(true);
  });

  it('reports an abort as kind aborted', async () => {
    const controller = new AbortController();
    const p = run([source(['a', 'HANG'])], { signal: controller.signal });
    setImmediate(() => controller.abort());
    const r = await p;
    expect(r.error?.kind).toBe('aborted');
  });
});
