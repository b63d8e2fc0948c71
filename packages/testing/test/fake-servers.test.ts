import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ProviderError, type ModelResponse } from '@mixtape/core';
import { anthropic } from '@mixtape/anthropic';
import { openaiCompatible } from '@mixtape/openai';
import {
  CassetteError,
  FakeScript,
  loadCassette,
  recordCassette,
  recordingModel,
  startFakeAnthropic,
  startFakeOpenAI,
  type FakeServer,
} from '@mixtape/testing';

const servers: FakeServer[] = [];
async function anthropicServer(...args: Parameters<typeof startFakeAnthropic>) {
  const s = await startFakeAnthropic(...args);
  servers.push(s);
  return s;
}
async function openaiServer(...args: Parameters<typeof startFakeOpenAI>) {
  const s = await startFakeOpenAI(...args);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function responseOf(iterable: AsyncIterable<{ type: string }>): Promise<ModelResponse> {
  let last: { type: string; response?: ModelResponse } | undefined;
  for await (const e of iterable) last = e;
  return last!.response!;
}

describe('fake Anthropic server', () => {
  it('listens on 127.0.0.1 only and writes SSE events in the documented framing', async () => {
    const server = await anthropicServer();
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    server.script.text('Hi there');
    const res = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-x', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const events = text.trimEnd().split('\n\n');
    expect(events[0]).toMatch(/^event: message_start\ndata: \{"type":"message_start","message":\{"id":"msg_/);
    expect(events.map((e) => e.split('\n')[0])).toEqual([
      'event: message_start',
      'event: content_block_start',
      'event: ping',
      'event: content_block_delta',
      'event: content_block_delta',
      'event: content_block_stop',
      'event: message_delta',
      'event: message_stop',
    ]);
    for (const e of events) {
      const [eventLine, dataLine] = e.split('\n');
      expect(JSON.parse(dataLine!.slice('data: '.length)).type).toBe(eventLine!.slice('event: '.length));
    }
    expect(server.requests[0]!.apiKey).toBe('k');
  });

  it('serves non-streaming requests to the official SDK', async () => {
    const server = await anthropicServer();
    server.script.toolUse('add', { a: 1 });
    const client = new Anthropic({ apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 });
    const msg = await client.messages.create({ model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content[0]).toMatchObject({ type: 'tool_use', name: 'add', input: { a: 1 } });
  });

  it('rejects a wrong API key with 401 and an empty script with a 400 that says what to do', async () => {
    const server = await anthropicServer({ apiKey: 'right' });
    const client = (apiKey: string) => new Anthropic({ apiKey, baseURL: server.baseURL, maxRetries: 0 });
    const req = { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] };
    await expect(client('wrong').messages.create(req)).rejects.toMatchObject({ status: 401 });
    await expect(client('right').messages.create(req)).rejects.toThrow(/no response left.*server\.script/);
  });

  it('delays the first byte: an SDK timeout shorter than the delay is a network error', async () => {
    const server = await anthropicServer();
    server.script.text('late', { firstByteDelayMs: 2_000 });
    const m = anthropic('claude-x', { apiKey: 'k', baseURL: server.baseURL, timeoutMs: 100, retry: { maxAttempts: 1 } });
    const error = await responseOf(m.stream({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }], tools: [] })).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.kind).toBe('network');
  });
});

describe('fake OpenAI server', () => {
  it('writes chunks, the usage chunk and [DONE] in the documented framing', async () => {
    const server = await openaiServer();
    server.script.toolUse('f', { a: 1 });
    const res = await fetch(`${server.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'm',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const events = (await res.text()).trimEnd().split('\n\n');
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
    for (const c of chunks) expect(c.object).toBe('chat.completion.chunk');
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks[1].choices[0].delta.tool_calls[0]).toEqual({
      index: 0,
      id: 'call_fake_1',
      type: 'function',
      function: { name: 'f', arguments: '' },
    });
    expect(chunks.at(-2).choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-1).choices).toEqual([]);
    expect(chunks.at(-1).usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('serves non-streaming requests to the official SDK', async () => {
    const server = await openaiServer();
    server.script.text('hello');
    const client = new OpenAI({ apiKey: 'k', baseURL: server.baseURL, maxRetries: 0 });
    const c = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(c.choices[0]!.message.content).toBe('hello');
    expect(c.choices[0]!.finish_reason).toBe('stop');
  });
});

describe('scripts', () => {
  it('joins consecutive toolUse calls into one answer and prefixes thinking', () => {
    const s = new FakeScript().thinking('hm', 'sig').toolUse('a', {}).toolUse('b', { x: 1 }).text('done').toolUse('c');
    expect(s.remaining).toHaveLength(3);
    expect(s.remaining[0]).toEqual({
      type: 'message',
      content: [
        { type: 'thinking', thinking: 'hm', signature: 'sig' },
        { type: 'tool_use', name: 'a', input: {} },
        { type: 'tool_use', name: 'b', input: { x: 1 } },
      ],
    });
  });
});

describe('cassettes', () => {
  it('records what a model answered and replays it from a fake server', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mixtape-cassette-'));
    try {
      const live = await anthropicServer();
      live.script.thinking('think', 'sig-1').toolUse('add', { a: 2, b: 2 });
      live.script.text('4', { usage: { inputTokens: 3, outputTokens: 1 } });
      const { model, responses } = recordingModel(anthropic('claude-x', { apiKey: 'k', baseURL: live.baseURL }));
      const ask = { messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'x' }] }], tools: [] };
      const first = await responseOf(model.stream(ask));
      const second = await responseOf(model.stream(ask));
      const path = join(dir, 'nested', 'run.cassette.json');
      await recordCassette(path, responses, 'test run');

      const replay = await openaiServer({ responses: await loadCassette(path) });
      const m = openaiCompatible({ baseURL: replay.baseURL, model: 'm' });
      const r1 = await responseOf(m.stream(ask));
      const r2 = await responseOf(m.stream(ask));
      expect(r1.content.find((b) => b.type === 'tool_use')).toEqual(first.content.find((b) => b.type === 'tool_use'));
      expect(r1.stopReason).toBe('tool_use');
      expect(r2.content).toEqual(second.content);
      expect(r2.usage).toEqual({ inputTokens: 3, outputTokens: 1 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says what is wrong with a bad cassette', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mixtape-cassette-'));
    try {
      const path = join(dir, 'bad.json');
      await writeFile(path, '{"version": 2, "responses": []}');
      await expect(loadCassette(path)).rejects.toThrow(CassetteError);
      await expect(loadCassette(path)).rejects.toThrow(/version 1/);
      await expect(loadCassette(join(dir, 'missing.json'))).rejects.toThrow(/cannot read cassette/);
      await writeFile(path, '{"version": 1, "responses": [{"type": "bogus"}]}');
      await expect(loadCassette(path)).rejects.toThrow(/response 0/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('server options', () => {
  it('keepAliveTimeoutMs closes idle keep-alive connections after that long (Node default: 5 s)', async () => {
    const { request, Agent: HttpAgent } = await import('node:http');
    const server = await startFakeAnthropic({ keepAliveTimeoutMs: 50 });
    const agent = new HttpAgent({ keepAlive: true });
    try {
      const closed = await new Promise<number>((resolve, reject) => {
        const req = request(`${server.url}/v1/unknown`, { agent, method: 'GET' }, (res) => {
          res.resume();
          res.on('end', () => {
            const idleSince = Date.now();
            req.socket?.once('close', () => resolve(Date.now() - idleSince));
          });
        });
        req.on('error', reject);
        req.end();
      });
      expect(closed).toBeLessThan(2_000);
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});
