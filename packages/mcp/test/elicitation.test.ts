/**
 * The two ways a person answers an elicitation: the terminal prompt (the CLI) and the broker
 * (the HTTP server turns each question into an interrupt and answers it later by id), the
 * latter end to end with server-everything.
 */
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ElicitationAnswerError, McpToolset, elicitationBroker, terminalElicitation, type McpElicitationRequest } from '../src/index.js';
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
