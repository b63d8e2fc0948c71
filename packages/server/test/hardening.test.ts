import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { HttpAgent } from '@ag-ui/client';
import type { BaseEvent } from '@ag-ui/core';
import { decode } from '@ag-ui/proto';
import { MemorySessionStore } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import {
  createServer,
  DEFAULT_ALLOWED_HOSTS,
  DEFAULT_MAX_MESSAGE_CHARS,
  DEFAULT_MAX_RUN_MESSAGES,
  PROTO_MEDIA_TYPE,
} from '@mixtape/server';
import { describe, expect, it } from 'vitest';
import { invalidEvents, postRun, runInput, say, serversClosedAfterEach, TOKEN } from './helpers.js';

const start = serversClosedAfterEach();

/** A request with headers fetch will not let us set (Host). */
function raw(
  url: string,
  options: { method?: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: u.hostname, port: u.port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('principals: threads belong to whoever made them', () => {
  it('another principal reads 404 and, writing to the same thread id, gets a thread of its own', async () => {
    const store = new MemorySessionStore();
    const s = await start({
      store,
      model: new ScriptedModel().text('Hello Alice.').text('Hello Bob.'),
      server: { auth: { authenticate: (r: Request) => (r.headers.get('x-user') ? { id: r.headers.get('x-user')! } : null) } },
    });
    const threadId = randomUUID();
    const as = (user: string) => new HttpAgent({ url: `${s.url}/agent`, threadId, headers: { 'x-user': user } });
    expect((await say(as('alice'), 'secret plans')).result).toBe('Hello Alice.');
    const read = (user: string) => fetch(`${s.url}/threads/${threadId}/messages`, { headers: { 'x-user': user } });
    expect((await read('alice')).status).toBe(200);
    expect((await read('bob')).status).toBe(404);
    expect((await read('')).status).toBe(401);
    expect((await say(as('bob'), 'hi')).result).toBe('Hello Bob.');
    // Bob's model request did not carry Alice's history.
    expect(s.model.requests[1]!.messages).toHaveLength(1);
    const alice = (await (await read('alice')).json()) as { messages: Array<{ content: string }> };
    expect(alice.messages.map((m) => m.content)).toEqual(['secret plans', 'Hello Alice.']);
    expect((await store.listSessions()).every((x) => x.id.endsWith(`/${threadId}`))).toBe(true);
  });

  it('a token with characters outside the RFC 6750 set logs in; one a header cannot carry is a configuration error', async () => {
    const token = 'p@ss#%!"(1)';
    const s = await start({ model: new ScriptedModel().text('in'), server: { auth: { token } } });
    expect((await say(new HttpAgent({ url: `${s.url}/agent`, headers: { Authorization: `Bearer ${token}` } }), 'hi')).result).toBe('in');
    expect((await postRun(s.url, runInput(randomUUID(), 'hi'), `${token}x`)).status).toBe(401);
    const base = {
      agentFactory: () => {
        throw new Error('unused');
      },
      sessionStore: new MemorySessionStore(),
    };
    expect(() => createServer({ ...base, auth: { token: 'has space' } })).toThrow(/cannot carry/);
    expect(() => createServer({ ...base, auth: { token: 'naïve☃' } })).toThrow(/cannot carry/);
  });
});

describe('where requests may come from', () => {
  it('Host must be an allowed name (DNS rebinding); /health answers any Host', async () => {
    const s = await start({ model: new ScriptedModel().text('ok') });
    expect(DEFAULT_ALLOWED_HOSTS).toContain('localhost');
    const headers = { authorization: `Bearer ${TOKEN}` };
    const port = new URL(s.url).port;
    expect((await raw(s.url, { path: '/threads/t/messages', headers: { ...headers, host: `attacker.example:${port}` } })).status).toBe(403);
    expect((await raw(s.url, { path: '/', headers: { host: 'attacker.example' } })).status).toBe(403);
    expect((await raw(s.url, { path: '/threads/t/messages', headers: { ...headers, host: `localhost:${port}` } })).status).toBe(404);
    expect((await raw(s.url, { path: '/health', headers: { host: 'attacker.example' } })).status).toBe(200);
  });

  it('a cross-site page is refused (Origin, and a non-JSON body) even with auth disabled', async () => {
    const s = await start({
      model: new ScriptedModel().text('same origin').text('listed origin'),
      server: { auth: { disabled: true }, allowedOrigins: ['https://app.example'] },
    });
    const body = JSON.stringify(runInput(randomUUID(), 'rm -rf please'));
    const post = (headers: Record<string, string>) => fetch(`${s.url}/agent`, { method: 'POST', headers, body });
    const evil = await post({ origin: 'https://evil.example', 'content-type': 'application/json' });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: string }).error).toBe('origin_not_allowed');
    const simple = await post({ 'content-type': 'text/plain' });
    expect(simple.status).toBe(415);
    expect((await post({ origin: s.url, 'content-type': 'application/json' })).status).toBe(200);
    expect((await post({ origin: 'https://app.example', 'content-type': 'application/json' })).status).toBe(200);
    expect(s.model.requests).toHaveLength(2);
  });
});

describe('input bounds', () => {
  it('thread ids: a lone surrogate or a control character is a 400 and leaves no row behind', async () => {
    const store = new MemorySessionStore();
    const s = await start({ store, model: new ScriptedModel().text('ok') });
    const lone = await postRun(
      s.url,
      `{"threadId":"a\\ud800b","runId":"r","messages":[{"id":"1","role":"user","content":"hi"}],"tools":[],"context":[]}`,
    );
    expect(lone.status).toBe(400);
    expect(((await lone.json()) as { message: string }).message).toMatch(/lone surrogate/);
    expect((await postRun(s.url, runInput('a\u0007b', 'hi'))).status).toBe(400);
    expect(
      (await fetch(`${s.url}/threads/${encodeURIComponent('x\u0001')}/messages`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(400);
    expect(await store.listSessions()).toEqual([]);
  });

  it('message count and message size have named limits (413)', async () => {
    expect(DEFAULT_MAX_RUN_MESSAGES).toBe(2_000);
    expect(DEFAULT_MAX_MESSAGE_CHARS).toBe(200_000);
    const s = await start({ model: new ScriptedModel().text('unused'), server: { limits: { maxMessages: 3, maxMessageChars: 100 } } });
    const many = {
      ...runInput(randomUUID(), 'hi'),
      messages: Array.from({ length: 4 }, (_, i) => ({ id: String(i), role: 'user', content: 'x' })),
    };
    const r1 = await postRun(s.url, many);
    expect(r1.status).toBe(413);
    expect(((await r1.json()) as { message: string }).message).toMatch(/limit is 3 \(limits.maxMessages\)/);
    const r2 = await postRun(s.url, runInput(randomUUID(), 'x'.repeat(101)));
    expect(r2.status).toBe(413);
    expect(((await r2.json()) as { message: string }).message).toMatch(/maxMessageChars/);
    expect(s.model.requests).toHaveLength(0);
  });

  it('every failed run is reported to the server logger with its thread and run', async () => {
    const logged: Array<{ error: unknown; context: unknown }> = [];
    const s = await start({
      model: new ScriptedModel().error(new Error('provider exploded')),
      server: { onError: (error, context) => logged.push({ error, context }) },
    });
    const client = s.client();
    const { events } = await say(client, 'hi');
    expect(events.at(-1)!.type).toBe('RUN_ERROR');
    expect(logged).toHaveLength(1);
    expect(String(logged[0]!.error)).toMatch(/provider exploded/);
    expect(logged[0]!.context).toMatchObject({ threadId: client.threadId, principalId: 'token' });
  });
});

describe('encodings', () => {
  it('Accept: application/vnd.ag-ui.event+proto gets length-prefixed protobuf events; an Accept allowing neither gets 406', async () => {
    const s = await start({ model: new ScriptedModel().text('over protobuf').text('over SSE') });
    const threadId = randomUUID();
    const r = await fetch(`${s.url}/agent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: PROTO_MEDIA_TYPE },
      body: JSON.stringify(runInput(threadId, 'hi')),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(PROTO_MEDIA_TYPE);
    const bytes = new Uint8Array(await r.arrayBuffer());
    const events: BaseEvent[] = [];
    for (let at = 0; at < bytes.length;) {
      const length = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, false);
      events.push(decode(bytes.subarray(at + 4, at + 4 + length)));
      at += 4 + length;
    }
    expect(invalidEvents(events)).toEqual([]);
    expect(events[0]).toMatchObject({ type: 'RUN_STARTED', threadId });
    expect(events.at(-1)).toMatchObject({ type: 'RUN_FINISHED', threadId });
    expect(
      events
        .filter((e) => e.type === 'TEXT_MESSAGE_CONTENT')
        .map((e) => (e as BaseEvent & { delta: string }).delta)
        .join(''),
    ).toBe('over protobuf');

    // A browser's default Accept (*/*) gets SSE: protobuf only when asked for by name.
    const any = await fetch(`${s.url}/agent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: '*/*' },
      body: JSON.stringify(runInput(randomUUID(), 'hi')),
    });
    expect(any.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await any.body!.cancel();
    const json = await fetch(`${s.url}/agent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(runInput(threadId, 'hi')),
    });
    expect(json.status).toBe(406);
    expect(((await json.json()) as { message: string }).message).toMatch(/text\/event-stream or application\/vnd\.ag-ui\.event\+proto/);
  });
});
