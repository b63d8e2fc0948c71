/**
 * The pure parts of the CLI's MCP side: reading form fields, the per-server settings, words and
 * `@server:uri` mentions of a command line, the browser command, Tab completion, the question
 * broker and the progress label.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { browserCommand } from '../src/mcp/browser.js';
import { ScriptedModel } from '@mixtape/core/testing';
import { cliServerSettings, SamplingLedger, sharedClientOptions, withCallSignal } from '../src/mcp/client-options.js';
import { choicesOf, defaultOf, fieldHint, parseField, showValue, type FormField } from '../src/mcp/form.js';
import { describeSampling, RegionQuestions } from '../src/mcp/questions.js';
import type { Region } from '../src/render/live.js';
import { createTheme } from '../src/render/theme.js';
import { TurnKeys } from '../src/repl/keys.js';
import { McpUi } from '../src/mcp/ui.js';
import { progressLabel, withExtraUsage } from '../src/render/turn-view.js';
import { resourceMentions, splitWords } from '../src/repl/mcp-commands.js';
import { completeCommand } from '../src/repl/repl.js';
import { tempProject } from './helpers.js';

describe('elicitation form fields', () => {
  const pets: FormField = { type: 'string', enum: ['pet-1', 'pet-2'], enumNames: ['Cats', 'Dogs'], default: 'pet-1' };
  const heroes: FormField = {
    type: 'string',
    oneOf: [
      { const: 'h1', title: 'Superman' },
      { const: 'h2', title: 'Wonder Woman' },
    ],
  };
  const fish: FormField = {
    type: 'array',
    minItems: 1,
    maxItems: 2,
    items: {
      anyOf: [
        { const: 'f1', title: 'Tuna' },
        { const: 'f2', title: 'Salmon' },
        { const: 'f3', title: 'Trout' },
      ],
    },
  };

  it('reads choices by number, value or label, and several choices separated by commas', () => {
    expect(parseField('2', pets)).toEqual({ ok: true, value: 'pet-2' });
    expect(parseField('cats', pets)).toEqual({ ok: true, value: 'pet-1' });
    expect(parseField('h2', heroes)).toEqual({ ok: true, value: 'h2' });
    expect(parseField('wonder woman', heroes)).toEqual({ ok: true, value: 'h2' });
    expect(parseField('3', heroes)).toEqual({ ok: false, error: 'choose 1 to 2' });
    expect(parseField('1, Salmon', fish)).toEqual({ ok: true, value: ['f1', 'f2'] });
    expect(parseField('1,2,3', fish)).toEqual({ ok: false, error: 'choose at most 2' });
    expect(parseField('Carp', fish)).toEqual({ ok: false, error: "'Carp' is not one of the choices" });
    expect(choicesOf(pets)).toEqual([
      { value: 'pet-1', label: 'Cats' },
      { value: 'pet-2', label: 'Dogs' },
    ]);
    expect(showValue(['f1', 'f3'], fish)).toBe('Tuna, Trout');
    expect(fieldHint(fish)).toBe('1. Tuna  2. Salmon  3. Trout  (several: 1,3)');
  });

  it('checks booleans, numbers in range, whole numbers and the email, uri and date formats', () => {
    expect(parseField('Yes', { type: 'boolean' })).toEqual({ ok: true, value: true });
    expect(parseField('n', { type: 'boolean' })).toEqual({ ok: true, value: false });
    expect(parseField('maybe', { type: 'boolean' })).toEqual({ ok: false, error: 'answer y or n' });
    expect(parseField('42', { type: 'integer', minimum: 1, maximum: 100 })).toEqual({ ok: true, value: 42 });
    expect(parseField('4.2', { type: 'integer' })).toEqual({ ok: false, error: 'enter a whole number' });
    expect(parseField('1001', { type: 'number', maximum: 1000 })).toEqual({ ok: false, error: 'at most 1000' });
    expect(parseField('ada@example.org', { type: 'string', format: 'email' })).toEqual({ ok: true, value: 'ada@example.org' });
    expect(parseField('ada', { type: 'string', format: 'email' }).ok).toBe(false);
    expect(parseField('https://example.org', { type: 'string', format: 'uri' }).ok).toBe(true);
    expect(parseField('1815-12-10', { type: 'string', format: 'date' }).ok).toBe(true);
    expect(parseField('10/12/1815', { type: 'string', format: 'date' }).ok).toBe(false);
    expect(parseField('x'.repeat(3000), { type: 'string' }).ok).toBe(false);
  });

  it('uses a default only when it is a value the server accepts', () => {
    expect(defaultOf(pets)).toBe('pet-1');
    expect(defaultOf({ type: 'array', default: ['Guitar'] })).toEqual(['Guitar']);
    expect(defaultOf({ type: 'string', default: { odd: true } })).toBeUndefined();
  });
});

describe('per-server settings of the config', () => {
  it('reads sampling rules and OAuth settings, naming bad values and keeping the defaults', () => {
    const { settings, problems } = cliServerSettings({
      a: { command: 'x', sampling: 'allow' },
      b: { url: 'http://127.0.0.1:1/mcp', oauth: { callbackPort: 4000, scope: 'mcp' } },
      c: { url: 'http://127.0.0.1:1/mcp', oauth: false, sampling: 'sometimes' },
      d: { command: 'x', oauth: { callbackPort: 70_000 } },
    });
    expect(settings.get('a')).toEqual({ sampling: 'allow', oauth: {} });
    expect(settings.get('b')).toEqual({ sampling: 'ask', oauth: { callbackPort: 4000, scope: 'mcp' } });
    expect(settings.get('c')).toEqual({ sampling: 'ask', oauth: false });
    expect(problems).toEqual([
      'mcpServers.c.sampling: expected "allow", "ask" or "deny", got "sometimes" (using "ask").',
      'mcpServers.d.oauth.callbackPort: expected a port number, got 70000.',
    ]);
    expect(
      cliServerSettings([{ name: 'e', transport: { type: 'stdio', command: 'x' }, sampling: 'deny' }]).settings.get('e')?.sampling,
    ).toBe('deny');
  });

  it('the sampling ledger hands over what no run counted, once', () => {
    const ledger = new SamplingLedger();
    ledger.add({ inputTokens: 10, outputTokens: 2 }, 0.5);
    ledger.add({ inputTokens: 5, outputTokens: 1 }, undefined);
    expect(ledger.take()).toEqual({ usage: { inputTokens: 15, outputTokens: 3 }, costUsd: 0.5 });
    expect(ledger.take()).toEqual({ usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0 });
    expect(
      withExtraUsage({ usage: { inputTokens: 1, outputTokens: 1 } }, { usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0 }),
    ).toEqual({
      usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
  });
});

describe('command-line words and resource mentions', () => {
  it('splits on spaces, keeping quoted spaces; finds @server:uri of known servers only', () => {
    expect(splitWords(`city="New York" state='N Y' x=`)).toEqual(['city=New York', 'state=N Y', 'x=']);
    expect(splitWords('  a   b ')).toEqual(['a', 'b']);
    expect(splitWords('""')).toEqual(['']);
    expect(resourceMentions('see @ev:demo://a/1, and @other:x and mail@ev:no', ['ev'])).toEqual([{ server: 'ev', uri: 'demo://a/1' }]);
    expect(resourceMentions('@ev:file:///tmp/a.md. @ev:file:///tmp/a.md', ['ev'])).toEqual([{ server: 'ev', uri: 'file:///tmp/a.md' }]);
  });

  it('completes slash commands and MCP prompt commands with Tab, nothing else', () => {
    expect(completeCommand('/ev', ['exit', 'help'], ['/everything:simple-prompt', '/everything:args-prompt'])).toEqual([
      ['/everything:simple-prompt', '/everything:args-prompt'],
      '/ev',
    ]);
    expect(completeCommand('/he', ['exit', 'help'], [])).toEqual([['/help'], '/he']);
    expect(completeCommand('hello /he', ['help'], [])).toEqual([[], 'hello /he']);
  });
});

describe('the browser command', () => {
  it('takes $BROWSER (with %s or the URL appended), else xdg-open/open on the PATH, else none', () => {
    const dir = tempProject();
    const tool = (name: string) => {
      const file = path.join(dir, name);
      writeFileSync(file, '#!/bin/sh\n');
      chmodSync(file, 0o755);
      return file;
    };
    const firefox = tool('firefox');
    const xdg = tool('xdg-open');
    const url = 'http://127.0.0.1:1/authorize?x=1';
    expect(browserCommand(url, { PATH: dir, BROWSER: 'firefox' })).toEqual([firefox, url]);
    expect(browserCommand(url, { PATH: dir, BROWSER: 'nothere:firefox --new-tab %s' })).toBeUndefined();
    expect(browserCommand(url, { PATH: dir, BROWSER: 'firefox --new-tab %s' })).toEqual([firefox, '--new-tab', url]);
    expect(browserCommand(url, { PATH: dir }, 'linux')).toEqual([xdg, url]);
    expect(browserCommand(url, { PATH: dir }, 'darwin')).toBeUndefined();
    expect(browserCommand(url, { PATH: '' }, 'linux')).toBeUndefined();
  });
});

describe('questions and notices', () => {
  it('asks one question at a time, lends askers and notice sinks, and falls back when none is lent', async () => {
    const fallback: string[] = [];
    const ui = new McpUi((text) => fallback.push(text));
    ui.notice('before');
    const lent: string[] = [];
    const give = ui.lendNotices((text, level) => lent.push(`${level}:${text}`));
    ui.notice('during', 'warn');
    give();
    ui.notice('after');
    expect(fallback).toEqual(['before', 'after']);
    expect(lent).toEqual(['warn:during']);

    const order: string[] = [];
    let release!: () => void;
    const first = ui.one(async () => {
      order.push('first asked');
      await new Promise<void>((r) => (release = r));
      order.push('first answered');
    });
    const second = ui.one(async () => void order.push('second asked'));
    await Promise.resolve();
    expect(order).toEqual(['first asked']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first asked', 'first answered', 'second asked']);
    expect(ui.asker).toBeUndefined();
  });

  it('describes a sampling request: server, model, token limit, system prompt, the last messages', () => {
    const lines = describeSampling(
      {
        maxTokens: 50,
        systemPrompt: 'Be brief.',
        messages: Array.from({ length: 8 }, (_, i) => ({ role: 'user' as const, content: { type: 'text' as const, text: `m${i}` } })),
      },
      'ev',
      'Claude',
    );
    expect(lines[0]).toBe("MCP server 'ev' asks to use the model Claude (up to 50 output tokens):");
    expect(lines[1]).toBe('  system: Be brief.');
    expect(lines[2]).toBe('  (2 earlier messages not shown)');
    expect(lines.at(-1)).toBe('  user: m7');
  });

  it('labels progress with the message, the steps and the percentage', () => {
    expect(progressLabel({ name: 'ev_long', progress: 2, total: 3 })).toBe('running ev_long: (2/3, 67%)');
    expect(progressLabel({ name: 'ev_long', progress: 7, message: 'indexing' })).toBe('running ev_long: indexing (7)');
  });
});

describe('what the CLI offers servers (sharedClientOptions)', () => {
  function setup(sampling: 'allow' | 'ask' | 'deny') {
    const notices: string[] = [];
    const ui = new McpUi((text, level) => notices.push(`${level}: ${text}`));
    const ledger = new SamplingLedger();
    const model = new ScriptedModel({ modelId: 'scripted' });
    const cwd = tempProject();
    const options = sharedClientOptions({
      ui,
      model,
      root: () => cwd,
      settings: new Map([['ev', { sampling, oauth: {} }]]),
      ledger,
      env: {},
      cwd,
    });
    return { notices, ui, ledger, model, options, cwd };
  }
  const ctx = { server: 'ev', signal: new AbortController().signal };
  const request = { messages: [{ role: 'user' as const, content: { type: 'text' as const, text: 'Hi?' } }], maxTokens: 20 };

  it('sampling: "deny" and "ask" with nobody to ask refuse without the model; "allow" runs it and counts what no run counted', async () => {
    const denied = setup('deny');
    await expect(denied.options.onSampling!(request, ctx)).rejects.toThrow(/refused: sampling is denied by the configuration of 'ev'/);
    const nobody = setup('ask');
    await expect(nobody.options.onSampling!(request, ctx)).rejects.toThrow(/nobody can approve/);
    expect(nobody.notices.at(-1)).toMatch(/^warn: MCP server 'ev' asked to use the model; refused/);
    expect(denied.model.requests.length + nobody.model.requests.length).toBe(0);

    const allowed = setup('allow');
    allowed.model.text('Hello.', { usage: { inputTokens: 7, outputTokens: 2 } });
    const answer = await allowed.options.onSampling!(request, ctx);
    expect(answer.content).toEqual({ type: 'text', text: 'Hello.' });
    expect(allowed.ledger.take().usage).toEqual({ inputTokens: 7, outputTokens: 2 });
    expect(allowed.notices.at(-1)).toBe('dim: ev: sampling on scripted used 7 in · 2 out');
  });

  it('sampling "ask" goes to the lent asker; elicitation without one is declined with a note', async () => {
    const { options, ui, model, notices } = setup('ask');
    const asked: string[] = [];
    const give = ui.lendAsker({
      elicit: () => Promise.resolve({ action: 'accept', content: {} }),
      approveSampling: (r) => {
        asked.push(JSON.stringify(r.messages));
        return Promise.resolve({ approved: false, reason: 'not today' });
      },
    });
    await expect(options.onSampling!(request, ctx)).rejects.toThrow(/not today/);
    expect(asked).toHaveLength(1);
    expect(await options.onElicitation!({ message: 'Name?', requestedSchema: { type: 'object', properties: {} } }, ctx)).toEqual({
      action: 'accept',
      content: {},
    });
    give();
    expect(await options.onElicitation!({ mode: 'url', message: 'Pay', url: 'https://example.org/pay', elicitationId: 'e1' }, ctx)).toEqual(
      {
        action: 'decline',
      },
    );
    expect(notices.at(-1)).toBe(
      "warn: MCP server 'ev' asked to open https://example.org/pay (Pay); declined: nobody can answer here (run mixtape in a terminal to answer).",
    );
    expect(model.requests).toHaveLength(0);
  });

  it('sampling answered "a" (until mixtape exits) is not asked again for that server', async () => {
    const { options, ui, model, notices } = setup('ask');
    let asked = 0;
    ui.lendAsker({
      elicit: () => Promise.resolve({ action: 'decline' }),
      approveSampling: () => {
        asked++;
        return Promise.resolve('session');
      },
    });
    model.text('One.').text('Two.');
    expect((await options.onSampling!(request, ctx)).content).toEqual({ type: 'text', text: 'One.' });
    expect((await options.onSampling!(request, ctx)).content).toEqual({ type: 'text', text: 'Two.' });
    expect(asked).toBe(1);
    expect(notices).toContain("dim: MCP server 'ev' uses the model (up to 20 tokens; you allowed it until mixtape exits).");
  });

  it('logs go to the debug log; warnings and worse are also shown, dimmed; the root is the folder', async () => {
    const { options, notices, cwd } = setup('ask');
    options.onLog!({ server: 'ev', level: 'info', logger: 'core', data: 'quiet line' });
    options.onLog!({ server: 'ev', level: 'error', data: { detail: 'loud line' } });
    expect(notices).toEqual(['dim: [mcp ev] error: {"detail":"loud line"}']);
    const log = readFileSync(path.join(cwd, '.mixtape/debug.log'), 'utf8');
    expect(log).toContain('[mcp ev] info core: quiet line');
    expect(log).toContain('[mcp ev] error: {"detail":"loud line"}');
    const roots = options.roots as () => { uri: string; name?: string }[];
    expect(roots()).toEqual([{ uri: cwd, name: path.basename(cwd) }]);
  });
});

describe('withCallSignal', () => {
  it('a question ends when the request is cancelled or when the tool call that needed it ends', () => {
    const request = new AbortController();
    const plain = { server: 'ev', signal: request.signal };
    expect(withCallSignal(plain)).toBe(plain);

    const call = new AbortController();
    const tied = withCallSignal({ ...plain, call: { signal: call.signal, toolUseId: 'c1' } });
    expect(tied.signal.aborted).toBe(false);
    call.abort(new Error('timed out'));
    expect(tied.signal.aborted).toBe(true);
    expect((tied.signal.reason as Error).message).toBe('timed out');

    const other = new AbortController();
    const byRequest = withCallSignal({
      server: 'ev',
      signal: other.signal,
      call: { signal: new AbortController().signal, toolUseId: 'c2' },
    });
    other.abort();
    expect(byRequest.signal.aborted).toBe(true);
  });
});

describe('RegionQuestions (the live region and the turn keys, faked)', () => {
  function harness() {
    const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input }) as unknown as NodeJS.ReadStream;
    const keys = new TurnKeys(input);
    keys.start();
    const printed: string[] = [];
    const question: string[] = [];
    const region: Region = {
      spin: () => undefined,
      stopSpinner: () => undefined,
      setPreview: () => undefined,
      setQuestion: (text) => void question.push(text),
      setStall: () => undefined,
      print: (text) => void printed.push(text),
      clear: () => undefined,
    };
    const opened: string[] = [];
    const questions = new RegionQuestions({
      region,
      keys,
      theme: createTheme({ isTTY: false }),
      model: 'M',
      openUrl: (u) => void opened.push(u),
    });
    const press = (...typed: string[]) => {
      for (const t of typed) input.emit('keypress', t, { name: t === '\r' ? 'return' : t === '\x1b' ? 'escape' : t, sequence: t });
    };
    return { questions, press, printed, question, opened, keys };
  }
  const ctx = { server: 'ev', signal: new AbortController().signal };

  it('a form: a required field, a choice by number, a default kept, an optional field left out', async () => {
    const h = harness();
    const answer = h.questions.elicit(
      {
        message: 'Who?',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', title: 'Name' },
            pet: { type: 'string', enum: ['cat', 'dog'] },
            size: { type: 'integer', default: 3 },
            note: { type: 'string' },
          },
          required: ['name'],
        },
      },
      ctx,
    );
    h.press('\r');
    expect(h.question.at(-1)).toContain('this field is required');
    h.press(...'Ada', '\r', '2', '\r', '\r', '\r');
    expect(await answer).toEqual({ action: 'accept', content: { name: 'Ada', pet: 'dog', size: 3 } });
    expect(h.question.at(-1)).toBe('');
    expect(h.printed.at(-1)).toContain('ev asked: Who? — answered (3 of 4 fields)');
  });

  it('nothing to fill in is still a question (y accepts, n declines); a URL opens only on y; the end of the turn withdraws a question', async () => {
    const h = harness();
    const confirm = h.questions.elicit({ message: 'Proceed?', requestedSchema: { type: 'object', properties: {} } }, ctx);
    h.press('n');
    expect(await confirm).toEqual({ action: 'decline' });
    expect(h.printed.at(-1)).toContain('ev asked: Proceed? — declined');

    const url = { mode: 'url' as const, message: 'Pay', url: 'https://example.org/pay', elicitationId: 'e1' };
    const self = h.questions.elicit(url, ctx);
    h.press('s');
    expect(await self).toEqual({ action: 'accept' });
    expect(h.opened).toEqual([]);
    const open = h.questions.elicit(url, ctx);
    h.press('y');
    expect(await open).toEqual({ action: 'accept' });
    expect(h.opened).toEqual(['https://example.org/pay']);

    const pending = h.questions.approveSampling({ messages: [], maxTokens: 5 }, ctx);
    h.questions.close();
    expect(await pending).toEqual({ approved: false, reason: 'the request was cancelled' });
    expect(await h.questions.elicit(url, ctx)).toEqual({ action: 'cancel' });
  });
});
