/**
 * Elicitation as pending questions: a server-side host (the AG-UI server) turns each request
 * into an interrupt with the requested schema, and answers it later by id. The MCP request
 * waits until then (or until the server cancels it, or the wait times out).
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { McpElicitationHandler, McpElicitationRequest, McpElicitationResult } from './client-features.js';

/** Longest an elicitation waits for its answer before it is cancelled. */
export const DEFAULT_MCP_ELICITATION_WAIT_MS = 600_000;

/** One question waiting for a person. */
export interface PendingElicitation {
  id: string;
  server: string;
  request: McpElicitationRequest;
  createdAt: string;
  /** ISO time after which it is cancelled. */
  expiresAt: string;
}

/** Thrown by {@link ElicitationBroker.answer} for an unknown or already answered id. */
export class ElicitationAnswerError extends Error {
  override name = 'ElicitationAnswerError';
}

/** Routes elicitations to whoever can ask a person, and their answers back to the servers. */
export interface ElicitationBroker {
  /** Give this as `onElicitation`. */
  readonly handler: McpElicitationHandler;
  /** Questions waiting now, oldest first. */
  pending(): PendingElicitation[];
  /** Answers one question (`accept` with `content` for a form, `decline`, `cancel`). */
  answer(id: string, result: McpElicitationResult): void;
}

/**
 * Creates a broker. `onRequest` is told of each new question (e.g. to end the run with an
 * interrupt carrying `request.requestedSchema` and the id).
 */
export function elicitationBroker(options: { onRequest?: (pending: PendingElicitation) => void; waitMs?: number } = {}): ElicitationBroker {
  const waiting = new Map<string, { pending: PendingElicitation; resolve: (r: McpElicitationResult) => void }>();
  const waitMs = options.waitMs ?? DEFAULT_MCP_ELICITATION_WAIT_MS;
  const handler: McpElicitationHandler = (request, ctx) =>
    new Promise<McpElicitationResult>((resolve) => {
      const now = Date.now();
      const pending: PendingElicitation = {
        id: randomUUID(),
        server: ctx.server,
        request,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + waitMs).toISOString(),
      };
      const finish = (result: McpElicitationResult) => {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
        waiting.delete(pending.id);
        resolve(result);
      };
      const onAbort = () => finish({ action: 'cancel' });
      const timer = setTimeout(() => finish({ action: 'cancel' }), waitMs);
      timer.unref();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      waiting.set(pending.id, { pending, resolve: finish });
      options.onRequest?.(pending);
    });
  return {
    handler,
    pending: () => [...waiting.values()].map((w) => w.pending),
    answer(id, result) {
      const entry = waiting.get(id);
      if (!entry) throw new ElicitationAnswerError(`No elicitation '${id}' is waiting (unknown, answered, cancelled or expired).`);
      entry.resolve(result);
    },
  };
}
