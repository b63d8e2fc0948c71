/**
 * Questions for a person as pending items: a server-side host (the AG-UI server) turns each
 * elicitation — and each sampling request a rule says to ask about — into an interrupt, and
 * answers it later. The MCP request waits in this process until then (or until the server
 * cancels it, or the wait times out).
 * @module
 */
import { randomUUID } from 'node:crypto';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type {
  McpElicitationHandler,
  McpElicitationRequest,
  McpElicitationResult,
  McpRequestContext,
  McpSamplingRequest,
} from './client-features.js';
import type { McpSamplingDecision } from './sampling.js';

/**
 * Longest an elicitation or sampling question waits for its answer before it is cancelled (it
 * also ends with the tool call that asked, at the call's timeout: raise the server's `timeoutMs`
 * for tools that ask people).
 */
export const DEFAULT_MCP_ELICITATION_WAIT_MS = 600_000;

/** AG-UI interrupt reason of an MCP elicitation (a custom reason, namespaced as the AG-UI spec asks). */
export const MCP_ELICITATION_REASON = 'mixtape:mcp_elicitation';
/** AG-UI interrupt reason of an MCP sampling request waiting for a person's approval. */
export const MCP_SAMPLING_REASON = 'mixtape:mcp_sampling';

/** Most characters of one sampling message shown to the person who approves it. */
export const DEFAULT_MCP_SAMPLING_PREVIEW_CHARS = 2_000;

/** One question waiting for a person. */
export interface PendingElicitation {
  id: string;
  server: string;
  request: McpElicitationRequest;
  createdAt: string;
  /** ISO time after which it is cancelled. */
  expiresAt: string;
}

/**
 * A question a running tool call asks a person, offered to a host (see
 * {@link ElicitationBroker.onQuestion}). It is `@mixtape/server`'s `ToolQuestion`: the server
 * ends the run's response with an AG-UI interrupt carrying it and answers it from the resume.
 */
export interface McpQuestion {
  /** {@link MCP_ELICITATION_REASON} or {@link MCP_SAMPLING_REASON}. */
  reason: string;
  /** The session of the agent run whose tool call asked (`ToolContext.sessionId`), when known. */
  sessionId: string | undefined;
  /** The agent tool call that asked (`ToolContext.toolUseId`), when known. */
  toolCallId: string | undefined;
  /** What the person is asked. */
  message: string;
  /**
   * JSON Schema of the answer: `{ action: 'accept' | 'decline' | 'cancel', content? }` (content
   * matches the server's `requestedSchema`) for an elicitation, `{ approved, reason? }` for sampling.
   */
  responseSchema: Record<string, unknown>;
  /** When the question is cancelled if unanswered (ISO). */
  expiresAt: string;
  /** The request: `server`, and `mode`, `requestedSchema`, `url`, `elicitationId` or `messages`, `systemPrompt`, `maxTokens`. */
  metadata: Record<string, unknown>;
  /** What is wrong with an answer (undefined when it matches `responseSchema`). */
  check(payload: unknown): string | undefined;
  /** Delivers an answer that {@link McpQuestion.check} accepted. */
  answer(payload: unknown): void;
  /** No answer will come: the server is told `cancel` (elicitation) or the request is refused (sampling). */
  cancel(reason: string): void;
  /** Aborted once the question is settled: answered, cancelled, timed out, or withdrawn by the MCP server. */
  readonly signal: AbortSignal;
}

/** Thrown by {@link ElicitationBroker.answer} for an unknown or already answered id, or an answer that does not fit. */
export class ElicitationAnswerError extends Error {
  override name = 'ElicitationAnswerError';
}

/** What a sampling rule decides: run it, refuse it, or ask a person through the host. */
export type McpSamplingRule = (
  request: McpSamplingRequest,
  ctx: McpRequestContext,
) => 'allow' | 'deny' | 'ask' | Promise<'allow' | 'deny' | 'ask'>;

/** Routes elicitations (and sampling approvals) to whoever can ask a person, and their answers back to the servers. */
export interface ElicitationBroker {
  /** Give this as `onElicitation`. */
  readonly handler: McpElicitationHandler;
  /** Elicitations waiting now, oldest first. */
  pending(): PendingElicitation[];
  /** Answers one elicitation (`accept` with `content` for a form, `decline`, `cancel`); the content is checked against the requested schema. */
  answer(id: string, result: McpElicitationResult): void;
  /**
   * Offers each new question to `listener` (the HTTP server's `questions` option does this); the
   * listener returns true when it will ask a person. A question no listener takes is cancelled
   * at once (elicitation: `cancel`; sampling: refused), so a call never waits for nobody.
   * Returns a function that stops the offers.
   */
  onQuestion(listener: (question: McpQuestion) => boolean): () => void;
  /**
   * An `approve` for {@link modelSamplingHandler}: `rule` decides each request (default: always
   * `'ask'`); `'ask'` puts the request to a person as a question and waits for `{ approved, reason? }`.
   */
  approveSampling(rule?: McpSamplingRule): (request: McpSamplingRequest, ctx: McpRequestContext) => Promise<McpSamplingDecision>;
}

const validator = new AjvJsonSchemaValidator();

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The JSON Schema of an answer to an elicitation. */
function elicitationResponseSchema(request: McpElicitationRequest): Record<string, unknown> {
  const action = { type: 'string', enum: ['accept', 'decline', 'cancel'] };
  if (request.mode === 'url') return { type: 'object', properties: { action }, required: ['action'] };
  return { type: 'object', properties: { action, content: request.requestedSchema }, required: ['action'] };
}

/** What is wrong with an answer to an elicitation (undefined when it fits). */
function checkElicitationAnswer(request: McpElicitationRequest, payload: unknown): string | undefined {
  if (!isObject(payload)) return 'the answer must be an object { action: "accept" | "decline" | "cancel", content? }';
  const action = payload.action;
  if (action !== 'accept' && action !== 'decline' && action !== 'cancel')
    return `action must be "accept", "decline" or "cancel" (got ${JSON.stringify(action) ?? 'nothing'})`;
  if (action !== 'accept' || request.mode === 'url') return undefined;
  const content = payload.content ?? {};
  if (!isObject(content)) return 'content must be an object with the requested fields';
  const result = validator.getValidator<Record<string, unknown>>(request.requestedSchema)(content);
  return result.valid ? undefined : `content does not match the requested schema: ${result.errorMessage ?? 'invalid'}`;
}

function toElicitationResult(request: McpElicitationRequest, payload: Record<string, unknown>): McpElicitationResult {
  const action = payload.action as McpElicitationResult['action'];
  if (action !== 'accept' || request.mode === 'url') return { action };
  return { action, content: (payload.content ?? {}) as NonNullable<McpElicitationResult['content']> };
}

const SAMPLING_RESPONSE_SCHEMA = {
  type: 'object',
  properties: { approved: { type: 'boolean' }, reason: { type: 'string' } },
  required: ['approved'],
};

function samplingPreview(request: McpSamplingRequest): Array<{ role: string; text: string }> {
  return request.messages.map((m) => {
    const parts = Array.isArray(m.content) ? m.content : [m.content];
    const text = parts.map((p) => (p.type === 'text' ? p.text : `[${p.type}]`)).join('\n');
    return {
      role: m.role,
      text: text.length > DEFAULT_MCP_SAMPLING_PREVIEW_CHARS ? `${text.slice(0, DEFAULT_MCP_SAMPLING_PREVIEW_CHARS)}…` : text,
    };
  });
}

/**
 * Creates a broker. `onRequest` is told of each new elicitation (e.g. to end the run with an
 * interrupt carrying `request.requestedSchema` and the id); `waitMs` (default
 * {@link DEFAULT_MCP_ELICITATION_WAIT_MS}) bounds every wait; `onNotice` hears of questions
 * nobody could take (default: a process warning).
 *
 * @example
 * const questions = elicitationBroker();
 * const toolset = new McpToolset(configs, {
 *   onElicitation: questions.handler,
 *   onSampling: modelSamplingHandler({ model, approve: questions.approveSampling() }),
 * });
 * createServer({ agentFactory, sessionStore, auth, questions });   // @mixtape/server
 */
export function elicitationBroker(
  options: { onRequest?: (pending: PendingElicitation) => void; waitMs?: number; onNotice?: (message: string) => void } = {},
): ElicitationBroker {
  const waiting = new Map<string, { pending: PendingElicitation; finish: (r: McpElicitationResult) => void }>();
  const listeners = new Set<(question: McpQuestion) => boolean>();
  const waitMs = options.waitMs ?? DEFAULT_MCP_ELICITATION_WAIT_MS;
  const notice = options.onNotice ?? ((message: string) => process.emitWarning(message, { code: 'MIXTAPE_MCP' }));

  /** Offers a question to the listeners; true when one took it. */
  const offer = (question: McpQuestion): boolean => {
    for (const listener of listeners) {
      try {
        if (listener(question)) return true;
      } catch (error) {
        notice(`A question listener threw: ${(error as Error).message}`);
      }
    }
    return false;
  };

  /**
   * One wait for an answer: settles once, with a timer and the request's signal. `settle` is
   * called with the answer, or with undefined when the wait ended without one.
   */
  const wait = <T>(ctx: McpRequestContext, onEnd: (value: T | undefined, why: string) => void) => {
    const controller = new AbortController();
    let done = false;
    const end = (value: T | undefined, why: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      ctx.call?.signal.removeEventListener('abort', onCallEnd);
      controller.abort(new Error(why));
      onEnd(value, why);
    };
    const onAbort = () => end(undefined, `MCP server '${ctx.server}' withdrew the request`);
    const onCallEnd = () => end(undefined, 'the tool call that asked ended (cancelled or timed out)');
    // The wait ends with the call that asked: an answer after its timeout would reach nobody.
    const now = Date.now();
    const until = Math.min(now + waitMs, ctx.deadline ?? Infinity);
    const timer = setTimeout(() => end(undefined, `no answer within ${until - now} ms`), Math.max(0, until - now));
    timer.unref();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    ctx.call?.signal.addEventListener('abort', onCallEnd, { once: true });
    return {
      end,
      signal: controller.signal,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(until).toISOString(),
      get done() {
        return done;
      },
    };
  };

  const handler: McpElicitationHandler = (request, ctx) =>
    new Promise<McpElicitationResult>((resolve) => {
      const id = randomUUID();
      const w = wait<McpElicitationResult>(ctx, (result) => {
        waiting.delete(id);
        resolve(result ?? { action: 'cancel' });
      });
      const pending: PendingElicitation = { id, server: ctx.server, request, createdAt: w.createdAt, expiresAt: w.expiresAt };
      waiting.set(id, { pending, finish: (r) => w.end(r, 'answered') });
      options.onRequest?.(pending);
      if (listeners.size === 0 || w.done) return;
      const question: McpQuestion = {
        reason: MCP_ELICITATION_REASON,
        sessionId: ctx.call?.sessionId,
        toolCallId: ctx.call?.toolUseId,
        message: request.message,
        responseSchema: elicitationResponseSchema(request),
        expiresAt: w.expiresAt,
        metadata: {
          server: ctx.server,
          mode: request.mode ?? 'form',
          ...(request.mode === 'url'
            ? { url: request.url, elicitationId: request.elicitationId }
            : { requestedSchema: request.requestedSchema }),
        },
        check: (payload) => checkElicitationAnswer(request, payload),
        answer: (payload) => {
          const problem = checkElicitationAnswer(request, payload);
          if (problem !== undefined) throw new ElicitationAnswerError(problem);
          w.end(toElicitationResult(request, payload as Record<string, unknown>), 'answered');
        },
        cancel: (reason) => w.end({ action: 'cancel' }, reason),
        signal: w.signal,
      };
      if (!offer(question) && !options.onRequest) {
        notice(`Nobody could be asked the question of MCP server '${ctx.server}' (no run of a server took it); it was cancelled.`);
        w.end({ action: 'cancel' }, 'nobody to ask');
      }
    });

  const askSampling = (request: McpSamplingRequest, ctx: McpRequestContext): Promise<McpSamplingDecision> =>
    new Promise<McpSamplingDecision>((resolve) => {
      const w = wait<McpSamplingDecision>(ctx, (decision, why) => resolve(decision ?? { approved: false, reason: why }));
      const question: McpQuestion = {
        reason: MCP_SAMPLING_REASON,
        sessionId: ctx.call?.sessionId,
        toolCallId: ctx.call?.toolUseId,
        message: `MCP server '${ctx.server}' asks to use the model (${request.messages.length} message(s), at most ${request.maxTokens} tokens). Allow it?`,
        responseSchema: SAMPLING_RESPONSE_SCHEMA,
        expiresAt: w.expiresAt,
        metadata: {
          server: ctx.server,
          messages: samplingPreview(request),
          ...(request.systemPrompt !== undefined ? { systemPrompt: request.systemPrompt } : {}),
          maxTokens: request.maxTokens,
        },
        check: (payload) =>
          isObject(payload) && typeof payload.approved === 'boolean' && (payload.reason === undefined || typeof payload.reason === 'string')
            ? undefined
            : 'the answer must be { approved: boolean, reason?: string }',
        answer: (payload) => {
          const p = payload as { approved?: unknown; reason?: unknown };
          if (typeof p?.approved !== 'boolean')
            throw new ElicitationAnswerError('the answer must be { approved: boolean, reason?: string }');
          w.end({ approved: p.approved, ...(typeof p.reason === 'string' ? { reason: p.reason } : {}) }, 'answered');
        },
        cancel: (reason) => w.end({ approved: false, reason }, reason),
        signal: w.signal,
      };
      if (!offer(question)) {
        notice(`Nobody could be asked to approve the sampling request of MCP server '${ctx.server}'; it was refused.`);
        w.end({ approved: false, reason: 'nobody could be asked to approve it' }, 'nobody to ask');
      }
    });

  return {
    handler,
    pending: () => [...waiting.values()].map((w) => w.pending),
    answer(id, result) {
      const entry = waiting.get(id);
      if (!entry) throw new ElicitationAnswerError(`No elicitation '${id}' is waiting (unknown, answered, cancelled or expired).`);
      const problem = checkElicitationAnswer(entry.pending.request, result);
      if (problem !== undefined) throw new ElicitationAnswerError(`The answer to elicitation '${id}' does not fit: ${problem}.`);
      entry.finish(result);
    },
    onQuestion(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    approveSampling(rule) {
      return async (request, ctx) => {
        const decision = rule ? await rule(request, ctx) : 'ask';
        if (decision === 'allow') return true;
        if (decision === 'deny') return { approved: false, reason: 'a rule refused it' };
        return askSampling(request, ctx);
      };
    },
  };
}
