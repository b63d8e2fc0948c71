/**
 * Tools: definition, input validation and result normalisation.
 * @module
 */
import type { ToolAnnotations } from '../permissions/annotations.js';
import { type z } from 'zod';
import type { ToolResultContent } from '../messages.js';
import type { Usage } from '../model.js';
import { schemaPair } from './schema-pair.js';

/** What a tool's `execute` may return: text, one or more content items, or any JSON value. */
export type ToolResult = string | ToolResultContent | ToolResultContent[] | Record<string, unknown> | unknown[] | number | boolean | null;

/** The thread state shared by a run's tools and its client (see RunOptions.state). */
export interface ThreadState {
  /** The current state (undefined until someone sets it). */
  get(): unknown;
  /** Replaces the state; the agent emits `state_changed` and stores it with the run. */
  set(next: unknown): void;
  /** Replaces the state with `fn(current)`. */
  update(fn: (current: unknown) => unknown): void;
}

/** Context given to a tool's `execute`. */
export interface ToolContext {
  /** Aborted when the run is cancelled or the tool times out. Long-running tools must honour it. */
  signal: AbortSignal;
  /** The id of this tool call. */
  toolUseId: string;
  /** The session this run belongs to, when the agent has a session store. */
  sessionId?: string;
  /** The thread state (given by agents; absent when a tool is called directly). */
  state?: ThreadState;
  /**
   * Reports progress of a long call (a `tool_progress` agent event; the CLI shows it as status
   * text). Given by agents; absent when a tool is called directly.
   */
  progress?(update: ToolProgress): void;
  /**
   * Adds tokens (and cost) this call spent on a model — an MCP server's sampling request, a
   * sub-agent — to the run's usage and cost (`AgentResult.usage` / `cost`, the `usage` of
   * `run_completed` / `run_interrupted`, the session's totals) and counts them against the run's
   * and session's budgets. A report that takes the run past a budget cancels the calls still in
   * flight (their signals abort) and ends the run with a `BudgetExceededError`, as a model call
   * would, once their results are saved.
   *
   * `costUsd` defaults to the usage priced at the agent's model's catalogue prices (none when
   * they are unknown); pass it when another model was used. Invalid numbers (negative, not
   * finite) throw a TypeError. Reports made after the run ended are ignored. Given by agents;
   * absent when a tool is called directly.
   */
  reportUsage?(usage: Usage, costUsd?: number): void;
}

/** A progress report of a running tool call. */
export interface ToolProgress {
  /** Work done so far (grows with each report). */
  progress: number;
  /** Total work, when known. */
  total?: number;
  message?: string;
}

/** Default time a tool may run before its call becomes an error result. */
export const DEFAULT_TOOL_TIMEOUT_MS = 120_000;

/** A tool the agent can call. Create one with {@link tool}. */
export interface Tool<Input = unknown> {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the input (type object). */
  readonly inputSchema: Record<string, unknown>;
  /** Per-call timeout in ms (default {@link DEFAULT_TOOL_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  /**
   * Safe to run again (idempotent or read-only): a call cut off by a crash runs again when the
   * run is resumed. Other calls cut off by a crash get an "interrupted" error result instead.
   */
  readonly retrySafe?: boolean;
  /** Hints about the tool's behaviour (MCP tool annotations), seen by permission rules with `annotations`. */
  readonly annotations?: ToolAnnotations;
  /** Validates raw model input; returns the parsed input or a message naming what is wrong. */
  validate(input: unknown): { ok: true; value: Input } | { ok: false; error: string };
  execute(input: Input, ctx: ToolContext): Promise<ToolResult> | ToolResult;
  /** Optional short, human-readable rendering of a call's input for UIs. */
  formatInput?(input: Input): string;
}

/** Options of {@link tool}. `input` is a zod schema or a JSON Schema object. */
export interface ToolOptions<S> {
  name: string;
  description: string;
  input: S;
  timeoutMs?: number;
  /** See {@link Tool.retrySafe}. */
  retrySafe?: boolean;
  execute(input: S extends z.ZodType ? z.output<S> : Record<string, unknown>, ctx: ToolContext): Promise<ToolResult> | ToolResult;
  formatInput?(input: S extends z.ZodType ? z.output<S> : Record<string, unknown>): string;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Thrown when a tool definition is invalid (bad name, schema that is not an object). */
export class ToolDefinitionError extends Error {
  override name = 'ToolDefinitionError';
}

/** Name of the JSON type of a value, as the model would understand it. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function formatZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length ? issue.path.join('.') : '(input)';
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Defines a tool. The model's input is validated against `input` before `execute` runs;
 * invalid input is returned to the model as an error result and the run goes on.
 *
 * @example
 * const add = tool({
 *   name: 'add', description: 'Adds two numbers',
 *   input: z.object({ a: z.number(), b: z.number() }),
 *   execute: ({ a, b }) => String(a + b),
 * });
 */
export function tool<S extends z.ZodType | Record<string, unknown>>(
  options: ToolOptions<S>,
): Tool<S extends z.ZodType ? z.output<S> : Record<string, unknown>> {
  type In = S extends z.ZodType ? z.output<S> : Record<string, unknown>;
  if (!TOOL_NAME.test(options.name)) {
    throw new ToolDefinitionError(`Tool name "${options.name}" is invalid: use 1-64 letters, digits, '_' or '-'.`);
  }
  let schema: z.ZodType;
  let inputSchema: Record<string, unknown>;
  try {
    ({ validator: schema, jsonSchema: inputSchema } = schemaPair(options.input, 'input'));
  } catch (error) {
    throw new ToolDefinitionError(
      `Tool "${options.name}" has a JSON Schema that cannot be used for validation: ${(error as Error).message}`,
    );
  }
  if (inputSchema.type !== 'object') {
    throw new ToolDefinitionError(
      `Tool "${options.name}": the input schema must describe an object (got type ${JSON.stringify(inputSchema.type)}).`,
    );
  }
  return {
    name: options.name,
    description: options.description,
    inputSchema,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.retrySafe !== undefined ? { retrySafe: options.retrySafe } : {}),
    validate(input: unknown) {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        const hint =
          typeof input === 'string'
            ? ` (the input was not valid JSON: ${JSON.stringify(input.slice(0, 120))}). Send the input again as a complete JSON object.`
            : '';
        return { ok: false, error: `Tool input must be a JSON object, got: ${jsonTypeName(input)}${hint}` };
      }
      const parsed = schema.safeParse(input);
      if (!parsed.success) return { ok: false, error: `Invalid input for tool "${options.name}": ${formatZodError(parsed.error)}` };
      return { ok: true, value: parsed.data as In };
    },
    execute: options.execute,
    ...(options.formatInput ? { formatInput: options.formatInput } : {}),
  };
}

/** Helpers to build tool results explicitly. */
export const toolResult = {
  text: (text: string): ToolResultContent => ({ type: 'text', text }),
  json: (value: unknown): ToolResultContent => ({ type: 'json', value }),
  image: (mediaType: string, data: Uint8Array | string): ToolResultContent => ({ type: 'image', mediaType, data }),
  document: (mediaType: string, data: Uint8Array | string, name?: string): ToolResultContent => ({
    type: 'document',
    mediaType,
    data,
    ...(name !== undefined ? { name } : {}),
  }),
};

const CONTENT_TYPES = new Set(['text', 'json', 'image', 'document']);

function isContent(value: unknown): value is ToolResultContent {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    CONTENT_TYPES.has((value as { type?: unknown }).type as string) &&
    ((value as { type: string }).type !== 'text' || typeof (value as { text?: unknown }).text === 'string')
  );
}

/** Normalises what a tool returned into content items. */
export function normalizeToolResult(result: ToolResult): ToolResultContent[] {
  if (typeof result === 'string') return [{ type: 'text', text: result }];
  if (result === undefined) return [{ type: 'text', text: '' }];
  if (isContent(result)) return [result];
  if (Array.isArray(result) && result.length > 0 && result.every(isContent)) return result as ToolResultContent[];
  return [{ type: 'json', value: result }];
}
