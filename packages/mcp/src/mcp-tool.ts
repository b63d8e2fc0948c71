/**
 * `McpTool`: one tool of an MCP server as a Mixtape {@link Tool}.
 * @module
 */
import {
  describeAnnotations,
  jsonTypeName,
  type Tool,
  type ToolAnnotations,
  type ToolContext,
  type ToolResultContent,
} from '@mixtape/core';
import { z } from 'zod';
import type { McpCallOptions, McpClient, McpToolInfo } from './client.js';
import { DEFAULT_MCP_TOOL_TIMEOUT_MS } from './config.js';
import { mapCallToolResult } from './result.js';

type Validator = (input: Record<string, unknown>) => string | undefined;

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(input)'}: ${issue.message}`).join('; ');
}

/**
 * Builds a validator from the server's JSON Schema with zod's `fromJSONSchema`. Schemas zod
 * cannot convert (e.g. draft-07 `definitions` references) fall back to an object check; the
 * server validates the arguments again in any case.
 */
function makeValidator(schema: Record<string, unknown>): Validator {
  let zodSchema: z.ZodType | undefined;
  try {
    zodSchema = z.fromJSONSchema(schema);
  } catch {
    zodSchema = undefined;
  }
  if (!zodSchema) return () => undefined;
  const checked = zodSchema;
  return (input) => {
    try {
      const parsed = checked.safeParse(input);
      return parsed.success ? undefined : formatIssues(parsed.error);
    } catch {
      return undefined;
    }
  };
}

/** The JSON Schema as the model sees it: always `type: object`, without `$schema`. */
function modelInputSchema(schema: McpToolInfo['inputSchema']): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...schema };
  delete copy.$schema;
  copy.type = 'object';
  if (copy.properties === undefined) copy.properties = {};
  return copy;
}

/**
 * One MCP tool as an agent tool. The input schema is the server's; input is checked against
 * it before the call and sent to the server unchanged (no defaults filled in). The result is
 * mapped by {@link mapCallToolResult}; `isError` results throw so the agent records a failure.
 * Aborting `ctx.signal` cancels the request on the server.
 */
export class McpTool implements Tool<Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
  readonly timeoutMs: number;
  /** The tool's name on the server. */
  readonly originalName: string;
  /** The server's hints (read-only, destructive, idempotent, open-world), e.g. for permission rules. */
  readonly annotations: McpToolInfo['annotations'];
  /**
   * Whether a call may be sent again when the server dies mid-call: the tool declares
   * `idempotentHint` or `readOnlyHint` (running it twice changes nothing).
   */
  readonly retrySafe: boolean;
  /** The call runs as an MCP task (the tool's `execution.taskSupport` is `required`). */
  readonly task: boolean;
  readonly #validate: Validator;

  constructor(
    readonly client: McpClient,
    info: McpToolInfo,
    name: string,
  ) {
    this.name = name;
    this.originalName = info.name;
    this.description = info.description ?? info.title ?? info.annotations?.title ?? '';
    this.inputSchema = modelInputSchema(info.inputSchema);
    this.annotations = info.annotations;
    this.retrySafe = info.annotations?.idempotentHint === true || info.annotations?.readOnlyHint === true;
    this.task = info.execution?.taskSupport === 'required';
    this.timeoutMs = client.config.timeoutMs ?? DEFAULT_MCP_TOOL_TIMEOUT_MS;
    this.#validate = makeValidator(this.inputSchema);
  }

  /** The configured name of the server this tool belongs to. */
  get serverName(): string {
    return this.client.name;
  }

  validate(input: unknown): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { ok: false, error: `Tool input must be a JSON object, got: ${jsonTypeName(input)}` };
    }
    const problem = this.#validate(input as Record<string, unknown>);
    if (problem !== undefined) return { ok: false, error: `Invalid input for tool "${this.name}": ${problem}` };
    return { ok: true, value: input as Record<string, unknown> };
  }

  execute(input: Record<string, unknown>, ctx: ToolContext): Promise<ToolResultContent[]> {
    const options: McpCallOptions = {
      signal: ctx.signal,
      timeoutMs: this.timeoutMs,
      retrySafe: this.retrySafe,
      task: this.task,
      toolUseId: ctx.toolUseId,
      call: ctx,
    };
    if (ctx.progress) options.onProgress = (p) => ctx.progress?.(p);
    // A promise chain rather than an async function: one fewer layer on every call's path.
    return this.client
      .callTool(this.originalName, input, options)
      .then((result) => mapCallToolResult(result, this.serverName, this.originalName));
  }

  /**
   * The call as shown in an approval prompt: the server and the hints it states, then the
   * input, e.g. `[everything, read-only, idempotent] {"message":"hi"}`.
   */
  formatInput(input: Record<string, unknown>): string {
    const hints = describeAnnotations(this.annotations);
    let json: string;
    try {
      json = JSON.stringify(input);
    } catch {
      json = '(input that cannot be shown as JSON)';
    }
    return `[${this.serverName}${hints ? `, ${hints}` : ''}] ${json}`;
  }
}

/**
 * A lookup of tools' annotations by name, for `PermissionAuthorizer({ toolAnnotations })` so
 * rules with `annotations` see the hints of MCP tools.
 */
export function toolAnnotationsResolver(tools: readonly Tool[]): (toolName: string) => ToolAnnotations | undefined {
  const byName = new Map<string, ToolAnnotations>();
  for (const t of tools) {
    const annotations = (t as { annotations?: ToolAnnotations }).annotations;
    if (annotations) byName.set(t.name, annotations);
  }
  return (name) => byName.get(name);
}
