/**
 * Runs the tool calls of one model turn: bounded concurrency, results in the order of the calls,
 * validation, permission checks, timeouts and cancellation. Failures become error results for
 * the model; they never end the run. A call may instead become an interrupt (an approval to be
 * answered later, or a client tool), and a call already settled (a stored result, an answer)
 * follows its plan instead of running again.
 * @module
 */
import type { AgentEvent } from '../events.js';
import { type ToolResultBlock, type ToolResultContent, type ToolUseBlock, toolResultContentText } from '../messages.js';
import { hashParams } from '../permissions/canonical-json.js';
import type { PermissionResponse, ToolAuthorizer, ToolCallRequest } from '../permissions/types.js';
import type { StoredInterrupt } from '../session/run-state.js';
import { limitToolResult } from '../tools/result-limit.js';
import { describeThrown, unusableResult } from '../tools/thrown.js';
import { DEFAULT_TOOL_TIMEOUT_MS, normalizeToolResult, type ThreadState, type Tool, type ToolContext } from '../tools/tool.js';
import type { Usage } from '../model.js';
import { BudgetExceededError } from './budget.js';
import type { ToolCallRecord } from './options.js';

/** Emits an event without runId/timestamp (the agent adds them). */
export type Emit = (event: DistributiveOmit<AgentEvent, 'runId' | 'timestamp'>) => void;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * What to do with one call, decided before it runs:
 * - `result`: its result is already known (stored before a crash, a denial, a client tool's answer);
 * - `run`: run it now without asking (an approval answer; `input` when the person edited it);
 * - `check`: the usual path (validate, authorize, run).
 */
export type CallPlan =
  | { kind: 'result'; block: ToolResultBlock; record?: PermissionResponse }
  | { kind: 'run'; input?: unknown; record?: PermissionResponse }
  | { kind: 'check' };

/** What one call produced: its result, or an interrupt to wait for. */
export type CallOutcome = { block: ToolResultBlock } | { interrupt: StoredInterrupt };

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
  /** Bound on a result's text (see DEFAULT_MAX_TOOL_RESULT_CHARS). */
  maxResultChars: number;
  /** Runs a tool's execute (e.g. inside its tracing span's context); default: calls it as is. */
  around?<T>(toolUseId: string, fn: () => T): T;
  /** Waits for a person's answer to a permission request (approvals: 'wait'). */
  askPermission(request: ToolCallRequest, display: string | undefined): Promise<PermissionResponse>;
  /** Approvals end the run as interrupts (approvals: 'interrupt') instead of waiting in process. */
  approvalsInterrupt?: boolean;
  /** Makes the interrupt for a call (client tools; approvals when `approvalsInterrupt`). */
  interrupt?(call: ToolUseBlock, reason: StoredInterrupt['reason'], display: string | undefined): StoredInterrupt;
  /** Names of client tools (executed elsewhere: each call becomes an interrupt). */
  clientTools?: ReadonlySet<string>;
  /** The plan for a call (default: check). */
  plan?(call: ToolUseBlock): CallPlan;
  /** Called (and awaited) right before a tool's execute: the "call started" marker. */
  onStarted?(call: ToolUseBlock): Promise<void>;
  /** Called (and awaited) once a call has its result, before the next call of the batch settles the turn. */
  onFinished?(call: ToolUseBlock, block: ToolResultBlock): Promise<void>;
  /** The thread state given to tools. */
  state?: ThreadState;
  /** Adds usage a tool reported through `ToolContext.reportUsage` to the run (may throw a TypeError on bad input). */
  reportUsage?(call: ToolUseBlock, usage: Usage, costUsd: number | undefined): void;
}

class ToolTimeoutError extends Error {}

/** Why a call was cancelled, from the reason its signal aborted with. */
function cancelledText(reason: unknown): string {
  return reason instanceof BudgetExceededError
    ? "Tool call cancelled: the run's budget was exceeded."
    : 'Tool call cancelled: the run was aborted.';
}

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

/**
 * Runs one turn's tool calls and returns one outcome per call, in call order. Whatever a tool
 * throws or returns, the call ends with a result (an error result when unusable); siblings keep theirs.
 */
export async function runToolCalls(
  calls: readonly ToolUseBlock[],
  ctx: ToolRunnerContext,
): Promise<{ outcomes: CallOutcome[]; records: ToolCallRecord[] }> {
  const records: ToolCallRecord[] = [];
  const outcomes = await mapBounded(calls, ctx.maxConcurrent, async (call): Promise<CallOutcome> => {
    const started = performance.now();
    const finish = async (block: ToolResultBlock, failure?: string): Promise<CallOutcome> => {
      const durationMs = performance.now() - started;
      if (failure !== undefined) ctx.emit({ type: 'tool_failed', toolUseId: call.id, name: call.name, error: failure, durationMs });
      records.push({ toolUseId: call.id, name: call.name, input: call.input, output: block.content, success: !block.isError, durationMs });
      if (ctx.onFinished) {
        try {
          await ctx.onFinished(call, block);
        } catch {
          // Only a crash before the batch is appended would need it; the call keeps its real result.
        }
      }
      return { block };
    };
    try {
      return await runOne(call, ctx, finish);
    } catch (error) {
      // Anything that escaped (a throwing hook, a failing store write) ends this call only.
      const message = describeThrown(error);
      return { block: errorResult(call.id, `Error: ${message}`) };
    }
  });
  // Records were pushed in completion order; report them in call order.
  if (records.some((r, i) => r.toolUseId !== calls[i]?.id)) {
    const order = new Map(calls.map((c, i) => [c.id, i]));
    records.sort((a, b) => (order.get(a.toolUseId) ?? 0) - (order.get(b.toolUseId) ?? 0));
  }
  return { outcomes, records };
}

async function runOne(
  call: ToolUseBlock,
  ctx: ToolRunnerContext,
  finish: (block: ToolResultBlock, failure?: string) => Promise<CallOutcome>,
): Promise<CallOutcome> {
  const plan = ctx.plan?.(call) ?? { kind: 'check' };
  const annotations = ctx.tools.get(call.name)?.annotations;
  const request = (input: unknown): ToolCallRequest => ({
    toolName: call.name,
    toolUseId: call.id,
    input,
    paramsHash: hashParams(input),
    ...(ctx.sessionId !== undefined ? { sessionId: ctx.sessionId } : {}),
    ...(annotations ? { annotations } : {}),
  });
  if (plan.kind === 'result') {
    if (plan.record && ctx.authorizer) await ctx.authorizer.record(request(call.input), plan.record);
    if (plan.record?.action === 'deny')
      ctx.emit({ type: 'permission_denied', toolUseId: call.id, toolName: call.name, reason: plan.record.reason ?? 'Denied by the user' });
    const failure = plan.block.isError ? toolResultContentText(plan.block.content) : undefined;
    if (!plan.block.isError)
      ctx.emit({
        type: 'tool_completed',
        toolUseId: call.id,
        name: call.name,
        output: plan.block.content,
        outputText: toolResultContentText(plan.block.content),
        durationMs: 0,
      });
    return finish(plan.block, failure);
  }
  if (plan.kind === 'check') ctx.emit({ type: 'tool_requested', toolUseId: call.id, name: call.name, input: call.input });
  if (ctx.signal.aborted) return finish(errorResult(call.id, cancelledText(ctx.signal.reason)), 'Run aborted');

  if (ctx.clientTools?.has(call.name) && ctx.interrupt) return { interrupt: ctx.interrupt(call, 'client_tool', undefined) };
  const tool = ctx.tools.get(call.name);
  if (!tool) {
    const names = [...ctx.tools.keys(), ...(ctx.clientTools ?? [])];
    const msg = `Tool not found: ${call.name}. Available tools: ${names.length ? names.join(', ') : '(none)'}`;
    return finish(errorResult(call.id, `Error: ${msg}`), msg);
  }
  const input = plan.kind === 'run' && plan.input !== undefined ? plan.input : call.input;
  const checked = tool.validate(input);
  if (!checked.ok) return finish(errorResult(call.id, `Error: ${checked.error}`), checked.error);

  if (plan.kind === 'run') {
    if (plan.record) {
      if (ctx.authorizer) await ctx.authorizer.record(request(input), plan.record);
      ctx.emit({
        type: 'permission_granted',
        toolUseId: call.id,
        toolName: call.name,
        scope: plan.record.action === 'exact' || plan.record.action === 'tool' ? (plan.record.scope ?? 'session') : 'once',
      });
    }
  } else if (ctx.authorizer) {
    const req = request(input);
    let check = await ctx.authorizer.check(req);
    if (check.decision === 'ask' && !ctx.interactive && !ctx.approvalsInterrupt) {
      const reason = `Tool '${call.name}' needs approval and no person is available to approve it. Grant it ahead of time (trustedTools, permissionRules or a grant in the grant store).`;
      await ctx.authorizer.record(req, { action: 'deny', reason });
      check = { decision: 'denied', reason };
    }
    if (check.decision === 'ask') {
      let display: string | undefined;
      try {
        display = tool.formatInput?.(checked.value);
      } catch {
        display = undefined; // a failing formatter only loses the short rendering
      }
      if (ctx.approvalsInterrupt && ctx.interrupt) return { interrupt: ctx.interrupt(call, 'tool_call', display) };
      const response = await ctx.askPermission(req, display);
      await ctx.authorizer.record(req, response);
      if (response.action === 'deny') {
        const reason = response.reason ?? 'Denied by the user';
        ctx.emit({ type: 'permission_denied', toolUseId: call.id, toolName: call.name, reason });
        return finish(
          errorResult(call.id, `Error: Tool execution denied: ${call.name}. Reason: ${reason}`),
          `Tool execution denied by user: ${reason}`,
        );
      }
      ctx.emit({
        type: 'permission_granted',
        toolUseId: call.id,
        toolName: call.name,
        scope: response.action === 'once' ? 'once' : (response.scope ?? 'session'),
      });
    } else if (check.decision === 'denied') {
      ctx.emit({ type: 'permission_denied', toolUseId: call.id, toolName: call.name, reason: check.reason });
      return finish(errorResult(call.id, `Error: Tool execution denied: ${call.name}. ${check.reason}`), check.reason);
    } else {
      ctx.emit({
        type: 'permission_granted',
        toolUseId: call.id,
        toolName: call.name,
        scope: check.scope,
        ...(check.reason ? { reason: check.reason } : {}),
      });
    }
  }

  if (ctx.onStarted) await ctx.onStarted(call);
  ctx.emit({ type: 'tool_executing', toolUseId: call.id, name: call.name });
  const started = performance.now();
  const timeoutMs = tool.timeoutMs ?? ctx.defaultTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  const controller = new AbortController();
  const onAbort = () => controller.abort(ctx.signal.reason);
  // Aborted while the call-started marker was written: the tool does not start.
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
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
      const cancelled = () =>
        reject(
          controller.signal.reason instanceof ToolTimeoutError
            ? controller.signal.reason
            : new Error(cancelledText(controller.signal.reason)),
        );
      if (controller.signal.aborted) cancelled();
      else controller.signal.addEventListener('abort', cancelled, { once: true });
    });
    const execute = callExecute(tool, checked.value, toolContext(ctx, call, controller.signal), ctx.around, call.id);
    // Not started at all when the run was aborted before (the race then rejects at once).
    const raw: unknown = await Promise.race(controller.signal.aborted ? [aborted] : [Promise.resolve().then(execute), timeout, aborted]);
    const unusable = unusableResult(raw);
    if (unusable !== undefined) return await finish(errorResult(call.id, `Error: ${unusable}`), unusable);
    const limited = limitToolResult(normalizeToolResult(raw as Parameters<typeof normalizeToolResult>[0]), ctx.maxResultChars, tool);
    const output: ToolResultContent[] = limited.content;
    ctx.emit({
      type: 'tool_completed',
      toolUseId: call.id,
      name: call.name,
      output,
      outputText: toolResultContentText(output),
      durationMs: performance.now() - started,
    });
    return await finish({ type: 'tool_result', toolUseId: call.id, content: output, isError: false });
  } catch (error) {
    const message = describeThrown(error);
    return await finish(errorResult(call.id, `Error: ${message}`), message);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

// The helpers below are module functions on purpose: closures a tool can keep (its context's
// functions) must not capture runOne's scope. When they did, each call's garbage was promoted to
// V8's old generation (≈ +40 µs per step in bench/agent-loop, 3× the GC time). The same happened
// with a one-promise guard that stored its reject function and timer on a per-call object; the
// race of three promises below does not (measured with --trace-gc-nvp: promoted bytes per run).

/** The context given to a tool's execute. */
function toolContext(ctx: ToolRunnerContext, call: ToolUseBlock, signal: AbortSignal): ToolContext {
  const emit = ctx.emit;
  const context: ToolContext = {
    signal,
    toolUseId: call.id,
    progress: (update) => emit({ type: 'tool_progress', toolUseId: call.id, name: call.name, ...update }),
  };
  if (ctx.sessionId !== undefined) context.sessionId = ctx.sessionId;
  if (ctx.state) context.state = ctx.state;
  const report = ctx.reportUsage;
  if (report) context.reportUsage = bindReport(report, call);
  return context;
}

/** `reportUsage` for one call (its own small closure: sharing the one of `progress` brought back the promotions). */
function bindReport(report: NonNullable<ToolRunnerContext['reportUsage']>, call: ToolUseBlock): NonNullable<ToolContext['reportUsage']> {
  return (usage, costUsd) => report(call, usage, costUsd);
}

/** Calls a tool's execute (inside `around` when given), on a later microtask so that a synchronous throw is a rejection. */
function callExecute(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  tool: Tool<any>,
  input: unknown,
  context: ToolContext,
  around: ToolRunnerContext['around'],
  toolUseId: string,
): () => unknown {
  const execute = () => tool.execute(input, context);
  return around ? () => around(toolUseId, execute) : execute;
}
