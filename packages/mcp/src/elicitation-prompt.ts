/**
 * The terminal version of elicitation: asks a person, field by field, for what an MCP server
 * requests (form mode), or shows the URL to open (URL mode). The CLI passes it as `onElicitation`.
 * @module
 */
import { createInterface } from 'node:readline/promises';
import type { McpElicitationHandler, McpElicitationRequest, McpElicitationResult } from './client-features.js';

/** Options of {@link terminalElicitation}. */
export interface TerminalElicitationOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Opens a URL (URL mode) in a browser; default: only print it. */
  openUrl?(url: string): void | Promise<void>;
}

type FieldSchema = {
  type?: string;
  title?: string;
  description?: string;
  enum?: unknown[];
  oneOf?: Array<{ const: unknown; title?: string }>;
  default?: unknown;
};

function parseValue(raw: string, schema: FieldSchema): { ok: true; value: unknown } | { ok: false; error: string } {
  const choices = schema.enum ?? schema.oneOf?.map((o) => o.const);
  if (choices) {
    const byIndex = /^\d+$/.test(raw) ? choices[Number(raw) - 1] : undefined;
    const value = byIndex ?? choices.find((c) => String(c) === raw);
    return value === undefined ? { ok: false, error: `choose one of ${choices.map(String).join(', ')}` } : { ok: true, value };
  }
  switch (schema.type) {
    case 'boolean':
      if (/^(y|yes|true)$/i.test(raw)) return { ok: true, value: true };
      if (/^(n|no|false)$/i.test(raw)) return { ok: true, value: false };
      return { ok: false, error: 'answer yes or no' };
    case 'number':
    case 'integer': {
      const n = Number(raw);
      if (raw === '' || !Number.isFinite(n) || (schema.type === 'integer' && !Number.isInteger(n)))
        return { ok: false, error: `enter ${schema.type === 'integer' ? 'a whole number' : 'a number'}` };
      return { ok: true, value: n };
    }
    default:
      return { ok: true, value: raw };
  }
}

/**
 * An elicitation handler that asks in a terminal. Form: one question per field (enter keeps
 * the default; an empty required field declines; `:cancel` cancels). URL: shows the server's
 * message and the URL (its host spelled out), and asks whether the person went there.
 */
export function terminalElicitation(options: TerminalElicitationOptions): McpElicitationHandler {
  return async (request: McpElicitationRequest, ctx): Promise<McpElicitationResult> => {
    const rl = createInterface({ input: options.input, output: options.output, terminal: false });
    const say = (text: string) => options.output.write(`${text}\n`);
    try {
      if (request.mode === 'url') {
        const url = new URL(request.url);
        say(`MCP server '${ctx.server}' asks you to open a page on ${url.host}:\n  ${request.message}\n  ${url.href}`);
        const answer = (await rl.question('Open it and continue? [y/N] ', { signal: ctx.signal })).trim();
        if (!/^y(es)?$/i.test(answer)) return { action: 'decline' };
        await options.openUrl?.(url.href);
        return { action: 'accept' };
      }
      say(`MCP server '${ctx.server}' asks: ${request.message}`);
      const properties = (request.requestedSchema.properties ?? {}) as Record<string, FieldSchema>;
      const required = new Set(request.requestedSchema.required ?? []);
      const content: Record<string, string | number | boolean | string[]> = {};
      for (const [name, schema] of Object.entries(properties)) {
        const choices = schema.enum ?? schema.oneOf?.map((o) => o.const);
        const label = `${schema.title ?? name}${schema.description ? ` (${schema.description})` : ''}`;
        if (choices) say(choices.map((c, i) => `  ${i + 1}. ${String(c)}`).join('\n'));
        for (;;) {
          const def = schema.default !== undefined ? ` [${String(schema.default)}]` : '';
          const raw = (await rl.question(`${label}${required.has(name) ? '' : ' (optional)'}${def}: `, { signal: ctx.signal })).trim();
          if (raw === ':cancel') return { action: 'cancel' };
          if (raw === '') {
            if (schema.default !== undefined) content[name] = schema.default as string;
            else if (required.has(name)) return { action: 'decline' };
            break;
          }
          const parsed = parseValue(raw, schema);
          if (parsed.ok) {
            content[name] = parsed.value as string;
            break;
          }
          say(`  ${parsed.error}`);
        }
      }
      return { action: 'accept', content };
    } finally {
      rl.close();
    }
  };
}
