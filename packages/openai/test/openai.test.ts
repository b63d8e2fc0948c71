import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError, type Model, type ModelRequest, type ModelResponse, type ModelStreamEvent } from '@mixtape/core';
import { startFakeOpenAI, type FakeServer } from '@mixtape/testing';
import { openai, openaiCompatible } from '@mixtape/openai';

const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5, jitter: 'none' as const };

let server: FakeServer;
beforeEach(async () => {
  server = await startFakeOpenAI();
});
afterEach(async () => {
  await server.close();
});

function model(opts: Partial<Parameters<typeof openaiCompatible>[0]> = {}): Model {
  return openaiCompatible({ baseURL: server.baseURL, model: 'llama3.2', retry: FAST_RETRY, ...opts });
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

describe('OpenAI-compatible provider against the fake chat completions API', () => {
  it('streams text deltas and asks for usage, through the official SDK', async () => {
    server.script.text('Hello there, how are you?', { usage: { inputTokens: 12, outputTokens: 7 } });
    const { events, response } = await collect(model({ maxTokens: 100 }), ask('hi', { system: 'Be kind.' }));
    const deltas = events.filter((e) => e.type === 'text_delta').map((e) => (e as { text: string }).text);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Hello there, how are you?');
    expect(response).toEqual({
      content: [{ type: 'text', text: 'Hello there, how are you?' }],
      stopReason: 'end_turn',
      usage: { inputTokens: 12, outputTokens: 7 },
    });
    const body = server.requests[0]!.body;
    expect(server.requests[0]!.path).toBe('/v1/chat/completions');
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.max_tokens).toBe(100);
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(server.requests[0]!.apiKey).toBeDefined();
  });

  it('assembles parallel tool calls by index, with empty arguments as {}', async () => {
    server.script.toolUse('get_weather', { city: 'Paris' }).toolUse('now', {});
    const { events, response } = await collect(
      model(),
      ask('weather?', {
        tools: [{ name: 'get_weather', description: 'weather', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } }],
      }),
    );
    expect(response.stopReason).toBe('tool_use');
    expect(response.content).toEqual([
      { type: 'tool_use', id: 'call_fake_1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_fake_2', name: 'now', input: {} },
    ]);
    expect(events.filter((e) => e.type === 'tool_use_start')).toHaveLength(2);
    expect(server.requests[0]!.body.tools[0]).toEqual({
      type: 'function',
      function: { name: 'get_weather', description: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    });
  });

  it('sends tool results as role tool messages (JSON as text) and images as data URLs', async () => {
    server.script.text('done');
    const png = new Uint8Array([137, 80, 78, 71]);
    await collect(model(), {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image', mediaType: 'image/png', data: png },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'calling' },
            { type: 'tool_use', id: 'c1', name: 'shot', input: { x: 1 } },
            { type: 'tool_use', id: 'c2', name: 'calc', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', toolUseId: 'c1', isError: false, content: [{ type: 'image', mediaType: 'image/png', data: png }] },
            { type: 'tool_result', toolUseId: 'c2', isError: false, content: [{ type: 'json', value: { sum: 3 } }] },
          ],
        },
      ],
      tools: [],
    });
    const msgs = server.requests[0]!.body.messages;
    const url = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
    expect(msgs[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url } },
      ],
    });
    expect(msgs[1]).toEqual({
      role: 'assistant',
      content: 'calling',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'shot', arguments: '{"x":1}' } },
        { id: 'c2', type: 'function', function: { name: 'calc', arguments: '{}' } },
      ],
    });
    expect(msgs[2]).toMatchObject({ role: 'tool', tool_call_id: 'c1' });
    expect(msgs[3]).toEqual({ role: 'tool', tool_call_id: 'c2', content: '{"sum":3}' });
    expect(msgs[4]).toEqual({ role: 'user', content: [{ type: 'image_url', image_url: { url } }] });
  });

  it.each([
    ['max_tokens', 'max_tokens'],
    ['refusal', 'content_filtered'],
    ['end_turn', 'end_turn'],
  ] as const)('maps finish reason for %s to %s', async (wire, mapped) => {
    server.script.text('x', { stopReason: wire });
    const { response } = await collect(model(), ask('x'));
    expect(response.stopReason).toBe(mapped);
  });

  it('streams reasoning_content as thinking', async () => {
    server.script.thinking('Two plus two is four.', '').text('4');
    const { events, response } = await collect(model(), ask('2+2'));
    expect(events.some((e) => e.type === 'thinking_delta')).toBe(true);
    expect(response.content).toEqual([
      { type: 'thinking', thinking: 'Two plus two is four.' },
      { type: 'text', text: '4' },
    ]);
  });

  it('reports cached prompt tokens as cache reads', async () => {
    server.script.text('ok', { usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 90 } });
    const { response } = await collect(model(), ask('x'));
    expect(response.usage).toEqual({ inputTokens: 10, outputTokens: 2, cacheReadTokens: 90 });
  });

  it('retries 429 (retry-after honoured), 500 and a reset before output', async () => {
    server.script.error(429, { retryAfterMs: 2 }).error(500).reset().text('ok');
    const delays: number[] = [];
    const { response } = await collect(model({ onRetry: (i) => delays.push(i.delayMs) }), ask('x'));
    expect(response.content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(server.requests).toHaveLength(4);
    expect(delays[0]).toBe(2);
  });

  it('fails with a stream error after output without retrying', async () => {
    server.script.text('one two three four', { fault: { kind: 'reset', afterEvents: 3 } }).text('never');
    const { error, events } = await failure(model(), ask('x'));
    expect(events.some((e) => e.type === 'text_delta')).toBe(true);
    expect(error.kind).toBe('stream');
    expect(server.requests).toHaveLength(1);
  });

  it('fails clearly on a malformed chunk and on an error chunk after output', async () => {
    server.script.text('one two three', { fault: { kind: 'malformed', afterEvents: 3 } });
    expect((await failure(model(), ask('x'))).error.kind).toBe('stream');
    server.script.text('one two three', { fault: { kind: 'error_event', afterEvents: 3 } });
    const { error } = await failure(model(), ask('x'));
    expect(error.kind).toBe('server');
    expect(error.retryable).toBe(false);
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

  it.each([400, 401, 403])('never retries HTTP %i', async (status) => {
    server.script.error(status).text('never');
    const { error } = await failure(model(), ask('x'));
    expect(error.status).toBe(status);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after maxAttempts naming provider, status and what to do', async () => {
    server.script.error(503).error(503);
    const { error } = await failure(model({ provider: 'ollama', retry: { ...FAST_RETRY, maxAttempts: 2 } }), ask('x'));
    expect(error.provider).toBe('ollama');
    expect(error.status).toBe(503);
    expect(error.message).toMatch(/^ollama: .*503.*try again later.*2 attempts/);
  });

  it('openai() needs a key and says what to set; the key goes as a Bearer token', async () => {
    const saved = process.env['OPENAI_API_KEY'];
    delete process.env['OPENAI_API_KEY'];
    try {
      const { error } = await failure(openai('gpt-4o-mini', { baseURL: server.baseURL }), ask('x'));
      expect(error.kind).toBe('authentication');
      expect(error.message).toMatch(/OPENAI_API_KEY/);
      expect(server.requests).toHaveLength(0);
      server.script.text('ok');
      await collect(openai('gpt-4o-mini', { baseURL: server.baseURL, apiKey: 'sk-test', maxTokens: 50 }), ask('x'));
      expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-test');
      expect(server.requests[0]!.body.max_completion_tokens).toBe(50);
    } finally {
      if (saved !== undefined) process.env['OPENAI_API_KEY'] = saved;
    }
  });

  it('aborting cancels the HTTP request at once', async () => {
    server.script.text('first words then nothing', { fault: { kind: 'stall', afterEvents: 3 } });
    const controller = new AbortController();
    let caught: unknown;
    try {
      for await (const e of model().stream(ask('x', { signal: controller.signal }))) if (e.type === 'text_delta') controller.abort();
    } catch (error) {
      caught = error;
    }
    expect((caught as ProviderError).kind).toBe('aborted');
    expect(await server.requests[0]!.ended).toBe('client_closed');
  });

  it('retries a stall before output after the idle timeout, and fails on a stall after output', async () => {
    server.script.text('never', { fault: { kind: 'stall', afterEvents: 0 } }).text('second');
    const { response } = await collect(model({ idleTimeoutMs: 200 }), ask('x'));
    expect(response.content).toEqual([{ type: 'text', text: 'second' }]);
    server.script.text('one two three', { fault: { kind: 'stall', afterEvents: 3 } });
    const { error } = await failure(model({ idleTimeoutMs: 200 }), ask('x'));
    expect(error.kind).toBe('stream');
  });
});
