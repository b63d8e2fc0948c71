/**
 * The questions MCP servers ask, in the turn's live region with the turn's keys (the same
 * place and keys as tool approvals, so nothing fights the line editor): an elicitation form
 * field by field, a URL to open (only opened after the person says so), and a sampling request
 * to approve (the server, its system prompt, its messages and its token limit are shown).
 * @module
 */
import type { McpElicitationRequest, McpElicitationResult, McpRequestContext, McpSamplingRequest } from '@mixtape/mcp';
import type { Key } from 'node:readline';
import { truncate } from '../render/format.js';
import type { Region } from '../render/live.js';
import type { Theme } from '../render/theme.js';
import { isCtrlC, type TurnKeys } from '../repl/keys.js';
import { defaultOf, fieldHint, type FieldValue, type FormField, MAX_FIELD_CHARS, parseField, showValue } from './form.js';
import type { McpAsker, SamplingDecision } from './ui.js';

const PAST = { accept: 'accepted', decline: 'declined', cancel: 'cancelled' } as const;

/** Characters of each sampling message (and of the system prompt) shown in the question. */
export const MAX_SAMPLING_TEXT_SHOWN = 400;
/** Sampling messages shown in the question (the last ones; earlier ones are counted). */
export const MAX_SAMPLING_MESSAGES_SHOWN = 6;

/** Text of one sampling message's content (text parts; other parts named). */
function contentText(content: McpSamplingRequest['messages'][number]['content']): string {
  const items = Array.isArray(content) ? content : [content];
  return items.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join(' ');
}

/** The lines describing a sampling request (for the question and for tests). */
export function describeSampling(request: McpSamplingRequest, server: string, model: string): string[] {
  const lines = [`MCP server '${server}' asks to use the model ${model} (up to ${request.maxTokens} output tokens):`];
  if (request.systemPrompt) lines.push(`  system: ${truncate(request.systemPrompt, MAX_SAMPLING_TEXT_SHOWN)}`);
  const shown = request.messages.slice(-MAX_SAMPLING_MESSAGES_SHOWN);
  if (shown.length < request.messages.length) lines.push(`  (${request.messages.length - shown.length} earlier messages not shown)`);
  for (const m of shown) lines.push(`  ${m.role}: ${truncate(contentText(m.content), MAX_SAMPLING_TEXT_SHOWN)}`);
  return lines;
}

function printable(text: string | undefined, key: Key): text is string {
  return Boolean(text) && !key.ctrl && !key.meta && !/[\x00-\x1f\x7f]/.test(text!);
}

/** Options of {@link RegionQuestions}. */
export interface RegionQuestionsOptions {
  region: Region;
  keys: TurnKeys;
  theme: Theme;
  /** The model a sampling request would run on (shown). */
  model: string;
  /** Opens a URL in the browser (only after the person said so). */
  openUrl(url: string): void;
}

/** An {@link McpAsker} that asks in the live region of a turn. */
export class RegionQuestions implements McpAsker {
  /** Aborted when the turn ends: a question still open then is withdrawn. */
  readonly #closed = new AbortController();

  constructor(private readonly options: RegionQuestionsOptions) {}

  /** Withdraws open questions (answered as cancelled) and refuses later ones; the turn calls it when it ends. */
  close(): void {
    this.#closed.abort();
  }

  /**
   * Shows `render()` as the question and feeds keys to `onKey` until it calls `done`; Ctrl+C is
   * left to the turn (it cancels the run, which cancels the server's request).
   */
  #ask<T>(
    signal: AbortSignal,
    onAbort: T,
    render: () => string,
    onKey: (text: string | undefined, key: Key, done: (value: T) => void) => void,
  ): Promise<T> {
    const { region, keys } = this.options;
    if (this.#closed.signal.aborted) return Promise.resolve(onAbort);
    region.stopSpinner();
    region.setQuestion(render());
    const closed = this.#closed.signal;
    return new Promise<T>((resolve) => {
      let settled = false;
      const done = (value: T) => {
        if (settled) return;
        settled = true;
        remove();
        signal.removeEventListener('abort', aborted);
        closed.removeEventListener('abort', aborted);
        region.setQuestion('');
        resolve(value);
      };
      const aborted = () => done(onAbort);
      signal.addEventListener('abort', aborted, { once: true });
      closed.addEventListener('abort', aborted, { once: true });
      const remove = keys.push((text, key) => {
        if (isCtrlC(text, key)) return false;
        onKey(text, key, done);
        if (!settled) region.setQuestion(render());
        return true;
      });
      if (signal.aborted) aborted();
    });
  }

  elicit(request: McpElicitationRequest, ctx: McpRequestContext): Promise<McpElicitationResult> {
    return request.mode === 'url' ? this.#url(request, ctx) : this.#form(request, ctx);
  }

  async #url(request: Extract<McpElicitationRequest, { mode: 'url' }>, ctx: McpRequestContext): Promise<McpElicitationResult> {
    const { theme, region } = this.options;
    let host: string;
    try {
      host = new URL(request.url).host;
    } catch {
      region.print(theme.yellow(`  ${theme.sym.warning} MCP server '${ctx.server}' sent a URL that is not valid; declined.`));
      return { action: 'decline' };
    }
    const k = (c: string) => theme.cyan(theme.bold(c));
    const header = `${theme.yellow(theme.sym.question)} ${theme.bold(`MCP server '${ctx.server}' asks you to open a page on ${host}`)}`;
    const body = `  ${request.message}\n  ${theme.underline(request.url)}`;
    const choices = theme.plain
      ? '  Press y to open it in your browser, s if you will open it yourself, n to decline.'
      : `  ${k('y')} open it in my browser  ${k('s')} I will open it myself  ${k('n')} decline`;
    const answer = await this.#ask<'y' | 's' | 'n' | 'abort'>(
      ctx.signal,
      'abort',
      () => `${header}\n${body}\n${choices}`,
      (text, key, done) => {
        const c = text?.toLowerCase();
        if (c === 'y' || c === 's' || c === 'n') done(c);
        else if (key.name === 'escape') done('n');
      },
    );
    if (answer === 'abort') return { action: 'cancel' };
    const mark = answer === 'n' ? theme.red(theme.sym.denied) : theme.green(theme.sym.allowed);
    const what = answer === 'n' ? 'declined' : answer === 'y' ? 'opening in your browser' : 'open it yourself';
    region.print(`  ${mark} ${theme.dim(`${ctx.server}: ${request.url} — ${what}`)}`);
    if (answer === 'n') return { action: 'decline' };
    if (answer === 'y') this.options.openUrl(request.url);
    return { action: 'accept' };
  }

  async #form(
    request: Extract<McpElicitationRequest, { requestedSchema: unknown }>,
    ctx: McpRequestContext,
  ): Promise<McpElicitationResult> {
    const { theme, region } = this.options;
    const properties = (request.requestedSchema.properties ?? {}) as Record<string, FormField>;
    const required = new Set(request.requestedSchema.required ?? []);
    const names = Object.keys(properties);
    const content: Record<string, FieldValue> = {};
    const answered: string[] = [];
    let index = 0;
    let typed = '';
    let error = '';
    const header = `${theme.yellow(theme.sym.question)} ${theme.bold(`MCP server '${ctx.server}' asks:`)} ${request.message}`;
    const help = theme.dim(
      theme.plain
        ? '  Type each answer and press Enter. Enter alone keeps the default or skips an optional field. Escape declines the form.'
        : '  Enter keeps the default (or skips an optional field) · Esc declines the form · Ctrl+C cancels the run',
    );
    const render = () => {
      const name = names[index]!;
      const field = properties[name]!;
      const def = defaultOf(field);
      const label = `${field.title ?? name}${required.has(name) ? ' *' : ''}`;
      // Plain output is written once, in order: the header once, then each answer and the next field.
      const lines = theme.plain ? (index === 0 ? [header, help] : answered.slice(-1)) : [header, help, ...answered];
      lines.push(`  ${theme.bold(label)}${field.description ? theme.dim(` — ${field.description}`) : ''}`);
      lines.push(theme.dim(`    ${fieldHint(field)}${def !== undefined ? ` · default: ${showValue(def, field)}` : ''}`));
      if (error) lines.push(theme.red(`    ${error}`));
      lines.push(`  ${theme.cyan(theme.sym.prompt)} ${typed}`);
      return lines.join('\n');
    };
    if (names.length === 0) {
      // Nothing to fill in: the person still says yes or no to the message (a confirmation).
      const k = (c: string) => theme.cyan(theme.bold(c));
      const choices = theme.plain ? '  Press y to accept, n to decline.' : `  ${k('y')} accept  ${k('n')} decline`;
      const answer = await this.#ask<'accept' | 'decline' | 'cancel'>(
        ctx.signal,
        'cancel',
        () => `${header}\n${choices}`,
        (text, key, done) => {
          const c = text?.toLowerCase();
          if (c === 'y') done('accept');
          else if (c === 'n' || key.name === 'escape') done('decline');
        },
      );
      const mark = answer === 'accept' ? theme.green(theme.sym.allowed) : theme.red(theme.sym.denied);
      region.print(`  ${mark} ${theme.dim(`${ctx.server} asked: ${truncate(request.message, 80)} — ${PAST[answer]}`)}`);
      return answer === 'accept' ? { action: 'accept', content: {} } : { action: answer };
    }
    const outcome = await this.#ask<'accept' | 'decline' | 'cancel'>(ctx.signal, 'cancel', render, (text, key, done) => {
      if (key.name === 'escape') return done('decline');
      if (key.name === 'backspace') {
        typed = typed.slice(0, -1);
        return;
      }
      if (key.name === 'return' || key.name === 'enter') {
        const name = names[index]!;
        const field = properties[name]!;
        const raw = typed.trim();
        let value: FieldValue | undefined;
        if (raw === '') {
          value = defaultOf(field);
          if (value === undefined && required.has(name)) {
            error = 'this field is required (Esc declines the form)';
            return;
          }
        } else {
          const parsed = parseField(raw, field);
          if (!parsed.ok) {
            // The answer is cleared for typing again; the error says what was wrong with it.
            error = `${truncate(raw, 40)}: ${parsed.error}`;
            typed = '';
            return;
          }
          value = parsed.value;
        }
        if (value !== undefined) content[name] = value;
        answered.push(
          theme.dim(`  ${theme.sym.allowed} ${field.title ?? name}: ${value === undefined ? '(left out)' : showValue(value, field)}`),
        );
        typed = '';
        error = '';
        index++;
        if (index >= names.length) done('accept');
        return;
      }
      if (printable(text, key) && typed.length < MAX_FIELD_CHARS) typed += text;
    });
    const mark = outcome === 'accept' ? theme.green(theme.sym.allowed) : theme.red(theme.sym.denied);
    const what = outcome === 'accept' ? `answered (${Object.keys(content).length} of ${names.length} fields)` : PAST[outcome];
    region.print(`  ${mark} ${theme.dim(`${ctx.server} asked: ${truncate(request.message, 80)} — ${what}`)}`);
    return outcome === 'accept' ? { action: 'accept', content } : { action: outcome };
  }

  async approveSampling(request: McpSamplingRequest, ctx: McpRequestContext): Promise<SamplingDecision | 'session'> {
    const { theme, region } = this.options;
    const [first = '', ...rest] = describeSampling(request, ctx.server, this.options.model);
    const k = (c: string) => theme.cyan(theme.bold(c));
    const header = `${theme.yellow(theme.sym.question)} ${theme.bold(first)}\n${rest.map((l) => theme.dim(l)).join('\n')}`;
    const choices = theme.plain
      ? `  Press y to run it on the model (its cost counts in this run), a to allow ${ctx.server}'s sampling until mixtape exits, n to refuse.`
      : `  ${k('y')} run it (its cost counts in this run)  ${k('a')} allow ${ctx.server}'s sampling until mixtape exits  ${k('n')} refuse`;
    const answer = await this.#ask<'y' | 'a' | 'n' | undefined>(
      ctx.signal,
      undefined,
      () => `${header}\n${choices}`,
      (text, key, done) => {
        const c = text?.toLowerCase();
        if (c === 'y' || c === 'a' || c === 'n') done(c);
        else if (key.name === 'escape') done('n');
      },
    );
    if (answer === undefined) return { approved: false, reason: 'the request was cancelled' };
    const mark = answer === 'n' ? theme.red(theme.sym.denied) : theme.green(theme.sym.allowed);
    const what = answer === 'n' ? 'refused' : answer === 'a' ? 'allowed until mixtape exits' : 'allowed';
    region.print(`  ${mark} ${theme.dim(`${ctx.server}: sampling ${what}`)}`);
    region.spin('waiting for the MCP server');
    if (answer === 'n') return { approved: false, reason: 'the person said no' };
    return answer === 'a' ? 'session' : true;
  }
}
