/**
 * Runs the tool calls of one model turn: bounded concurrency, results in the order of the calls,
 * validation, permission checks, timeouts and cancellation. Failures become error results for
 * the model; they never end the run.
 * @module
 */
import type { AgentEvent } from '../events.js';
import { type ToolResultBlock, type ToolResultContent, type ToolUseBlock, toolResultContentText } from '../messages.js';
import { hashParams } from '../permissions/canonical-json.js';
import type { PermissionResponse, ToolAuthorizer, ToolCallRequest } from '../permissions/types.js';
import { DEFAULT_TOOL_TIMEOUT_MS, normalizeToolResult, type Tool } from '../tools/tool.js';
import type { ToolCallRecord } from './options.js';

/** Emits an event without runId/timestamp (the agent adds them). */
export type Emit = (event: DistributiveOmit<AgentEvent, 'runId' | 'timestamp'>) => void;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What the tool runner needs from the agent. */
export interface ToolRunnerContext {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  tools: ReadonlyMap<string, Tool<any>>;
  emit: Emit;
  signal: AbortSignal;
  maxConcurrent: number;
  defaultTimeoutMs?: number;
  sessionId?: string;
  authorizer?: ToolAuthorizer;
  interactive: boolean;
  /** Waits for a person's answer to a permission request. */
  askPermission(request: ToolCallRequest, display: string | undefined): Promise<PermissionResponse>;
}

class ToolTimeoutError extends Error {}

function errorResult(id: string, text: string): ToolResultBlock {
  return { type: 'tool_result', toolUseId: id, content: [{ type: 'text', text }], isError: true };
}

/** Runs `tasks` with at most `limit` at once; results keep the tasks' order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Runs one turn's tool calls and returns one result block per call, in call order. */
export async function runToolCalls(calls: readonly ToolUseBlock[], ctx: ToolRunnerContext): Promise<{ blocks: ToolResultBlock[]; records: ToolCallRecord[] }> {
  const records: ToolCallRecord[] = [];
  const blocks = await mapBounded(calls, ctx.maxConcurrent, async (call) => {
    const started = performance.now();
    const finish = (block: ToolResultBlock, failure?: string): ToolResultBlock => {
      const durationMs = performance.now() - started;
      if (failure !== undefined) ctx.emit({ type: 'tool_failed', toolUseId: call.id, name: call.name, error: failure, durationMs });
      records.push({ toolUseId: call.id, name: call.name, input: call.input, output: block.content, success: !block.isError, durationMs });
      return block;
    };
    ctx.emit({ type: 'tool_requested', toolUseId: call.id, name: call.name, input: call.input });
    if (ctx.signal.aborted) return finish(errorResult(call.id, 'Tool call cancelled: the run was aborted.'), 'Run aborted');

    const tool = ctx.tools.get(call.name);
    if (!tool) {
      const names = [...ctx.tools.keys()];
      const msg = `Tool not found: ${call.name}. Available tools: ${names.length ? names.join(', ') : '(none)'}`;
      return finish(errorResult(call.id, `Error: ${msg}`), msg);
    }
    const checked = tool.validate(call.input);
    if (!checked.ok) return finish(errorResult(call.id, `Error: ${checked.error}`), checked.error);

    if (ctx.authorizer) {
      const request: ToolCallRequest = {
        toolName: call.name,
        toolUseId: call.id,
        input: call.input,
        paramsHash: hashParams(call.input),
        ...(ctx.sessionId !== undefined ? { sessionId: ctx.sessionId } : {}),
      };
      let check = await ctx.authorizer.check(request);
      if (check.decision === 'ask' && !ctx.interactive) {
        const reason = `Tool '${call.name}' needs approval and no person is available to approve it. Grant it ahead of time (trustedTools, permissionRules or a grant in the grant store).`;
        await ctx.authorizer.record(request, { action: 'deny', reason });
        check = { decision: 'denied', reason };
      }
      if (check.decision === 'ask') {
        let display: string | undefined;
        try {
          display = tool.formatInput?.(checked.value);
        } catch {
          display = undefined;
        }
        const response = await ctx.askPermission(request, display);
        await ctx.authorizer.record(request, response);
        if (response.action === 'deny') {
          const reason = response.reason ?? 'Denied by the user';
          ctx.emit({ type: 'permission_denied', toolUseId: call.id, toolName: call.name, reason });
          return finish(errorResult(call.id, `Error: Tool execution denied: ${call.name}. Reason: ${reason}`), `Tool execution denied by user: ${reason}`);
        }
        ctx.emit({ type: 'permission_granted', toolUseId: call.id, toolName: call.name, scope: response.action === 'once' ? 'once' : (response.scope ?? 'session') });
      } else if (check.decision === 'denied') {
        ctx.emit({ type: 'permission_denied', toolUseId: call.id, toolName: call.name, reason: check.reason });
        return finish(errorResult(call.id, `Error: Tool execution denied: ${call.name}. ${check.reason}`), check.reason);
      } else {
        ctx.emit({ type: 'permission_granted', toolUseId: call.id, toolName: call.name, scope: check.scope, ...(check.reason ? { reason: check.reason } : {}) });
      }
    }

    ctx.emit({ type: 'tool_executing', toolUseId: call.id, name: call.name });
    const timeoutMs = tool.timeoutMs ?? ctx.defaultTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
    const controller = new AbortController();
    const onAbort = () => controller.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new ToolTimeoutError(`Tool ${call.name} timed out after ${timeoutMs} ms`);
          controller.abort(error);
          reject(error);
        }, timeoutMs);
      });
      const aborted = new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(new Error('Run aborted'));
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason instanceof ToolTimeoutError ? controller.signal.reason : new Error('Tool call cancelled: the run was aborted.')), { once: true });
      });
      const execution = Promise.resolve().then(() =>
        tool.execute(checked.value, { signal: controller.signal, toolUseId: call.id, ...(ctx.sessionId !== undefined ? { sessionId: ctx.sessionId } : {}) }),
      );
      const output: ToolResultContent[] = normalizeToolResult(await Promise.race([execution, timeout, aborted]));
      const durationMs = performance.now() - started;
      ctx.emit({ type: 'tool_completed', toolUseId: call.id, name: call.name, output, outputText: toolResultContentText(output), durationMs });
      return finish({ type: 'tool_result', toolUseId: call.id, content: output, isError: false });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return finish(errorResult(call.id, `Error: ${message}`), message);
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
    }
  });
  // Records were pushed in completion order; report them in call order.
  const order = new Map(calls.map((c, i) => [c.id, i]));
  records.sort((a, b) => (order.get(a.toolUseId) ?? 0) - (order.get(b.toolUseId) ?? 0));
  return { blocks, records };
}
