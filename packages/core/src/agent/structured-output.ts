/**
 * Structured output: a run's final answer as a typed, validated value (`agent.run(prompt,
 * { output: schema })` → `result.output`). The schema goes to the provider's native mechanism
 * (see ModelRequest.output); the answer's text is parsed and validated here, a bounded number of
 * repair turns tell the model what was wrong, and partial objects stream while it writes.
 * @module
 */
import { type z } from 'zod';
import { partialJson } from '../lazy-require.js';
import type { OutputSpec } from '../model.js';
import { isZodSchema, schemaPair } from '../tools/schema-pair.js';
import { AgentError } from './errors.js';

/** Repair turns after an answer that does not match the schema, before a {@link StructuredOutputError}. */
export const DEFAULT_OUTPUT_REPAIRS = 1;
/** Schema name sent to providers when none is given. */
export const DEFAULT_OUTPUT_NAME = 'final_answer';
/** Longest answer text parsed as partial JSON while streaming; longer answers stream no partials. */
export const DEFAULT_MAX_PARTIAL_OUTPUT_CHARS = 1_000_000;

/** A zod schema or a JSON Schema object. */
export type OutputSchema = z.ZodType | Record<string, unknown>;

/** `RunOptions.output`: a schema, or a schema with a name, description and repair budget. */
export type OutputOption = OutputSchema | { schema: OutputSchema; name?: string; description?: string; maxRepairs?: number };

/** The value type a run's `output` option produces. */
export type OutputOf<O> = O extends z.ZodType
  ? z.output<O>
  : O extends { schema: infer S }
    ? S extends z.ZodType
      ? z.output<S>
      : unknown
    : unknown;

/** A final answer that still did not match the schema after the repair turns. */
export class StructuredOutputError extends AgentError {
  override readonly name = 'StructuredOutputError';
  constructor(
    /** What was wrong, one line per problem (`path: message`). */
    readonly issues: string[],
    /** The model's last answer text. */
    readonly text: string,
    repairs: number,
  ) {
    super(
      'output',
      `The final answer did not match the output schema${repairs ? ` after ${repairs} repair turn${repairs > 1 ? 's' : ''}` : ''}: ${issues.join('; ')}. Simplify the schema, describe its fields, or raise maxRepairs.`,
    );
  }
}

/** An output option resolved for one run. */
export interface ResolvedOutput {
  spec: OutputSpec;
  maxRepairs: number;
  /** Parses and validates an answer's text. */
  check(text: string): { ok: true; value: unknown } | { ok: false; issues: string[] };
}

/** Resolves `RunOptions.output`; a JSON Schema that zod cannot read is an AgentError 'config'. */
export function resolveOutput(option: OutputOption): ResolvedOutput {
  const wrapped = !isZodSchema(option) && 'schema' in option && !('type' in option) && !('properties' in option);
  const o = wrapped ? (option as { schema: OutputSchema; name?: string; description?: string; maxRepairs?: number }) : { schema: option };
  let validator: z.ZodType;
  let schema: Record<string, unknown>;
  try {
    ({ validator, jsonSchema: schema } = schemaPair(o.schema, 'output'));
  } catch (error) {
    throw new AgentError(
      'config',
      `The output JSON Schema cannot be used for validation: ${(error as Error).message}. Pass a zod schema or a plain JSON Schema object.`,
      { cause: error },
    );
  }
  const spec: OutputSpec = {
    name: o.name ?? DEFAULT_OUTPUT_NAME,
    schema,
    ...(o.description !== undefined ? { description: o.description } : {}),
  };
  return {
    spec,
    maxRepairs: Math.max(0, o.maxRepairs ?? DEFAULT_OUTPUT_REPAIRS),
    check(text) {
      const json = answerJson(text);
      if (!json.ok) return { ok: false, issues: [json.issue] };
      const parsed = validator.safeParse(json.value);
      if (parsed.success) return { ok: true, value: parsed.data };
      return { ok: false, issues: parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(answer)'}: ${i.message}`) };
    },
  };
}

/**
 * The JSON value of an answer: the whole text, or the body of a ```json fence, or the text from
 * the first `{`/`[` to the last `}`/`]` (models sometimes add a sentence around it).
 */
export function answerJson(text: string): { ok: true; value: unknown } | { ok: false; issue: string } {
  const candidates = [text.trim()];
  const fence = /```(?:json)?\s*\n([\s\S]*?)\n?```/.exec(text);
  if (fence?.[1]) candidates.push(fence[1].trim());
  const start = text.search(/[[{]/);
  const end = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  if (start >= 0 && end > start) candidates.push(text.slice(start, end + 1));
  for (const c of candidates) {
    try {
      return { ok: true, value: JSON.parse(c) };
    } catch {
      // Not this candidate: try the next way of finding the JSON.
    }
  }
  return { ok: false, issue: `the answer is not JSON (it starts with ${JSON.stringify(text.slice(0, 60))})` };
}

/** The user message of a repair turn. */
export function repairPrompt(issues: string[]): string {
  return `Your answer does not match the required output schema:\n${issues.map((i) => `- ${i}`).join('\n')}\nReply with only the corrected JSON value, nothing else.`;
}

/**
 * Partial objects of an answer being streamed. Parsing is throttled so that the total work stays
 * linear in the answer's length: a new parse happens only when the text has grown by a quarter
 * since the last one (and by at least 16 characters).
 */
export class PartialOutputReader {
  private text = '';
  private parsedAt = 0;
  private last = '';

  /** Adds a text delta; returns a new partial value when one can be shown, else undefined. */
  push(delta: string): unknown {
    this.text += delta;
    const n = this.text.length;
    if (n > DEFAULT_MAX_PARTIAL_OUTPUT_CHARS || n - this.parsedAt < Math.max(16, this.parsedAt / 4)) return undefined;
    this.parsedAt = n;
    const start = this.text.search(/[[{]/);
    if (start < 0) return undefined;
    let value: unknown;
    try {
      const { Allow, parse } = partialJson();
      value = parse(this.text.slice(start), Allow.ALL);
    } catch {
      // Not JSON (yet, or at all): nothing to show for this delta.
      return undefined;
    }
    const serialised = JSON.stringify(value);
    if (serialised === this.last) return undefined;
    this.last = serialised;
    return value;
  }
}
