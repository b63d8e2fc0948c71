import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ClaudeSonnet4_6,
  ProviderError,
  costOf,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type ModelStreamEvent,
} from '@mixtape/core';
import { startFakeAnthropic, type FakeServer } from '@mixtape/testing';
import { anthropic } from '@mixtape/anthropic';

const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5, jitter: 'none' as const };

let server: FakeServer;
beforeEach(async () => {
  server = await startFakeAnthropic();
});
afterEach(async () => {
  await server.close();
});

function model(opts: Parameters<typeof anthropic>[1] = {}): Model {
  return anthropic(ClaudeSonnet4_6, { apiKey: 'test-key', baseURL: server.baseURL, retry: FAST_RETRY, ...opts });
}

function ask(text: string, extra: Partial<ModelRequest> = {}): ModelRequest {
  return { messages: [{ role: 'user', content: [{ type: 'text', text }] }], tools: [], ...extra };
}

async function collect(m: Model, request: ModelRequest): Promise<{ events: ModelStreamEvent[]; response: ModelResponse }> {
  const events: ModelStreamEvent[] = [];
  for await (const e of m.stream(request)) events.push(e);
  const last = events.at(-1);
  if (last?.type !== 'response') throw new Error('no response event');
  expect(events.filter((e) => e.type === 'response')).toHaveLength(1);
  return { events, response: last.response };
}

async function failure(m: Model, request: ModelRequest): Promise<{ error: ProviderError; events: ModelStreamEvent[] }> {
  const events: ModelStreamEvent[] = [];
  try {
    for await (const e of m.stream(request)) events.push(e);
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return { error: error as ProviderError, events };
  }
  throw new Error('expected the call to fail');
}

describe('anthropic provider against the fake Messages API', () => {
  it('streams text deltas before the response, through the official SDK', async () => {
    server.script.text('Hello there, how are you?');
    const { events, response } = await collect(model(), ask('hi'));
    const deltas = events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Hello there, how are you?');
    expect(response.content).toEqual([{ type: 'text', text: 'Hello there, how are you?' }]);
    expect(response.stopReason).toBe('end_turn');
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/messages');
    expect(req.body.model).toBe('claude-sonnet-4-6');
    expect(req.body.stream).toBe(true);
    expect(req.apiKey).toBe('test-key');
    expect(req.body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  });

  it('assembles parallel tool calls, with an empty input as {}', async () => {
    server.script.toolUse('get_weather', { city: 'Paris', days: [1, 2, 3] }).toolUse('now', {});
    const { events, response } = await collect(
      model(),
      ask('weather?', {
        tools: [
          { name: 'get_weather', description: 'weather', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } },
          { name: 'now', description: 'time', inputSchema: { type: 'object', properties: {} } },
        ],
      }),
    );
    expect(response.stopReason).toBe('tool_use');
    expect(response.content).toEqual([
      { type: 'tool_use', id: expect.any(String), name: 'get_weather', input: { city: 'Paris', days: [1, 2, 3] } },
      { type: 'tool_use', id: expect.any(String), name: 'now', input: {} },
    ]);
    expect(events.filter((e) => e.type === 'tool_use_start').map((e) => (e as { name: string }).name)).toEqual(['get_weather', 'now']);
    expect(events.filter((e) => e.type === 'tool_input_delta').length).toBeGreaterThan(1);
  });

  it.each([
    ['max_tokens', 'max_tokens'],
    ['stop_sequence', 'stop_sequence'],
    ['refusal', 'content_filtered'],
    ['pause_turn', 'pause_turn'],
  ] as const)('maps stop reason %s to %s', async (wire, mapped) => {
    server.script.text('partial', { stopReason: wire, ...(wire === 'stop_sequence' && { stopSequence: '###' }) });
    const { response } = await collect(model(), ask('x'));
    expect(response.stopReason).toBe(mapped);
    if (wire === 'stop_sequence') expect(response.stopSequence).toBe('###');
  });

  it('keeps thinking with its signature and sends it back in the next request', async () => {
    server.script.thinking('Let me add 2 and 2.', 'sig-abc').toolUse('add', { a: 2, b: 2 });
    server.script.redactedThinking('opaque-bytes').text('4');
    const m = model({ thinking: { budgetTokens: 2048 } });
    const first = await collect(m, ask('2+2?'));
    expect(first.events.some((e) => e.type === 'thinking_delta')).toBe(true);
    expect(first.response.content[0]).toEqual({ type: 'thinking', thinking: 'Let me add 2 and 2.', signature: 'sig-abc' });
    const toolUse = first.response.content[1] as { id: string };
    const second = await collect(m, {
      messages: [
        { role: 'user', content: [{ type: 'text', text: '2+2?' }] },
        { role: 'assistant', content: first.response.content },
        { role: 'user', content: [{ type: 'tool_result', toolUseId: toolUse.id, isError: false, content: [{ type: 'json', value: 4 }] }] },
      ],
      tools: [],
    });
    expect(second.response.content).toEqual([
      { type: 'redacted_thinking', data: 'opaque-bytes' },
      { type: 'text', text: '4' },
    ]);
    expect(server.requests[0]!.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(server.requests[0]!.body.max_tokens).toBeGreaterThan(2048);
    const sent = server.requests[1]!.body.messages;
    expect(sent[1].content[0]).toEqual({ type: 'thinking', thinking: 'Let me add 2 and 2.', signature: 'sig-abc' });
    expect(sent[2].content[0]).toEqual({
      type: 'tool_result',
      tool_use_id: toolUse.id,
      is_error: false,
      content: [{ type: 'text', text: '4' }],
    });
  });

  it('marks the system prompt and the last tool for caching and reports cache tokens in usage and cost', async () => {
    server.script.text('cached', { usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 1000, cacheWriteTokens: 200 } });
    const { response } = await collect(
      model(),
      ask('hi', {
        system: 'You are terse.',
        tools: [
          { name: 'a', description: 'a', inputSchema: { type: 'object' } },
          { name: 'b', description: 'b', inputSchema: { type: 'object' } },
        ],
      }),
    );
    const body = server.requests[0]!.body;
    expect(body.system).toEqual([{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }]);
    expect(body.tools[0].cache_control).toBeUndefined();
    expect(body.tools[1].cache_control).toEqual({ type: 'ephemeral' });
    expect(response.usage).toEqual({ inputTokens: 10, outputTokens: 5, cacheReadTokens: 1000, cacheWriteTokens: 200 });
    const cost = costOf(response.usage, ClaudeSonnet4_6.pricing)!;
    const withoutCache = costOf({ inputTokens: 10, outputTokens: 5 }, ClaudeSonnet4_6.pricing)!;
    expect(cost).toBeGreaterThan(withoutCache);
  });

  it('sends no cache marks when prompt caching is off', async () => {
    server.script.text('ok');
    await collect(
      model({ promptCaching: false }),
      ask('hi', { system: 'S', tools: [{ name: 'a', description: 'a', inputSchema: { type: 'object' } }] }),
    );
    expect(JSON.stringify(server.requests[0]!.body)).not.toContain('cache_control');
  });

  it('sends images and documents in user content and in tool results', async () => {
    server.script.text('seen');
    const png = new Uint8Array([137, 80, 78, 71]);
    await collect(model(), {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image', mediaType: 'image/png', data: png },
            { type: 'document', mediaType: 'application/pdf', data: 'JVBERg==', name: 'a.pdf' },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'shot', input: {} }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', toolUseId: 't1', isError: false, content: [{ type: 'image', mediaType: 'image/png', data: png }] },
          ],
        },
      ],
      tools: [],
    });
    const msgs = server.requests[0]!.body.messages;
    expect(msgs[0].content[1]).toEqual({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: Buffer.from(png).toString('base64') },
    });
    expect(msgs[0].content[2]).toEqual({
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERg==' },
      title: 'a.pdf',
    });
    expect(msgs[2].content[0].content[0].type).toBe('image');
  });

  it('rejects an unsupported image type with an invalid_request error before sending', async () => {
    const { error } = await failure(model(), {
      messages: [{ role: 'user', content: [{ type: 'image', mediaType: 'image/tiff', data: 'AAAA' }] }],
      tools: [],
    });
    expect(error.kind).toBe('invalid_request');
    expect(error.message).toMatch(/image\/tiff/);
    expect(server.requests).toHaveLength(0);
  });

  it('retries 429 honouring retry-after-ms, then 529 and 500, and succeeds', async () => {
    server.script.error(429, { retryAfterMs: 3 }).error(529).error(500).text('finally');
    const delays: number[] = [];
    const { response } = await collect(model({ onRetry: (i) => delays.push(i.delayMs) }), ask('x'));
    expect(response.content).toEqual([{ type: 'text', text: 'finally' }]);
    expect(server.requests).toHaveLength(4);
    expect(delays[0]).toBe(3);
  });

  it('retries a connection reset before any output', async () => {
    server.script
      .reset()
      .text('ok', { fault: { kind: 'reset', afterEvents: 1 } })
      .text('third time');
    const { response } = await collect(model(), ask('x'));
    expect(response.content).toEqual([{ type: 'text', text: 'third time' }]);
    expect(server.requests).toHaveLength(3);
  });

  it('retries an overloaded error event that arrives before any output', async () => {
    server.script.text('no', { fault: { kind: 'error_event', afterEvents: 1, errorType: 'overloaded_error' } }).text('yes');
    const { response } = await collect(model(), ask('x'));
    expect(response.content).toEqual([{ type: 'text', text: 'yes' }]);
  });

  it('fails with a stream error when the connection resets after output started, without retrying', async () => {
    server.script.text('one two three four five', { fault: { kind: 'reset', afterEvents: 5 } }).text('never');
    const { error, events } = await failure(model(), ask('x'));
    expect(events.some((e) => e.type === 'text_delta')).toBe(true);
    expect(error.kind).toBe('stream');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/anthropic/);
    expect(server.requests).toHaveLength(1);
  });

  it('fails clearly on a malformed event after output', async () => {
    server.script.text('one two three', { fault: { kind: 'malformed', afterEvents: 5 } });
    const { error } = await failure(model(), ask('x'));
    expect(error.kind).toBe('stream');
  });

  it('keeps truncated tool input JSON as text, for the agent to return to the model as invalid input', async () => {
    server.script.toolUse('search', { query: 'a long query text here' }, { truncateToolInput: true });
    const { response } = await collect(model(), ask('x'));
    const use = response.content.find((b) => b.type === 'tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'search' });
    expect(typeof (use as { input: unknown }).input).toBe('string');
    expect((use as { input: string }).input).toContain('"query"');
    expect(() => JSON.parse((use as { input: string }).input)).toThrow();
  });

  it('drops a tool call cut off by max_tokens and reports max_tokens', async () => {
    server.script.respond(
      [
        { type: 'text', text: 'Calling' },
        { type: 'tool_use', name: 'search', input: { q: 'abcdefghijklmnop' } },
      ],
      { truncateToolInput: true, stopReason: 'max_tokens' },
    );
    const { response } = await collect(model(), ask('x'));
    expect(response.stopReason).toBe('max_tokens');
    expect(response.content).toEqual([{ type: 'text', text: 'Calling' }]);
  });

  it.each([400, 401, 403])('never retries HTTP %i', async (status) => {
    server.script.error(status).text('never');
    const { error } = await failure(model(), ask('x'));
    expect(error.status).toBe(status);
    expect(error.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
    if (status !== 400) {
      expect(error.kind).toBe('authentication');
      expect(error.message).toMatch(/ANTHROPIC_API_KEY/);
    }
  });

  it('gives up after maxAttempts with a typed error naming provider, status and what to do', async () => {
    server.script.error(529).error(529).error(529);
    const { error } = await failure(model({ retry: { ...FAST_RETRY, maxAttempts: 3 } }), ask('x'));
    expect(error.kind).toBe('overloaded');
    expect(error.status).toBe(529);
    expect(error.attempts).toBe(3);
    expect(error.message).toMatch(/^anthropic: .*529.*try again later.*3 attempts/);
    expect(server.requests).toHaveLength(3);
  });

  it('says what to set when no API key is configured, without any request', async () => {
    const saved = { key: process.env['ANTHROPIC_API_KEY'], token: process.env['ANTHROPIC_AUTH_TOKEN'] };
    delete process.env['ANTHROPIC_API_KEY'];
    delete process.env['ANTHROPIC_AUTH_TOKEN'];
    try {
      const { error } = await failure(anthropic(ClaudeSonnet4_6, { baseURL: server.baseURL }), ask('x'));
      expect(error.kind).toBe('authentication');
      expect(error.message).toMatch(/set ANTHROPIC_API_KEY/);
      expect(server.requests).toHaveLength(0);
    } finally {
      if (saved.key !== undefined) process.env['ANTHROPIC_API_KEY'] = saved.key;
      if (saved.token !== undefined) process.env['ANTHROPIC_AUTH_TOKEN'] = saved.token;
    }
  });

  it('aborting cancels the HTTP request at once: the server sees the connection close', async () => {
    server.script.text('first words then nothing', { fault: { kind: 'stall', afterEvents: 4 } });
    const controller = new AbortController();
    const events: ModelStreamEvent[] = [];
    let caught: unknown;
    try {
      for await (const e of model().stream(ask('x', { signal: controller.signal }))) {
        events.push(e);
        if (e.type === 'text_delta') controller.abort();
      }
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProviderError);
    expect((caught as ProviderError).kind).toBe('aborted');
    expect(await server.requests[0]!.ended).toBe('client_closed');
  });

  it('aborting while waiting to retry stops at once', async () => {
    server.script.error(429, { retryAfter: 30 }).text('never');
    const controller = new AbortController();
    const m = model({ retry: { maxAttempts: 4 }, onRetry: () => controller.abort() });
    const { error } = await failure(m, ask('x', { signal: controller.signal }));
    expect(error.kind).toBe('aborted');
    expect(server.requests).toHaveLength(1);
  });

  it('stopping iteration early cancels the request', async () => {
    server.script.text('a b c d e f', { fault: { kind: 'stall', afterEvents: 5 } });
    for await (const e of model().stream(ask('x'))) if (e.type === 'text_delta') break;
    expect(await server.requests[0]!.ended).toBe('client_closed');
  });

  it('retries a stream that stalls before any output, once the idle timeout passes', async () => {
    server.script.text('never', { fault: { kind: 'stall', afterEvents: 1 } }).text('second try');
    const { response } = await collect(model({ idleTimeoutMs: 200 }), ask('x'));
    expect(response.content).toEqual([{ type: 'text', text: 'second try' }]);
    expect(await server.requests[0]!.ended).toBe('client_closed');
  });

  it('fails with a stream error when the stream stalls after output', async () => {
    server.script.text('one two three', { fault: { kind: 'stall', afterEvents: 4 } });
    const { error, events } = await failure(model({ idleTimeoutMs: 200 }), ask('x'));
    expect(events.some((e) => e.type === 'text_delta')).toBe(true);
    expect(error.kind).toBe('stream');
    expect(error.message).toMatch(/stalled/);
  });

  it('aborting while the server has not answered yet (slow first byte) cancels the request', async () => {
    const controller = new AbortController();
    await server.close();
    server = await startFakeAnthropic({ onRequest: () => controller.abort() });
    server.script.text('late', { firstByteDelayMs: 10_000 });
    const { error } = await failure(model(), ask('x', { signal: controller.signal }));
    expect(error.kind).toBe('aborted');
    expect(await server.requests[0]!.ended).toBe('client_closed');
  });

  it('does not retry when the server says x-should-retry: false', async () => {
    server.script.error(500, { shouldRetry: false }).text('never');
    const { error } = await failure(model(), ask('x'));
    expect(error.status).toBe(500);
    expect(error.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });
});
