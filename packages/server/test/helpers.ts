import { randomUUID } from 'node:crypto';
import { HttpAgent } from '@ag-ui/client';
import type { BaseEvent } from '@ag-ui/core';
import { EventSchemas } from '@ag-ui/core/schemas';
import { Agent, type AgentOptions, MemorySessionStore, type SessionStore, tool } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { createServer, type MixtapeServer, type RunCoordinator, type RunningServer, type ServerOptions } from '@mixtape/server';
import { afterEach, expect } from 'vitest';
import { z } from 'zod';

export const TOKEN = 'test-token-123';

export const add = tool({
  name: 'add',
  description: 'Adds two numbers',
  input: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => String(a + b),
});

export interface TestServer {
  server: MixtapeServer;
  running: RunningServer;
  url: string;
  model: ScriptedModel;
  store: SessionStore;
  /** Agents made by the factory, in order. */
  agents: Agent[];
  client(threadId?: string, token?: string): HttpAgent;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 whose agents share one ScriptedModel (runs of a thread are sequential). */
export async function startTestServer(
  opts: {
    model?: ScriptedModel;
    store?: SessionStore;
    coordinator?: RunCoordinator;
    agentOptions?: Partial<AgentOptions>;
    server?: Partial<ServerOptions>;
  } = {},
): Promise<TestServer> {
  const model = opts.model ?? new ScriptedModel();
  const store = opts.store ?? new MemorySessionStore();
  const agents: Agent[] = [];
  const server = createServer({
    agentFactory: (sessionId) => {
      const agent = new Agent({ model, tools: [add], sessionStore: store, sessionId, ...opts.agentOptions });
      agents.push(agent);
      return agent;
    },
    sessionStore: store,
    auth: { token: TOKEN },
    onError: () => {},
    ...(opts.coordinator ? { coordinator: opts.coordinator } : {}),
    ...opts.server,
  });
  const running = await server.serve({ port: 0 });
  return {
    server,
    running,
    url: running.url,
    model,
    store,
    agents,
    client: (threadId = randomUUID(), token = TOKEN) =>
      new HttpAgent({ url: `${running.url}/agent`, threadId, headers: { Authorization: `Bearer ${token}` } }),
    close: () => running.close({ graceMs: 0 }),
  };
}

/** Problems @ag-ui/core's schemas find in events (empty when every event is valid). */
export function invalidEvents(events: BaseEvent[]): string[] {
  return events.flatMap((e) => {
    const r = EventSchemas.safeParse(e);
    return r.success ? [] : [`${e.type}: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`];
  });
}

/** Runs one user message through an AG-UI client; returns the events it received (each validated by @ag-ui/core's schemas) and the result. */
export async function say(
  client: HttpAgent,
  text: string | null,
  onEvent?: (e: BaseEvent) => void,
  params: Parameters<HttpAgent['runAgent']>[0] = {},
): Promise<{ events: BaseEvent[]; result: unknown; error?: Error }> {
  if (text !== null) client.addMessage({ id: randomUUID(), role: 'user', content: text });
  const events: BaseEvent[] = [];
  try {
    const { result } = await client.runAgent(params, {
      onEvent: ({ event }) => {
        events.push(event);
        onEvent?.(event);
      },
    });
    return { events, result };
  } catch (error) {
    return { events, result: undefined, error: error as Error };
  } finally {
    expect(invalidEvents(events)).toEqual([]);
  }
}

/** POSTs a RunAgentInput by hand (for status codes the client hides). */
export function postRun(url: string, body: unknown, token: string | null = TOKEN): Promise<Response> {
  return fetch(`${url}/agent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function runInput(threadId: string, text: string) {
  return { threadId, runId: randomUUID(), messages: [{ id: randomUUID(), role: 'user', content: text }], tools: [], context: [] };
}

export function approve(url: string, threadId: string, proposalId: string, body: unknown, token = TOKEN): Promise<Response> {
  return fetch(`${url}/threads/${encodeURIComponent(threadId)}/approvals/${encodeURIComponent(proposalId)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

/** SSE events of a raw response. */
export async function sseEvents(r: Response): Promise<BaseEvent[]> {
  const text = await r.text();
  return text
    .split('\n\n')
    .flatMap((frame) => frame.split('\n').filter((l) => l.startsWith('data: ')))
    .map((l) => JSON.parse(l.slice(6)) as BaseEvent);
}

/** Answers with a client that did not see the interrupt (the HttpAgent refuses expired/partial resumes itself). */
export async function rawResume(url: string, threadId: string, resume: unknown[], messages: unknown[] = []): Promise<BaseEvent[]> {
  const r = await postRun(url, { threadId, runId: randomUUID(), messages, tools: [], context: [], resume });
  expect(r.status).toBe(200);
  const events = await sseEvents(r);
  expect(invalidEvents(events)).toEqual([]);
  return events;
}

/** A promise with its resolve function. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** `start` for a test file: servers it starts are closed after each test. */
export function serversClosedAfterEach(): (...args: Parameters<typeof startTestServer>) => Promise<TestServer> {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  return async (...args) => {
    const s = await startTestServer(...args);
    servers.push(s);
    return s;
  };
}
