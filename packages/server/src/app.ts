/**
 * `createServer`: the Hono app that serves Mixtape agents over AG-UI.
 * @module
 */
import type { BaseEvent, RunAgentInput } from '@ag-ui/core';
import { EventType, PROTOCOL_VERSION } from '@ag-ui/core';
import { RunAgentInputSchema } from '@ag-ui/core/schemas';
import { type Agent, type AgentEvent, type PermissionResponse, AgentAbortedError } from '@mixtape/core';
import { type Context, Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { HTTPException } from 'hono/http-exception';
import { bodyLimit } from 'hono/body-limit';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { AguiTranslator, RunInputError, promptOf, tokenUsage } from './agui.js';
import { chatPageHtml } from './chat-page.js';
import { MemoryRunCoordinator, type RunCoordinator } from './coordinator.js';
import { toAguiMessages } from './messages.js';
import { type RunningServer, type ServeOptions, serve } from './serve.js';
import {
  DEFAULT_AGENT_PATH,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_SSE_HEARTBEAT_MS,
  MAX_THREAD_ID_LENGTH,
  ServerConfigError,
  type ServerOptions,
} from './options.js';

/** Why a run was cancelled by the server (the abort reason its agent sees). */
export class ServerShutdownError extends Error {
  override name = 'ServerShutdownError';
  constructor() {
    super('The server is shutting down; the run was cancelled. Its history so far is saved: send the message again to continue.');
  }
}

/** Why a run was cancelled because its client went away. */
export class ClientDisconnectedError extends Error {
  override name = 'ClientDisconnectedError';
  constructor() {
    super('The client disconnected; the run was cancelled. Its history so far is saved.');
  }
}

/** The body of `POST /threads/:threadId/approvals/:proposalId`. */
export const approvalBodySchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('once') }),
  z.object({ action: z.literal('exact'), scope: z.enum(['session', 'project', 'user']).optional(), expiresAt: z.iso.datetime().optional() }),
  z.object({ action: z.literal('tool'), scope: z.enum(['session', 'project', 'user']).optional(), expiresAt: z.iso.datetime().optional() }),
  z.object({
    action: z.literal('deny'),
    reason: z.string().max(2000).optional(),
    scope: z.enum(['session', 'project', 'user']).optional(),
    exact: z.boolean().optional(),
    expiresAt: z.iso.datetime().optional(),
  }),
]);

/** A run in progress on this instance. */
interface ActiveRun {
  threadId: string;
  runId: string;
  controller: AbortController;
  done: Promise<void>;
}

/** What {@link createServer} returns. */
export interface MixtapeServer {
  /** The Hono app (mount it, or pass `app.fetch` to any server). */
  app: Hono;
  /** `app.fetch`. */
  fetch: Hono['fetch'];
  /** Runs in progress on this instance. */
  readonly activeRuns: number;
  /** Whether {@link MixtapeServer.shutdown} was called (new runs get 503). */
  readonly draining: boolean;
  /**
   * Graceful shutdown of the runs: refuses new runs (503), lets running ones finish for
   * `graceMs` (default {@link DEFAULT_SHUTDOWN_GRACE_MS}), then cancels the rest — their streams
   * end with RUN_FINISHED (outcome `cancelled`) and their sessions stay valid. Resolves when no
   * run is left. Closes the coordinator when the server made it.
   */
  shutdown(options?: { graceMs?: number }): Promise<void>;
  /** Listens on `host:port` (host default 127.0.0.1); same as `serve(server, options)`. */
  serve(options: ServeOptions): Promise<RunningServer>;
}

function jsonError(c: Context, status: 400 | 401 | 404 | 409 | 413 | 500 | 503, error: string, message: string) {
  return c.json({ error, message }, status);
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
    .join('; ');
}

/**
 * Creates the HTTP app serving Mixtape agents over the AG-UI protocol.
 *
 * Routes:
 * - `POST /agent` (see `agentPath`): an AG-UI `RunAgentInput` in; an SSE stream of AG-UI events
 *   out (RUN_STARTED, REASONING_*, TEXT_MESSAGE_START/CONTENT/END, TOOL_CALL_START/ARGS/END/RESULT, CUSTOM
 *   `mixtape.permission_required` / `mixtape.permission_resolved`, STATE_SNAPSHOT, RUN_FINISHED
 *   or RUN_ERROR). The prompt is the last user message; the thread's history comes from the
 *   session store (threadId = session id). A second run on a busy thread gets 409.
 * - `POST /threads/:threadId/approvals/:proposalId` with `{ action: 'once'|'exact'|'tool'|'deny',
 *   scope?, reason? }`: answers a permission request of a paused run, on whichever instance it
 *   runs (200), or 404 when nothing waits for it.
 * - `GET /threads/:threadId/approvals`: requests waiting for an answer.
 * - `GET /threads/:threadId/messages`: the thread's history as AG-UI messages.
 * - `GET /health` (no auth): `{ status: 'ok' | 'draining', activeRuns }`.
 * - `GET /` (no auth): the web chat page.
 *
 * A client that disconnects cancels its run (the session stays valid). Every API route but
 * `/health` and `/` needs `Authorization: Bearer <token>` unless `auth: { disabled: true }`.
 */
export function createServer(options: ServerOptions): MixtapeServer {
  if (!options || typeof options.agentFactory !== 'function') throw new ServerConfigError('createServer needs agentFactory: (threadId) => new Agent({ ..., sessionStore, sessionId: threadId }).');
  if (!options.sessionStore) throw new ServerConfigError('createServer needs the sessionStore the agents use.');
  const auth = options.auth as { token?: unknown; disabled?: unknown } | undefined;
  if (!auth || (auth.disabled !== true && (typeof auth.token !== 'string' || auth.token.length === 0)))
    throw new ServerConfigError('createServer needs auth: { token: "<secret>" } (clients send Authorization: Bearer <secret>), or auth: { disabled: true } to run without authentication.');
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!(Number.isInteger(bodyLimitBytes) && bodyLimitBytes > 0)) throw new ServerConfigError(`bodyLimitBytes must be a positive integer, got ${bodyLimitBytes}.`);
  const agentPath = options.agentPath ?? DEFAULT_AGENT_PATH;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS;
  const ownCoordinator = !options.coordinator;
  const coordinator: RunCoordinator = options.coordinator ?? new MemoryRunCoordinator();
  const logError = options.onError ?? ((e: unknown) => console.error('[mixtape/server]', e));
  const active = new Set<ActiveRun>();
  let draining = false;

  const app = new Hono();
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse(); // e.g. 401 from bearerAuth
    logError(err);
    return jsonError(c, 500, 'internal_error', 'The server failed to handle this request; see its log.');
  });
  app.notFound((c) => jsonError(c, 404, 'not_found', `No route ${c.req.method} ${c.req.path}.`));

  const limit = bodyLimit({
    maxSize: bodyLimitBytes,
    onError: (c) => jsonError(c, 413, 'body_too_large', `The request body exceeds ${bodyLimitBytes} bytes (the server's bodyLimitBytes).`),
  });
  const authenticate =
    auth.disabled === true
      ? async (_c: Context, next: () => Promise<void>) => next()
      : bearerAuth({
          token: auth.token as string,
          noAuthenticationHeader: { message: { error: 'unauthorized', message: 'Send Authorization: Bearer <token>.' } },
          invalidAuthenticationHeader: { message: { error: 'unauthorized', message: 'The Authorization header must be "Bearer <token>".' } },
          invalidToken: { message: { error: 'unauthorized', message: 'The bearer token is wrong.' } },
        });

  app.get('/health', (c) => c.json({ status: draining ? 'draining' : 'ok', activeRuns: active.size }, draining ? 503 : 200));
  if (options.chatPage !== false) app.get('/', (c) => c.html(chatPageHtml({ agentPath, authRequired: auth.disabled !== true })));

  app.use(agentPath, authenticate);
  app.use('/threads/*', authenticate);

  app.get('/threads/:threadId/messages', async (c) => {
    const threadId = c.req.param('threadId');
    const session = await options.sessionStore.getSession(threadId);
    if (!session) return jsonError(c, 404, 'thread_not_found', `No thread ${threadId}.`);
    return c.json({ threadId, messages: toAguiMessages(threadId, session.messages) });
  });

  app.get('/threads/:threadId/approvals', async (c) => c.json({ approvals: await coordinator.pendingApprovals(c.req.param('threadId')) }));

  app.post('/threads/:threadId/approvals/:proposalId', limit, async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return jsonError(c, 400, 'invalid_json', 'The body must be JSON: { "action": "once" | "exact" | "tool" | "deny", "scope"?, "reason"? }.');
    }
    const parsed = approvalBodySchema.safeParse(body);
    if (!parsed.success) return jsonError(c, 400, 'invalid_approval', `Invalid approval: ${describeIssues(parsed.error)}. Send { "action": "once" | "exact" | "tool" | "deny", "scope"?: "session" | "project" | "user", "reason"? }.`);
    const { expiresAt, ...rest } = parsed.data as typeof parsed.data & { expiresAt?: string };
    const response = { ...rest, ...(expiresAt ? { expiresAt: new Date(expiresAt) } : {}) } as PermissionResponse;
    const { threadId, proposalId } = c.req.param();
    const delivered = await coordinator.answer(threadId, proposalId, response);
    if (!delivered) return jsonError(c, 404, 'no_pending_approval', `No run of thread ${threadId} waits for an answer to ${proposalId} (never asked, already answered, timed out, or the run ended).`);
    return c.json({ ok: true, threadId, proposalId, action: response.action });
  });

  app.post(agentPath, limit, async (c) => {
    if (draining) return jsonError(c, 503, 'shutting_down', 'The server is shutting down; retry on another instance.');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return jsonError(c, 400, 'invalid_json', 'The body must be an AG-UI RunAgentInput as JSON.');
    }
    const parsed = RunAgentInputSchema.safeParse(body);
    if (!parsed.success) return jsonError(c, 400, 'invalid_run_input', `Invalid RunAgentInput: ${describeIssues(parsed.error)}.`);
    const input = parsed.data as RunAgentInput;
    if (input.threadId === '' || input.threadId.length > MAX_THREAD_ID_LENGTH)
      return jsonError(c, 400, 'invalid_thread_id', `threadId must be 1 to ${MAX_THREAD_ID_LENGTH} characters.`);
    let prompt: string;
    try {
      prompt = promptOf(input);
    } catch (e) {
      if (e instanceof RunInputError) return jsonError(c, 400, 'invalid_run_input', e.message);
      throw e;
    }
    const lease = await coordinator.tryLock(input.threadId);
    if (!lease) return jsonError(c, 409, 'thread_busy', `Thread ${input.threadId} already has a run in progress; wait for it to finish (or answer its approval) and retry.`);
    let agent: Agent;
    try {
      agent = await options.agentFactory(input.threadId, input);
    } catch (e) {
      await lease.release();
      throw e;
    }

    const controller = new AbortController();
    let finish!: () => void;
    const run: ActiveRun = { threadId: input.threadId, runId: input.runId, controller, done: new Promise<void>((r) => (finish = r)) };
    active.add(run);
    const onClientGone = () => controller.abort(new ClientDisconnectedError());
    c.req.raw.signal.addEventListener('abort', onClientGone, { once: true });

    return streamSSE(c, async (stream) => {
      stream.onAbort(onClientGone);
      const heartbeat = setInterval(() => void stream.write(': keepalive\n\n').catch(() => {}), heartbeatMs);
      heartbeat.unref?.();
      try {
        await runOnStream(stream, agent, input, prompt, controller, coordinator, options.streamReasoning ?? true, logError);
      } finally {
        clearInterval(heartbeat);
        c.req.raw.signal.removeEventListener('abort', onClientGone);
        await lease.release().catch(logError);
        active.delete(run);
        finish();
      }
    });
  });

  const mixtape: MixtapeServer = {
    app,
    fetch: app.fetch,
    get activeRuns() {
      return active.size;
    },
    get draining() {
      return draining;
    },
    async shutdown({ graceMs = DEFAULT_SHUTDOWN_GRACE_MS } = {}) {
      draining = true;
      const allDone = () => Promise.all([...active].map((r) => r.done));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([allDone(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
      for (const r of active) r.controller.abort(new ServerShutdownError());
      await allDone();
      if (ownCoordinator) await coordinator.close();
    },
    serve: (serveOptions) => serve(mixtape, serveOptions),
  };
  return mixtape;
}

/** Runs the agent and writes its events to the SSE stream as AG-UI events. */
async function runOnStream(
  stream: SSEStreamingApi,
  agent: Agent,
  input: RunAgentInput,
  prompt: string,
  controller: AbortController,
  coordinator: RunCoordinator,
  reasoning: boolean,
  logError: (e: unknown) => void,
): Promise<void> {
  const { threadId, runId } = input;
  const write = async (event: BaseEvent) => {
    if (stream.aborted || stream.closed) return;
    await stream.writeSSE({ data: JSON.stringify({ timestamp: Date.now(), ...event }) }).catch(() => {});
  };
  const translator = new AguiTranslator(threadId, runId, reasoning);
  const withdrawals = new Map<string, () => Promise<void>>();
  const withdraw = async (proposalId: string) => {
    const w = withdrawals.get(proposalId);
    withdrawals.delete(proposalId);
    await w?.().catch(() => {});
  };

  await write({ type: EventType.RUN_STARTED, threadId, runId, protocolVersion: PROTOCOL_VERSION } as BaseEvent);
  const events = agent.stream(prompt, { signal: controller.signal });
  try {
    for await (const e of events as AsyncIterable<AgentEvent>) {
      if (e.type === 'permission_required') {
        const proposalId = e.proposalId;
        const info = { proposalId, toolName: e.toolName, toolCallId: e.toolUseId, params: e.params, ...(e.display !== undefined ? { display: e.display } : {}) };
        // Registered before the event is written: an answer cannot arrive before it is expected.
        withdrawals.set(proposalId, await coordinator.expectApproval(threadId, info, (response) => agent.respondToPermission(proposalId, response)));
      } else if (e.type === 'permission_granted' || e.type === 'permission_denied') {
        await withdraw(e.toolUseId);
      }
      for (const out of translator.translate(e)) await write(out);
    }
    const result = await events.result;
    if (result.sessionId !== undefined && result.sessionId !== threadId) {
      logError(
        new ServerConfigError(
          `agentFactory made an agent whose session is ${result.sessionId}, not the thread ${threadId}: other instances will not find this conversation. Pass sessionId: threadId (and the server's sessionStore) to new Agent.`,
        ),
      );
    }
    for (const out of translator.closeText()) await write(out);
    const info = agent.sessionInfo();
    await write({
      type: EventType.STATE_SNAPSHOT,
      snapshot: {
        mixtape: {
          sessionId: result.sessionId ?? threadId,
          messageCount: info?.messageCount ?? null,
          steps: result.steps,
          usage: { inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens },
          costUsd: result.cost ?? null,
        },
      },
    } as BaseEvent);
    await write({ type: EventType.RUN_FINISHED, threadId, runId, result: result.text, usage: tokenUsage(result.usage, agent.model?.provider ?? 'unknown', agent.model?.modelId ?? 'unknown') } as BaseEvent);
  } catch (error) {
    // If the failure is ours (e.g. the coordinator lost its database), stop the agent too, and
    // let it finish before the thread's lock is released: one run per thread, always.
    if (!controller.signal.aborted) controller.abort(error);
    await events.result.catch(() => {});
    for (const out of translator.closeText()) await write(out);
    const reason = controller.signal.reason;
    if (controller.signal.aborted && reason instanceof ServerShutdownError) {
      await write({ type: EventType.RUN_FINISHED, threadId, runId, outcome: { type: 'cancelled' }, metadata: { mixtape: { message: reason.message } } } as BaseEvent);
    } else if (controller.signal.aborted && (error instanceof AgentAbortedError || reason instanceof ClientDisconnectedError)) {
      // Nobody is listening any more; nothing to write.
    } else {
      const e = error as Error & { kind?: string };
      await write({ type: EventType.RUN_ERROR, message: e?.message ?? String(error), code: e?.kind ?? e?.name ?? 'error' } as BaseEvent);
    }
  } finally {
    await Promise.all([...withdrawals.keys()].map(withdraw));
  }
}
