/**
 * The two ways a person answers an elicitation: the terminal prompt (the CLI) and the broker
 * (the HTTP server turns each question into an interrupt and answers it later by id), the
 * latter end to end with server-everything.
 */
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ElicitationAnswerError,
  MCP_ELICITATION_REASON,
  MCP_SAMPLING_REASON,
  McpToolset,
  elicitationBroker,
  terminalElicitation,
  type McpElicitationRequest,
  type McpQuestion,
} from '../src/index.js';
import { byName, runTool } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../node_modules/.bin/mcp-server-everything', import.meta.url));

/** A terminal whose "person" types the next answer each time a question ends with ': ' or '] '. */
function scriptedTerminal(answers: string[]) {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => {
    shown += chunk.toString('utf8');
    if (/(: |\] )$/.test(shown) && answers.length) input.write(`${answers.shift()}\n`);
  });
  return { input, output, shown: () => shown };
}

const ctx = { server: 'srv', signal: new AbortController().signal };

describe('terminalElicitation', () => {
  const form: McpElicitationRequest = {
    mode: 'form',
    message: 'Who are you?',
    requestedSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', title: 'Name' },
        age: { type: 'integer' },
        ok: { type: 'boolean' },
        color: { type: 'string', enum: ['red', 'blue'] },
        note: { type: 'string', default: 'none' },
      },
      required: ['name', 'age'],
    },
  };

  it('asks field by field, re-asks a bad value, keeps defaults, and accepts', async () => {
    const term = scriptedTerminal(['Ada', 'old', '36', 'yes', '2', '']);
    const result = await terminalElicitation(term)(form, ctx);
    expect(result).toEqual({ action: 'accept', content: { name: 'Ada', age: 36, ok: true, color: 'blue', note: 'none' } });
    expect(term.shown()).toContain("MCP server 'srv' asks: Who are you?");
    expect(term.shown()).toContain('enter a whole number');
  });

  it('an empty required field declines; :cancel cancels', async () => {
    expect(await terminalElicitation(scriptedTerminal(['']))(form, ctx)).toEqual({ action: 'decline' });
    expect(await terminalElicitation(scriptedTerminal(['Ada', ':cancel']))(form, ctx)).toEqual({ action: 'cancel' });
  });

  it('URL mode shows the host and the URL, and accepts only on yes', async () => {
    const url: McpElicitationRequest = {
      mode: 'url',
      message: 'Sign the consent',
      url: 'https://consent.example.org/x',
      elicitationId: 'e',
    };
    const opened: string[] = [];
    const yes = scriptedTerminal(['y']);
    expect(await terminalElicitation({ ...yes, openUrl: (u) => void opened.push(u) })(url, ctx)).toEqual({ action: 'accept' });
    expect(yes.shown()).toContain('a page on consent.example.org');
    expect(opened).toEqual(['https://consent.example.org/x']);
    expect(await terminalElicitation(scriptedTerminal(['n']))(url, ctx)).toEqual({ action: 'decline' });
  });
});

describe('elicitationBroker', () => {
  it('a server question waits as a pending item until answered by id (server-everything, form mode)', { timeout: 60_000 }, async () => {
    const broker = elicitationBroker({
      onRequest: (pending) => {
        // The host would end the run with an interrupt here; the answer comes back later.
        setImmediate(() =>
          broker.answer(pending.id, { action: 'accept', content: { name: 'Grace', check: true, email: 'grace@example.org' } }),
        );
      },
    });
    const toolset = new McpToolset([{ name: 'ev', transport: { type: 'stdio', command: BIN, args: ['stdio'] } }], {
      onElicitation: broker.handler,
    });
    try {
      const out = JSON.stringify(await runTool(byName(await toolset.tools(), 'ev_trigger-elicitation-request'), {}));
      expect(out).toContain('Grace');
      expect(broker.pending()).toEqual([]);
    } finally {
      await toolset.close();
    }
  });

  it('an unknown id is an error; an aborted request is cancelled and leaves the list', async () => {
    const broker = elicitationBroker();
    expect(() => broker.answer('nope', { action: 'decline' })).toThrow(ElicitationAnswerError);
    const controller = new AbortController();
    const waiting = broker.handler(
      { mode: 'url', message: 'm', url: 'https://x.example', elicitationId: 'e' },
      { server: 's', signal: controller.signal },
    );
    expect(broker.pending()).toHaveLength(1);
    expect(broker.pending()[0]).toMatchObject({ server: 's', request: { url: 'https://x.example' } });
    controller.abort();
    expect(await waiting).toEqual({ action: 'cancel' });
    expect(broker.pending()).toEqual([]);
  });
});

describe('elicitationBroker questions (what the HTTP server turns into interrupts)', () => {
  const form: McpElicitationRequest = {
    mode: 'form',
    message: 'Who are you?',
    requestedSchema: {
      type: 'object',
      properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' } },
      required: ['name'],
    },
  };
  const call = (toolUseId: string, signal = new AbortController().signal) => ({ signal, toolUseId, sessionId: 'session-1' });

  it('offers each question with its run, call, schema and expiry; checks answers against the requested schema', async () => {
    const broker = elicitationBroker();
    const offered: McpQuestion[] = [];
    broker.onQuestion((q) => (offered.push(q), true));
    const deadline = Date.now() + 5_000;
    const waiting = broker.handler(form, { server: 'srv', signal: new AbortController().signal, call: call('call-7'), deadline });
    const q = offered[0]!;
    expect(q).toMatchObject({
      reason: MCP_ELICITATION_REASON,
      sessionId: 'session-1',
      toolCallId: 'call-7',
      message: 'Who are you?',
      metadata: { server: 'srv', mode: 'form', requestedSchema: form.requestedSchema },
    });
    // The call times out before the broker's own limit: the question expires with it.
    expect(Date.parse(q.expiresAt)).toBe(deadline);
    expect(q.check({ action: 'accept', content: { email: 'ada@example.org' } })).toMatch(/name/);
    expect(q.check({ action: 'accept', content: { name: 'Ada', email: 'nope' } })).toMatch(/email/);
    expect(q.check({ action: 'later' })).toMatch(/action must be/);
    expect(q.check({ action: 'decline' })).toBeUndefined();
    expect(() => q.answer({ action: 'accept', content: {} })).toThrow(ElicitationAnswerError);
    q.answer({ action: 'accept', content: { name: 'Ada' } });
    expect(await waiting).toEqual({ action: 'accept', content: { name: 'Ada' } });
    expect(q.signal.aborted).toBe(true);
  });

  it('a question nobody takes is cancelled at once; one whose call ends is withdrawn', async () => {
    const notices: string[] = [];
    const broker = elicitationBroker({ onNotice: (m) => notices.push(m) });
    broker.onQuestion(() => false);
    expect(await broker.handler(form, { server: 'srv', signal: new AbortController().signal })).toEqual({ action: 'cancel' });
    expect(notices[0]).toContain('Nobody could be asked');

    const taken = elicitationBroker();
    let question: McpQuestion | undefined;
    taken.onQuestion((q) => ((question = q), true));
    const ended = new AbortController();
    const waiting = taken.handler(form, { server: 'srv', signal: new AbortController().signal, call: call('call-8', ended.signal) });
    ended.abort();
    expect(await waiting).toEqual({ action: 'cancel' });
    expect(question!.signal.aborted).toBe(true);
  });

  it('sampling approvals: a rule allows or denies; "ask" puts the request to a person as a question', async () => {
    const broker = elicitationBroker();
    const asked: McpQuestion[] = [];
    broker.onQuestion((q) => (asked.push(q), true));
    const request = {
      messages: [{ role: 'user' as const, content: { type: 'text' as const, text: 'Capital of France?' } }],
      maxTokens: 50,
      systemPrompt: 'Be brief.',
    };
    const ctx = { server: 'srv', signal: new AbortController().signal, call: call('call-9') };
    const byRule = broker.approveSampling((r) => (r.maxTokens > 100 ? 'deny' : 'allow'));
    expect(await byRule(request, ctx)).toBe(true);
    expect(await byRule({ ...request, maxTokens: 500 }, ctx)).toEqual({ approved: false, reason: 'a rule refused it' });
    expect(asked).toEqual([]);

    const decision = broker.approveSampling()(request, ctx);
    await Promise.resolve();
    const q = asked[0]!;
    expect(q).toMatchObject({
      reason: MCP_SAMPLING_REASON,
      toolCallId: 'call-9',
      metadata: { server: 'srv', maxTokens: 50, systemPrompt: 'Be brief.', messages: [{ role: 'user', text: 'Capital of France?' }] },
    });
    expect(q.check({ approved: 'yes' })).toMatch(/approved: boolean/);
    q.answer({ approved: false, reason: 'too expensive' });
    expect(await decision).toEqual({ approved: false, reason: 'too expensive' });
  });
});
