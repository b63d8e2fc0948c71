/**
 * Questions MCP servers ask a person during a tool call — elicitation (form and URL mode) and
 * sampling approval — as AG-UI interrupts through the server, against the published
 * server-everything over stdio, driven by @ag-ui/client's HttpAgent (events checked by
 * @ag-ui/core's schemas). The MCP call waits in this process; the resume continues the same run.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { BaseEvent, Interrupt } from '@ag-ui/core';
import { MemorySessionStore, tool, type AgentEvent } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { elicitationBroker, McpToolset, modelSamplingHandler, type McpTool } from '@mixtape/mcp';
import { MemoryRunCoordinator } from '@mixtape/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { exited, spawnTs, waitForOutput } from '../../../test-support/processes.js';
import { deferred, postRun, rawResume, say, serversClosedAfterEach, startTestServer, TOKEN } from './helpers.js';

const EVERYTHING_HTTP = fileURLToPath(new URL('../../mcp/test/fixtures/everything-http.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../../../node_modules/.bin/mcp-server-everything', import.meta.url));
const start = serversClosedAfterEach();

type Finished = BaseEvent & {
  result?: unknown;
  outcome?: { type: string; interrupts?: Interrupt[] };
  usage?: Array<{ inputTokens: number }>;
};
const finished = (events: BaseEvent[]) => events.find((e) => e.type === 'RUN_FINISHED') as Finished;
const runError = (events: BaseEvent[]) =>
  events.find((e) => e.type === 'RUN_ERROR') as (BaseEvent & { message: string; code?: string }) | undefined;
const toolResults = (events: BaseEvent[]) =>
  events.filter((e) => e.type === 'TOOL_CALL_RESULT') as Array<BaseEvent & { toolCallId: string; content: string }>;

const questions = elicitationBroker({ onNotice: () => {} });
const sampler = new ScriptedModel({ modelId: 'sampler' });
let toolset: McpToolset;
let tools: McpTool[];
beforeAll(async () => {
  toolset = new McpToolset([{ name: 'ev', transport: { type: 'stdio', command: BIN, args: ['stdio'] } }], {
    onElicitation: questions.handler,
    onSampling: modelSamplingHandler({ model: sampler, approve: questions.approveSampling() }),
  });
  tools = await toolset.tools();
}, 60_000);
afterAll(async () => {
  await toolset.close();
});

/** A server whose agents have server-everything's tools and ask people through `questions`. */
function questionServer(model: ScriptedModel, extra: Parameters<typeof start>[0] = {}) {
  return start({ model, agentOptions: { tools }, server: { questions }, ...extra });
}

describe('MCP questions as AG-UI interrupts', () => {
  it('form elicitation: the run ends with the question; a bad answer is refused; the answer continues the same run', async () => {
    const model = new ScriptedModel().toolUse('ev_trigger-elicitation-request', {}, 'call_form').text('Thanks, Ada.');
    const s = await questionServer(model);
    const client = s.client();
    const first = await say(client, 'Ask me who I am');
    expect(first.error).toBeUndefined();
    expect(first.events.map((e) => e.type).slice(-3)).toEqual(['STATE_SNAPSHOT', 'MESSAGES_SNAPSHOT', 'RUN_FINISHED']);
    const outcome = finished(first.events).outcome!;
    expect(outcome.type).toBe('interrupt');
    expect(outcome.interrupts).toHaveLength(1);
    const q = outcome.interrupts![0]!;
    expect(q).toMatchObject({
      reason: 'mixtape:mcp_elicitation',
      toolCallId: 'call_form',
      message: 'Please provide inputs for the following fields:',
      metadata: { mixtape: { server: 'ev', mode: 'form' } },
    });
    expect(q.id).toMatch(/^question_/);
    expect(Date.parse(q.expiresAt!)).toBeGreaterThan(Date.now());
    const requested = (q.metadata as { mixtape: { requestedSchema: { properties: object; required: string[] } } }).mixtape.requestedSchema;
    expect(Object.keys(requested.properties)).toEqual(expect.arrayContaining(['name', 'email']));
    expect((q.responseSchema as { properties: { content: unknown } }).properties.content).toEqual(requested);
    // The MCP call is still waiting: nothing ran past the question.
    expect(model.requests).toHaveLength(1);
    // A reloaded page finds the question again.
    const listed = (await (
      await fetch(`${s.url}/threads/${client.threadId}/interrupts`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { interrupts: Interrupt[] };
    expect(listed.interrupts).toEqual([q]);

    const bad = await rawResume(s.url, client.threadId, [
      { interruptId: q.id, status: 'resolved', payload: { action: 'accept', content: { email: 'not an email' } } },
    ]);
    expect(runError(bad)).toMatchObject({ code: 'interrupt_invalid_answer' });
    expect(runError(bad)!.message).toMatch(/name/);
    const nothing = await rawResume(s.url, client.threadId, [{ interruptId: q.id, status: 'resolved', payload: { action: 'maybe' } }]);
    expect(runError(nothing)!.message).toContain('action must be');

    const second = await say(client, null, undefined, {
      resume: [
        {
          interruptId: q.id,
          status: 'resolved',
          payload: { action: 'accept', content: { name: 'Ada Lovelace', check: true, email: 'ada@example.org' } },
        },
      ],
    });
    expect(second.error).toBeUndefined();
    expect(second.events[0]!.type).toBe('RUN_STARTED');
    expect(second.result).toBe('Thanks, Ada.');
    const result = toolResults(second.events)[0]!;
    expect(result.toolCallId).toBe('call_form');
    expect(result.content).toContain('Ada Lovelace');
    expect(finished(second.events).outcome).toEqual({ type: 'success' });
    expect(JSON.stringify(model.requests[1]!.messages)).toContain('Ada Lovelace');
    expect(s.server.activeRuns).toBe(0);
  });

  it('a run that asks twice parks twice: the second question ends the resumed response, its answer continues the run again', async () => {
    // Two turns: the second tool call comes after the first one's result.
    const model = new ScriptedModel();
    for (const id of ['call_1', 'call_2'])
      model.respond([{ type: 'tool_use', id, name: 'ev_trigger-elicitation-request', input: {} }], 'tool_use');
    model.text('Both answered.');
    const s = await questionServer(model);
    const client = s.client();
    const first = await say(client, 'Ask me twice');
    const q1 = finished(first.events).outcome!.interrupts![0]!;
    expect(q1.toolCallId).toBe('call_1');
    const accept = (q: Interrupt, name: string) => ({
      resume: [{ interruptId: q.id, status: 'resolved' as const, payload: { action: 'accept', content: { name } } }],
    });
    const second = await say(client, null, undefined, accept(q1, 'First'));
    expect(toolResults(second.events).map((r) => r.toolCallId)).toEqual(['call_1']);
    const q2 = finished(second.events).outcome!.interrupts![0]!;
    expect(q2).toMatchObject({ reason: 'mixtape:mcp_elicitation', toolCallId: 'call_2' });
    const third = await say(client, null, undefined, accept(q2, 'Second'));
    expect(third.result).toBe('Both answered.');
    expect(toolResults(third.events)[0]!.content).toContain('Second');
    expect(s.server.activeRuns).toBe(0);
  });

  it('a client that leaves the resumed response cancels the run, as with any run', async () => {
    const model = new ScriptedModel().toolUse('ev_trigger-elicitation-request', {}, 'call_d').stall();
    const s = await questionServer(model);
    const client = s.client();
    const first = await say(client, 'Ask me');
    const q = finished(first.events).outcome!.interrupts![0]!;
    const controller = new AbortController();
    const r = await fetch(`${s.url}/agent`, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({
        threadId: client.threadId,
        runId: randomUUID(),
        messages: [],
        tools: [],
        context: [],
        resume: [{ interruptId: q.id, status: 'resolved', payload: { action: 'decline' } }],
      }),
    });
    const reader = r.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('RUN_STARTED');
    // The model now stalls after the tool's result; the client goes away.
    await expect.poll(() => model.requests.length).toBe(2);
    controller.abort();
    await expect.poll(() => s.server.activeRuns).toBe(0);
  });

  it('URL mode: the interrupt carries the URL; events of another call that ended while the run was parked reach the resumed response', async () => {
    // A tool (not MCP) that finishes only once the run is parked.
    const gate = deferred();
    const slow = tool({
      name: 'slow',
      description: 'Finishes late',
      input: z.object({}),
      execute: async () => (await gate.promise, 'slow done'),
    });
    const slowDone = deferred();
    const model = new ScriptedModel()
      .toolUses([
        { name: 'ev_trigger-url-elicitation', input: { url: 'https://example.org/consent', elicitationId: 'e-1' }, id: 'call_url' },
        { name: 'slow', input: {}, id: 'call_slow' },
      ])
      .text('Consent recorded.');
    const s = await questionServer(model, {
      agentOptions: {
        tools: [...tools, slow],
        hooks: [(e: AgentEvent) => void (e.type === 'tool_completed' && e.name === 'slow' && slowDone.resolve())],
      },
      server: { questions },
    });
    const client = s.client();
    const first = await say(client, 'Get my consent');
    const q = finished(first.events).outcome!.interrupts![0]!;
    expect(q).toMatchObject({
      reason: 'mixtape:mcp_elicitation',
      toolCallId: 'call_url',
      metadata: { mixtape: { server: 'ev', mode: 'url', url: 'https://example.org/consent', elicitationId: 'e-1' } },
    });
    expect(Object.keys((q.responseSchema as { properties: object }).properties)).toEqual(['action']);
    gate.resolve();
    await slowDone.promise;
    const second = await say(client, null, undefined, {
      resume: [{ interruptId: q.id, status: 'resolved', payload: { action: 'accept' } }],
    });
    expect(second.error).toBeUndefined();
    expect(second.result).toBe('Consent recorded.');
    const results = toolResults(second.events);
    expect(results.map((r) => r.toolCallId)).toEqual(['call_slow', 'call_url']);
    expect(results[0]!.content).toBe('slow done');
    expect(results[1]!.content).toContain('completed the URL elicitation');
  });

  it("sampling approval: the person approves through a resume, the model answers the server, and the run's usage includes it", async () => {
    sampler.text('Paris', { usage: { inputTokens: 40, outputTokens: 2 } });
    const model = new ScriptedModel()
      .respond(
        [{ type: 'tool_use', id: 'call_s', name: 'ev_trigger-sampling-request', input: { prompt: 'Capital of France?' } }],
        'tool_use',
        {
          inputTokens: 100,
          outputTokens: 1,
        },
      )
      .text('The server heard Paris.', { usage: { inputTokens: 200, outputTokens: 3 } });
    const s = await questionServer(model);
    const client = s.client();
    const first = await say(client, 'Let the server ask the model');
    const q = finished(first.events).outcome!.interrupts![0]!;
    expect(q).toMatchObject({
      reason: 'mixtape:mcp_sampling',
      toolCallId: 'call_s',
      metadata: { mixtape: { server: 'ev', maxTokens: 100 } },
    });
    expect(JSON.stringify(q.metadata)).toContain('Capital of France?');
    expect(sampler.requests).toHaveLength(0);
    const second = await say(client, null, undefined, { resume: [{ interruptId: q.id, status: 'resolved', payload: { approved: true } }] });
    expect(second.result).toBe('The server heard Paris.');
    expect(sampler.requests).toHaveLength(1);
    expect(toolResults(second.events)[0]!.content).toContain('Paris');
    expect(finished(second.events).usage![0]!.inputTokens).toBe(340);

    // Refused: the model is not called, and the server's tool fails with the person's reason.
    model
      .respond([{ type: 'tool_use', id: 'call_s2', name: 'ev_trigger-sampling-request', input: { prompt: 'Again?' } }], 'tool_use')
      .text('The server was refused.');
    const third = await say(client, 'Once more');
    const q2 = finished(third.events).outcome!.interrupts![0]!;
    const bad = await rawResume(s.url, client.threadId, [{ interruptId: q2.id, status: 'resolved', payload: { approved: 'yes' } }]);
    expect(runError(bad)).toMatchObject({ code: 'interrupt_invalid_answer' });
    const fourth = await say(client, null, undefined, {
      resume: [{ interruptId: q2.id, status: 'resolved', payload: { approved: false, reason: 'not today' } }],
    });
    expect(fourth.result).toBe('The server was refused.');
    expect(sampler.requests).toHaveLength(1);
    expect(toolResults(fourth.events)[0]!.content).toContain('not today');
  });

  it('a cancelled question tells the server; a new message while a question is open is refused', async () => {
    const model = new ScriptedModel().toolUse('ev_trigger-elicitation-request', {}, 'call_c').text('Never mind.');
    const s = await questionServer(model);
    const client = s.client();
    const first = await say(client, 'Ask me');
    const q = finished(first.events).outcome!.interrupts![0]!;
    const refused = await say(s.client(client.threadId), 'something else');
    expect(runError(refused.events)).toMatchObject({ code: 'interrupt_pending' });
    const unknown = await rawResume(s.url, client.threadId, [
      { interruptId: 'question_nope', status: 'resolved', payload: { action: 'decline' } },
    ]);
    expect(runError(unknown)).toMatchObject({ code: 'interrupt_unknown' });
    const second = await say(client, null, undefined, { resume: [{ interruptId: q.id, status: 'cancelled' }] });
    expect(second.result).toBe('Never mind.');
    expect(JSON.stringify(model.requests[1]!.messages)).toMatch(/cancel/i);
  });

  it('a question unanswered past the wait limit is cancelled; the run finishes on its own and a late answer is told it expired', async () => {
    const model = new ScriptedModel().toolUse('ev_trigger-elicitation-request', {}, 'call_w').text('Gave up waiting.');
    let ended!: () => void;
    const runEnded = new Promise<void>((resolve) => (ended = resolve));
    const s = await questionServer(model, {
      agentOptions: { tools, hooks: [(e: AgentEvent) => void (e.type === 'run_completed' && ended())] },
      server: { questions, questionWaitMs: 20 },
    });
    const client = s.client();
    const first = await say(client, 'Ask me');
    const q = finished(first.events).outcome!.interrupts![0]!;
    await runEnded;
    const late = await rawResume(s.url, client.threadId, [{ interruptId: q.id, status: 'resolved', payload: { action: 'decline' } }]);
    expect(runError(late)).toMatchObject({ code: 'interrupt_expired' });
    const stored = await s.store.getSession(client.threadId);
    expect(stored!.messages.at(-1)!.content).toBe('Gave up waiting.');
  });

  it('a resume that reaches a process that does not hold the question gets interrupt_expired; the thread goes on', async () => {
    const store = new MemorySessionStore();
    const model = new ScriptedModel().toolUse('ev_trigger-elicitation-request', {}, 'call_gone');
    const a = await startTestServer({ model, store, agentOptions: { tools }, server: { questions } });
    const threadId = randomUUID();
    const first = await say(a.client(threadId), 'Ask me');
    const q = finished(first.events).outcome!.interrupts![0]!;
    // The process that asked is gone: its run ends with it (here: shut down).
    await a.close();
    const b = await questionServer(model);
    const resumed = await rawResume(b.url, threadId, [{ interruptId: q.id, status: 'resolved', payload: { action: 'decline' } }]);
    expect(runError(resumed)).toMatchObject({ code: 'interrupt_expired' });
    expect(runError(resumed)!.message).toContain('expired with the run that asked it');
    model.text('Here again.');
    const next = await say(b.client(threadId), 'Hello again');
    expect(next.error).toBeUndefined();
    expect(next.result).toBe('Here again.');
  });
});

describe('several instances sharing the run lock', () => {
  it('a resume that reaches another instance than the parked run gets 409 saying where the question waits', async () => {
    const coordinator = new MemoryRunCoordinator(); // stands for PostgresRunCoordinator
    const store = new MemorySessionStore();
    const model = new ScriptedModel().toolUse('ev_trigger-elicitation-request', {}, 'call_i').text('Answered on A.');
    const a = await start({ model, store, coordinator, agentOptions: { tools }, server: { questions } });
    const b = await start({ model, store, coordinator, agentOptions: { tools }, server: { questions } });
    const client = a.client();
    const first = await say(client, 'Ask me');
    const q = finished(first.events).outcome!.interrupts![0]!;
    const resume = [{ interruptId: q.id, status: 'resolved', payload: { action: 'decline' } }];
    const elsewhere = await postRun(b.url, {
      threadId: client.threadId,
      runId: randomUUID(),
      messages: [],
      tools: [],
      context: [],
      resume,
    });
    expect(elsewhere.status).toBe(409);
    expect(((await elsewhere.json()) as { message: string }).message).toContain('parked on a tool');
    const here = await say(client, null, undefined, { resume: resume as never });
    expect(here.result).toBe('Answered on A.');
  });
});

describe('two threads parked at once on one Streamable HTTP MCP connection', () => {
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    child = spawnTs(EVERYTHING_HTTP);
    url = (await waitForOutput(child, /^LISTENING (\S+)$/))[1]!;
  }, 60_000);
  afterAll(async () => {
    child.kill();
    await exited(child);
  });

  it('each question reaches the run whose call asked, and each answer goes back to its own call', { timeout: 60_000 }, async () => {
    const broker = elicitationBroker({ onNotice: () => {} });
    const http = new McpToolset([{ name: 'ev', transport: { type: 'http', url } }], { onElicitation: broker.handler });
    try {
      const httpTools = await http.tools();
      // Each thread's model: call the form tool, then repeat what it returned.
      const model = new ScriptedModel();
      const s = await start({ model, agentOptions: { tools: httpTools }, server: { questions: broker } });
      for (const id of ['call_a', 'call_b'])
        model.respond([{ type: 'tool_use', id, name: 'ev_trigger-elicitation-request', input: {} }], 'tool_use');
      const a = s.client();
      const b = s.client();
      const [firstA, firstB] = await Promise.all([say(a, 'Ask A'), say(b, 'Ask B')]);
      const qa = finished(firstA.events).outcome!.interrupts![0]!;
      const qb = finished(firstB.events).outcome!.interrupts![0]!;
      expect(new Set([qa.toolCallId, qb.toolCallId])).toEqual(new Set(['call_a', 'call_b']));
      model.text('done').text('done');
      const answer = (q: Interrupt, name: string) => ({
        resume: [{ interruptId: q.id, status: 'resolved' as const, payload: { action: 'accept', content: { name } } }],
      });
      const [secondA, secondB] = await Promise.all([
        say(a, null, undefined, answer(qa, 'Alice')),
        say(b, null, undefined, answer(qb, 'Bob')),
      ]);
      const resultA = toolResults(secondA.events)[0]!;
      const resultB = toolResults(secondB.events)[0]!;
      expect(resultA.toolCallId).toBe(qa.toolCallId);
      expect(resultA.content).toContain('Alice');
      expect(resultA.content).not.toContain('Bob');
      expect(resultB.toolCallId).toBe(qb.toolCallId);
      expect(resultB.content).toContain('Bob');
      expect(resultB.content).not.toContain('Alice');
    } finally {
      await http.close();
    }
  });
});
