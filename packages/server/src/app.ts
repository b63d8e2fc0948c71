/**
 * `createServer`: the Hono app that serves Mixtape agents over AG-UI. Routes check the request,
 * then move bytes: what the events say is decided in `agui.ts`, how a run executes in `run.ts`.
 * @module
 */
import type { RunAgentInput } from '@ag-ui/core';
import { context as otelContext, propagation } from '@opentelemetry/api';
import { RunAgentInputSchema } from '@ag-ui/core/schemas';
import type { Agent, PermissionResponse } from '@mixtape/core';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { stream as streamBytes } from 'hono/streaming';
import { z } from 'zod';
import { chatPageHtml } from './chat-page.js';
import { MemoryRunCoordinator, type RunCoordinator } from './coordinator.js';
import { AguiMapper, openInterrupts, ResumeInputError } from './agui.js';
import { toAguiMessages } from './messages.js';
import {
  DEFAULT_AGENT_PATH,
  DEFAULT_ALLOWED_HOSTS,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_SSE_HEARTBEAT_MS,
  type Principal,
  ServerConfigError,
  type ServerOptions,
} from './options.js';
import { DEFAULT_MAX_PARKED_EVENTS, DEFAULT_QUESTION_WAIT_MS, QUESTION_INTERRUPT_PREFIX, QuestionDesk } from './questions.js';
import { ClientDisconnectedError, type EventSink, executeRun, type RunParking, ServerShutdownError } from './run.js';
import { RunChannel } from './run-channel.js';
import { durableRunExecutor } from './durable/executor.js';
import { type ParsedRunInput, parseRunInput, RunInputError } from './run-input.js';
import { hostAllowed, isJsonContentType, makeAuthenticator, originAllowed, sessionIdOf, threadIdProblem } from './security.js';
import { type RunningServer, type ServeOptions, serve } from './serve.js';
import { EventWire, negotiateEncoding, PROTO_MEDIA_TYPE, SSE_MEDIA_TYPE } from './wire.js';

type Encoding = 'sse' | 'proto';
/** Hono's handle on a streamed response. */
type StreamingApi = Parameters<Parameters<typeof streamBytes>[1]>[0];

export { ClientDisconnectedError, ServerShutdownError };

/** The body of `POST /threads/:threadId/approvals/:proposalId` (`approvals: 'wait'`). */
export const approvalBodySchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('once') }),
  z.object({
    action: z.literal('exact'),
    scope: z.enum(['session', 'project', 'user']).optional(),
    expiresAt: z.iso.datetime().optional(),
  }),
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
  controller: AbortController;
  done: Promise<void>;
}

/** A run of this process that can park on questions its tools ask (the server has `questions`). */
interface LiveRun {
  parking: RunParking;
  controller: AbortController;
  /** Its response was let go of: the next request of the thread may answer its questions. */
  parked: boolean;
  /** Its questions all ended unanswered: it finishes on its own, unseen. */
  abandoned: boolean;
  /** Resolves when the run ended. */
  done: Promise<void>;
  /** Marks the run no longer active once it ended (called when a response of it closed). */
  settleIfEnded(): void;
}

/** What {@link createServer} returns. */
export interface MixtapeServer {
  /** The Hono app (mount it, or pass `app.fetch` to any server). */
  app: Hono<Env>;
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
  /** Accepts `host` in the Host header from now on (`serve` calls it with its listen host). */
  allowHost(host: string): void;
  /** Listens on `host:port` (host default 127.0.0.1); same as `serve(server, options)`. */
  serve(options: ServeOptions): Promise<RunningServer>;
}

/** Hono variables set by the server's middleware. */
type Env = { Variables: { principal: Principal } };

type ErrorStatus = 400 | 401 | 403 | 404 | 406 | 409 | 413 | 415 | 500 | 503;
function jsonError(c: Context, status: ErrorStatus, error: string, message: string, headers?: Record<string, string>) {
  return c.json({ error, message }, status, headers);
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
 * - `POST /agent` (see `agentPath`): an AG-UI `RunAgentInput` in; AG-UI events out, as SSE or
 *   (with `Accept: application/vnd.ag-ui.event+proto`) protobuf. A run starts from a new user
 *   message, or continues a paused one from `resume[]` answers or client `tool` messages.
 * - `GET /threads/:threadId/messages`: the thread's history as AG-UI messages (same ids as streamed).
 * - `GET /threads/:threadId/interrupts`: the AG-UI interrupts the thread waits for (a reloaded page shows them again).
 * - `POST /threads/:threadId/approvals/:proposalId`, `GET /threads/:threadId/approvals`: answers
 *   to runs that wait in process (`approvals: 'wait'`).
 * - `GET /health` (no auth): `{ status: 'ok' | 'draining', activeRuns }`.
 * - `GET /` (no auth): the web chat page.
 *
 * Every API request is authenticated (see `auth`), its Host and Origin are checked (DNS
 * rebinding, cross-site requests) and POST bodies must be JSON. See the package README for the
 * wire contract.
 */
export function createServer(options: ServerOptions): MixtapeServer {
  if (!options || typeof options.agentFactory !== 'function')
    throw new ServerConfigError('createServer needs agentFactory: (sessionId) => new Agent({ ..., sessionStore, sessionId }).');
  if (!options.sessionStore) throw new ServerConfigError('createServer needs the sessionStore the agents use.');
  const auth = makeAuthenticator(options.auth);
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!(Number.isInteger(bodyLimitBytes) && bodyLimitBytes > 0))
    throw new ServerConfigError(`bodyLimitBytes must be a positive integer, got ${bodyLimitBytes}.`);
  const approvals = options.approvals ?? 'interrupt';
  if (approvals !== 'interrupt' && approvals !== 'wait')
    throw new ServerConfigError(`approvals must be 'interrupt' or 'wait', got ${String(approvals)}.`);
  const agentPath = options.agentPath ?? DEFAULT_AGENT_PATH;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS;
  const ownCoordinator = !options.coordinator;
  const coordinator: RunCoordinator = options.coordinator ?? new MemoryRunCoordinator();
  const execute = options.durable ? durableRunExecutor(options.durable) : executeRun;
  // Without an onError, failed runs go to standard error: a server must not lose them.
  // eslint-disable-next-line no-console
  const logError = options.onError ?? ((e: unknown, context?: object) => console.error('[mixtape/server]', e, context ?? ''));
  const allowedHosts: Set<string> | '*' =
    options.allowedHosts === '*' ? '*' : new Set((options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS).map((h) => h.toLowerCase()));
  const allowedOrigins: ReadonlySet<string> | '*' = options.allowedOrigins === '*' ? '*' : new Set(options.allowedOrigins ?? []);
  const active = new Set<ActiveRun>();
  let draining = false;
  const questionWaitMs = options.questionWaitMs ?? DEFAULT_QUESTION_WAIT_MS;
  if (!(Number.isInteger(questionWaitMs) && questionWaitMs > 0))
    throw new ServerConfigError(`questionWaitMs must be a positive integer, got ${questionWaitMs}.`);
  /** Runs of this process by session id, for the questions their tools ask. */
  const live = new Map<string, LiveRun>();
  const stopQuestions = options.questions?.onQuestion((question) => {
    const liveRun = question.sessionId !== undefined ? live.get(question.sessionId) : undefined;
    if (!liveRun || liveRun.parking.desk.closed || liveRun.abandoned) return false;
    liveRun.parking.desk.add(question);
    return true;
  });

  const app = new Hono<Env>();
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    logError(err);
    return jsonError(c, 500, 'internal_error', 'The server failed to handle this request; see its log.');
  });
  app.notFound((c) => jsonError(c, 404, 'not_found', `No route ${c.req.method} ${c.req.path}.`));

  // The Host header (or, for a Request handed to `fetch` in process, the URL's host).
  const hostOf = (c: Context<Env>) => c.req.header('host') ?? new URL(c.req.url).host;
  const checkHost: MiddlewareHandler<Env> = async (c, next) => {
    if (!hostAllowed(hostOf(c), allowedHosts))
      return jsonError(c, 403, 'host_not_allowed', `Host "${hostOf(c).slice(0, 100)}" is not one this server answers to (allowedHosts).`);
    await next();
  };
  const checkRequest: MiddlewareHandler<Env> = async (c, next) => {
    if (!originAllowed(c.req.header('origin'), hostOf(c), allowedOrigins))
      return jsonError(
        c,
        403,
        'origin_not_allowed',
        `Requests from ${(c.req.header('origin') ?? '').slice(0, 200)} are not allowed (allowedOrigins).`,
      );
    if (c.req.method === 'POST' && !isJsonContentType(c.req.header('content-type')))
      return jsonError(c, 415, 'unsupported_media_type', 'The body must be JSON, sent with Content-Type: application/json.');
    const principal = await auth.authenticate(c.req.raw);
    if (!principal)
      return jsonError(
        c,
        401,
        'unauthorized',
        auth.kind === 'token' ? "Send Authorization: Bearer <token> with the server's token." : 'The request is not authenticated.',
        { 'WWW-Authenticate': 'Bearer' },
      );
    c.set('principal', principal);
    await next();
  };
  const checkThreadParam: MiddlewareHandler<Env> = async (c, next) => {
    const problem = threadIdProblem(c.req.param('threadId'));
    if (problem) return jsonError(c, 400, 'invalid_thread_id', problem);
    await next();
  };
  const limit = bodyLimit({
    maxSize: bodyLimitBytes,
    onError: (c) => jsonError(c, 413, 'body_too_large', `The request body exceeds ${bodyLimitBytes} bytes (the server's bodyLimitBytes).`),
  });

  app.get('/health', (c) => c.json({ status: draining ? 'draining' : 'ok', activeRuns: active.size }, draining ? 503 : 200));
  if (options.chatPage !== false) app.get('/', checkHost, (c) => c.html(chatPageHtml({ agentPath, authRequired: auth.kind === 'token' })));

  app.use(agentPath, checkHost, checkRequest);
  app.use('/threads/*', checkHost, checkRequest);
  const sessionOf = (c: Context<Env>, threadId: string) => sessionIdOf(c.get('principal'), threadId, auth.namespaced);

  app.get('/threads/:threadId/messages', checkThreadParam, async (c) => {
    const threadId = c.req.param('threadId');
    const session = await options.sessionStore.getSession(sessionOf(c, threadId));
    if (!session) return jsonError(c, 404, 'thread_not_found', `No thread ${threadId}.`);
    return c.json({ threadId, messages: toAguiMessages(threadId, session.messages) });
  });

  app.get('/threads/:threadId/interrupts', checkThreadParam, async (c) => {
    const sessionId = sessionOf(c, c.req.param('threadId'));
    // Questions of a run parked in this process, then the approvals kept in the store.
    const liveRun = live.get(sessionId);
    const questions = liveRun?.parked && !liveRun.abandoned ? liveRun.parking.desk.shown() : [];
    return c.json({ interrupts: [...questions, ...(await openInterrupts(options.sessionStore, sessionId))] });
  });

  app.get('/threads/:threadId/approvals', checkThreadParam, async (c) =>
    c.json({ approvals: await coordinator.pendingApprovals(sessionOf(c, c.req.param('threadId'))) }),
  );

  app.post('/threads/:threadId/approvals/:proposalId', checkThreadParam, limit, async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return jsonError(
        c,
        400,
        'invalid_json',
        'The body must be JSON: { "action": "once" | "exact" | "tool" | "deny", "scope"?, "reason"? }.',
      );
    }
    const parsed = approvalBodySchema.safeParse(body);
    if (!parsed.success)
      return jsonError(
        c,
        400,
        'invalid_approval',
        `Invalid approval: ${describeIssues(parsed.error)}. Send { "action": "once" | "exact" | "tool" | "deny", "scope"?: "session" | "project" | "user", "reason"? }.`,
      );
    const { expiresAt, ...rest } = parsed.data as typeof parsed.data & { expiresAt?: string };
    const response = { ...rest, ...(expiresAt ? { expiresAt: new Date(expiresAt) } : {}) } as PermissionResponse;
    const { threadId, proposalId } = c.req.param();
    const delivered = await coordinator.answer(sessionOf(c, threadId), proposalId, response);
    if (!delivered)
      return jsonError(
        c,
        404,
        'no_pending_approval',
        `No run of thread ${threadId} waits for an answer to ${proposalId} (never asked, already answered, timed out, or the run ended).`,
      );
    return c.json({ ok: true, threadId, proposalId, action: response.action });
  });

  app.post(agentPath, limit, async (c) => {
    if (draining) return jsonError(c, 503, 'shutting_down', 'The server is shutting down; retry on another instance.');
    const encoding = negotiateEncoding(c.req.header('accept'));
    if (!encoding)
      return jsonError(
        c,
        406,
        'not_acceptable',
        `This endpoint answers with ${SSE_MEDIA_TYPE} or ${PROTO_MEDIA_TYPE}; the Accept header allows neither.`,
      );
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return jsonError(c, 400, 'invalid_json', 'The body must be an AG-UI RunAgentInput as JSON.');
    }
    const threadProblem = threadIdProblem((body as { threadId?: unknown } | null)?.threadId);
    if (threadProblem) return jsonError(c, 400, 'invalid_thread_id', threadProblem);
    const schema = RunAgentInputSchema.safeParse(body);
    if (!schema.success) return jsonError(c, 400, 'invalid_run_input', `Invalid RunAgentInput: ${describeIssues(schema.error)}.`);
    const input = schema.data as RunAgentInput;
    let parsed;
    try {
      parsed = parseRunInput(input, options.limits);
    } catch (e) {
      if (e instanceof RunInputError) return jsonError(c, e.status, e.code, e.message);
      throw e;
    }
    const principal = c.get('principal');
    const sessionId = sessionOf(c, input.threadId);
    const liveRun = live.get(sessionId);
    if (liveRun?.parked) return answerParked(c, liveRun, input, parsed, encoding);
    const lease = await coordinator.tryLock(sessionId);
    if (!lease) {
      const answersQuestion =
        parsed.request.kind === 'continue' && parsed.request.resume.some((r) => r.interruptId.startsWith(QUESTION_INTERRUPT_PREFIX));
      return jsonError(
        c,
        409,
        'thread_busy',
        answersQuestion
          ? `Thread ${input.threadId} has a run parked on a tool's question in another server instance; only that instance can answer it: route a thread's requests to one instance (e.g. by threadId), or retry after the question expires.`
          : `Thread ${input.threadId} already has a run in progress; wait for it to finish (or answer its approval) and retry.`,
      );
    }
    let agent: Agent;
    try {
      agent = await options.agentFactory(sessionId, input, { threadId: input.threadId, principal });
      const serverTools = new Set(agent.tools.map((t) => t.name));
      const shadowing = parsed.clientTools.filter((t) => serverTools.has(t.name)).map((t) => t.name);
      if (shadowing.length) {
        await lease.release();
        return jsonError(
          c,
          400,
          'tool_name_conflict',
          `Client tool(s) ${shadowing.map((n) => `"${n}"`).join(', ')} have the name of a server tool; rename them (a client tool never replaces a server tool).`,
        );
      }
    } catch (e) {
      await lease.release();
      throw e;
    }

    const controller = new AbortController();
    let finish!: () => void;
    const run: ActiveRun = { controller, done: new Promise<void>((r) => (finish = r)) };
    active.add(run);
    let ended = false;
    /** The run counts as active until it ended and its last response closed (shutdown then closes connections). */
    const settle = () => {
      active.delete(run);
      finish();
    };
    const wire = new EventWire(encoding);
    setStreamHeaders(c, wire);

    return streamBytes(c, async (out) => {
      const response = openResponse(out, wire);
      const parking: RunParking | undefined = options.questions
        ? { desk: new QuestionDesk(questionWaitMs), channel: new RunChannel(response) }
        : undefined;
      // A client that leaves cancels the run, unless the run let its response go (it is parked).
      const onClientGone = () => {
        if (!parking || parking.channel.isAttachedTo(response)) controller.abort(new ClientDisconnectedError());
      };
      c.req.raw.signal.addEventListener('abort', onClientGone, { once: true });
      out.onAbort(onClientGone);
      const liveRun: LiveRun | undefined = parking
        ? {
            parking,
            controller,
            parked: false,
            abandoned: false,
            done: run.done,
            settleIfEnded: () => {
              if (ended) settle();
            },
          }
        : undefined;
      if (liveRun) {
        live.set(sessionId, liveRun);
        parking!.desk.onAbandoned = () => {
          // Every question ended unanswered (the wait limit, or the tool stopped waiting): nobody
          // can resume this run, so it finishes on its own and only the session store keeps it.
          liveRun.abandoned = true;
          parking!.channel.drop();
        };
        parking!.channel.onOverflow = () =>
          controller.abort(
            new Error(`The parked run produced more than ${DEFAULT_MAX_PARKED_EVENTS} events while it waited; it was cancelled.`),
          );
      }
      const done = (async () => {
        try {
          // The run's spans continue the caller's trace (W3C traceparent), when tracing is on.
          const traceContext = propagation.extract(otelContext.active(), Object.fromEntries(c.req.raw.headers));
          await otelContext.with(traceContext, () =>
            execute(
              {
                agent,
                input,
                parsed,
                sessionId,
                principal,
                sessionStore: options.sessionStore,
                approvals,
                reasoning: options.streamReasoning ?? true,
                controller,
                coordinator,
                logError,
                ...(parking ? { parking } : {}),
              },
              parking?.channel ?? response,
            ),
          );
        } finally {
          if (liveRun && live.get(sessionId) === liveRun) live.delete(sessionId);
          await lease.release().catch((e: unknown) => logError(e, { threadId: input.threadId, runId: input.runId }));
          ended = true;
          // Ended while parked: no response will close after it.
          if (liveRun?.parked) settle();
        }
      })();
      if (liveRun) liveRun.done = done;
      try {
        await untilEndedOrParked(done, parking, liveRun);
      } finally {
        response.stop();
        c.req.raw.signal.removeEventListener('abort', onClientGone);
        await out.close();
        if (ended) settle();
      }
    });
  });

  /**
   * A request for a thread whose run is parked in this process on questions its tools asked:
   * a resume answering them continues that run in this response; anything else is refused.
   */
  function answerParked(c: Context<Env>, liveRun: LiveRun, input: RunAgentInput, parsed: ParsedRunInput, encoding: Encoding) {
    const { desk, channel } = liveRun.parking;
    if (liveRun.abandoned && parsed.request.kind === 'prompt')
      return jsonError(
        c,
        409,
        'thread_busy',
        `Thread ${input.threadId} still has a run finishing after its question went unanswered; wait for it to finish and retry.`,
      );
    const wire = new EventWire(encoding);
    setStreamHeaders(c, wire);
    return streamBytes(c, async (out) => {
      const response = openResponse(out, wire);
      const onClientGone = () => {
        if (channel.isAttachedTo(response)) liveRun.controller.abort(new ClientDisconnectedError());
      };
      c.req.raw.signal.addEventListener('abort', onClientGone, { once: true });
      out.onAbort(onClientGone);
      try {
        const problem =
          parsed.request.kind === 'prompt'
            ? {
                code: 'pending' as const,
                message: `This thread's run waits for answers to the questions its tools asked; answer them with resume (or cancel them with status "cancelled") before sending a new message.`,
              }
            : desk.check(parsed.request.resume);
        if ('code' in problem) {
          const error = new ResumeInputError(problem.message, problem.code);
          logError(error, { threadId: input.threadId, runId: input.runId, principalId: c.get('principal').id });
          const mapper = new AguiMapper({ threadId: input.threadId, runId: input.runId, reasoning: false, nextMessageIndex: 0 });
          for (const e of [mapper.runStarted(), ...mapper.failed(error)]) await response.write(e);
          return;
        }
        liveRun.parked = false;
        problem.apply();
        await channel.attach(response, liveRun.parking.opening?.(input.runId) ?? []);
        desk.attached();
        await untilEndedOrParked(liveRun.done, liveRun.parking, liveRun);
      } finally {
        response.stop();
        c.req.raw.signal.removeEventListener('abort', onClientGone);
        await out.close();
        liveRun.settleIfEnded();
      }
    });
  }

  /** Waits until the run ended or let this response go (parked on questions). */
  async function untilEndedOrParked(done: Promise<void>, parking: RunParking | undefined, liveRun: LiveRun | undefined): Promise<void> {
    if (!parking || !liveRun) return done;
    const parked = await Promise.race([done.then(() => false), parking.channel.released().then(() => true)]);
    if (parked) {
      liveRun.parked = true;
      liveRun.settleIfEnded();
    }
  }

  /** Response headers of an event stream. */
  function setStreamHeaders(c: Context<Env>, wire: EventWire): void {
    c.header('Content-Type', wire.contentType);
    c.header('Cache-Control', 'no-cache');
    c.header('X-Accel-Buffering', 'no');
  }

  /** The sink of one streamed response, with its heartbeat. */
  function openResponse(out: StreamingApi, wire: EventWire): EventSink & { stop(): void } {
    const write = async (bytes: Uint8Array | string) => {
      if (out.aborted || out.closed) return;
      await out.write(bytes).catch(() => undefined); // the client left: the abort handler cancels the run
    };
    const beat = wire.heartbeat();
    const heartbeat = beat ? setInterval(() => void write(beat), heartbeatMs) : undefined;
    heartbeat?.unref?.();
    return { write: (event) => write(wire.encode(event)), stop: () => clearInterval(heartbeat) };
  }

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
      stopQuestions?.();
      for (const r of active) r.controller.abort(new ServerShutdownError());
      await allDone();
      if (ownCoordinator) await coordinator.close();
    },
    allowHost(host: string) {
      if (allowedHosts !== '*') allowedHosts.add(host.toLowerCase());
    },
    serve: (serveOptions) => serve(mixtape, serveOptions),
  };
  return mixtape;
}
