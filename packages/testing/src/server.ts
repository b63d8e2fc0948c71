/**
 * The loopback HTTP server under every fake provider: binds 127.0.0.1 on a free port, records
 * each request, writes SSE events one by one and injects faults.
 * @module
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { FakeScript, type ScriptedResponse, type StreamFault } from './script.js';

/** Largest request body a fake server accepts. */
export const MAX_FAKE_REQUEST_BYTES = 64 * 1024 * 1024;

/** One request a fake server received. */
export interface RecordedRequest {
  method: string;
  /** Path with query, e.g. '/v1/messages'. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when the body is empty or not JSON). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary fields of recorded JSON bodies
  body: any;
  /** The API key the client sent (x-api-key, or Authorization: Bearer). */
  apiKey?: string;
  /** Settles when the exchange ends: 'completed' when the server finished the response, 'client_closed' when the client went away first. */
  ended: Promise<'completed' | 'client_closed'>;
}

/** A running fake provider server. */
export interface FakeServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** What to pass as the SDK's baseURL (the OpenAI server adds '/v1'). */
  baseURL: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** The responses to serve, in order. */
  script: FakeScript;
  /** Stops the server and destroys open connections (stalled streams included). */
  close(): Promise<void>;
}

/** Options shared by the fake servers. */
export interface FakeServerOptions {
  /** When set, requests must carry this API key or get 401. */
  apiKey?: string;
  /** Responses queued before the first request (e.g. from a cassette). */
  responses?: ScriptedResponse[];
  /** Called with each request as soon as its body has been read (before any response byte). */
  onRequest?: (request: RecordedRequest) => void;
  /**
   * How long an idle keep-alive connection stays open (default: Node's 5 s). Raise it when a
   * starved client (e.g. 1,000 conversations on 2 cores) reuses sockets late.
   */
  keepAliveTimeoutMs?: number;
}

/** Writes SSE events with fault injection. */
export class SseWriter {
  private count = 0;
  private stopped = false;
  /** Whether everything written so far has reached the socket. */
  private flushed = true;
  private onFlushed: (() => void) | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly fault: StreamFault | undefined,
    private readonly faultEvent: () => string,
  ) {}

  /** Whether a fault has stopped the stream; the renderer stops writing. */
  get done(): boolean {
    return this.stopped;
  }

  /** Writes one raw SSE event text (ending in a blank line), unless a fault fires first. */
  write(raw: string): void {
    if (this.stopped) return;
    if (this.fault && this.count >= this.fault.afterEvents) {
      this.fire(this.fault);
      return;
    }
    this.flushed = false;
    this.res.write(raw, () => {
      this.flushed = true;
      const f = this.onFlushed;
      this.onFlushed = undefined;
      f?.();
    });
    this.count++;
  }

  /** Ends the stream normally (a pending fault with a larger `afterEvents` fires instead). */
  end(): void {
    if (this.stopped) return;
    if (this.fault) {
      this.fire(this.fault);
      return;
    }
    this.res.end();
  }

  private fire(fault: StreamFault): void {
    this.stopped = true;
    switch (fault.kind) {
      case 'reset': {
        // Let the events already written reach the client first, as on a real connection.
        const socket = this.res.socket;
        if (this.flushed) socket?.destroy();
        else this.onFlushed = () => socket?.destroy();
        return;
      }
      case 'malformed':
        this.res.end('data: {"type": "content_block_delta", "index": 0, "delta": {\n\n');
        return;
      case 'stall':
        return;
      case 'error_event':
        this.res.end(this.faultEvent());
        return;
    }
  }
}

/** What a provider-specific handler does with one request. */
export type FakeHandler = (req: RecordedRequest, res: ServerResponse, next: ScriptedResponse | undefined) => Promise<void> | void;

type MessageAnswer = Extract<ScriptedResponse, { type: 'message' }>;
type Render = (req: RecordedRequest, res: ServerResponse, message: MessageAnswer, id: number) => void;

/**
 * The route of a provider's messages endpoint: POST `path` answers with the next scripted
 * message (tool uses without an id get `<toolIdPrefix><n>`), streamed when the request asks.
 * `nextId` numbers the responses (shared with the provider's error bodies).
 */
export function messageRoute(
  path: string,
  toolIdPrefix: string,
  nextId: () => number,
  render: { stream: Render; json: Render },
): (method: string, path: string) => FakeHandler | undefined {
  let toolIds = 0;
  const handler: FakeHandler = (req, res, next) => {
    if (next?.type !== 'message') return;
    const id = nextId();
    const content = next.content.map((b) =>
      b.type === 'tool_use' && b.id === undefined ? { ...b, id: `${toolIdPrefix}${++toolIds}` } : b,
    );
    const message = { ...next, content };
    if ((req.body as { stream?: unknown } | undefined)?.stream) render.stream(req, res, message, id);
    else render.json(req, res, message, id);
  };
  return (method, p) => (method === 'POST' && p === path ? handler : undefined);
}

/** Starts a loopback server; `route` decides which requests take a scripted response. */
export async function startLoopbackServer(
  options: FakeServerOptions & {
    basePath: string;
    /** Returns a handler for the request, or undefined for 404. */
    route: (method: string, path: string) => FakeHandler | undefined;
    /** Writes a provider-shaped error body. */
    writeError: (res: ServerResponse, status: number, message: string, errorType?: string) => void;
    /** Whether a request without any key is rejected (Anthropic) or accepted (OpenAI-compatible). */
    requireKey: boolean;
  },
): Promise<FakeServer> {
  const script = new FakeScript();
  if (options.responses) script.push(...options.responses);
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) options.writeError(res, 500, `fake server failed: ${String(error)}`, 'api_error');
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_FAKE_REQUEST_BYTES) {
        options.writeError(res, 413, `request body larger than ${MAX_FAKE_REQUEST_BYTES} bytes`, 'request_too_large');
        return;
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    let parseFailed = false;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        parseFailed = true;
      }
    }
    let settle!: (v: 'completed' | 'client_closed') => void;
    const ended = new Promise<'completed' | 'client_closed'>((r) => (settle = r));
    res.on('close', () => settle(res.writableFinished ? 'completed' : 'client_closed'));
    const apiKey = keyOf(req.headers);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
      ...(apiKey !== undefined && { apiKey }),
      ended,
    };
    requests.push(recorded);
    options.onRequest?.(recorded);

    const handler = options.route(recorded.method, new URL(recorded.path, 'http://127.0.0.1').pathname);
    if (!handler) return options.writeError(res, 404, `fake server: no route for ${recorded.method} ${recorded.path}`, 'not_found_error');
    if (parseFailed) return options.writeError(res, 400, 'fake server: request body is not valid JSON', 'invalid_request_error');
    if (options.apiKey !== undefined ? apiKey !== options.apiKey : options.requireKey && !apiKey) {
      return options.writeError(res, 401, 'invalid x-api-key', 'authentication_error');
    }
    const next = script.shift();
    if (!next) {
      return options.writeError(
        res,
        400,
        'fake server: the script has no response left for this request; queue one with server.script.text(...) etc.',
        'invalid_request_error',
      );
    }
    if (next.type === 'reset') {
      req.socket.destroy();
      return;
    }
    const delay = next.type === 'http_error' ? next.firstByteDelayMs : next.options?.firstByteDelayMs;
    if (delay) {
      // Wait, but stop waiting when the client goes away.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const outcome = await Promise.race([new Promise<'waited'>((r) => (timer = setTimeout(() => r('waited'), delay))), ended]);
      clearTimeout(timer);
      if (outcome === 'client_closed') return;
    }
    if (next.type === 'http_error') {
      if (next.retryAfter !== undefined) res.setHeader('retry-after', String(next.retryAfter));
      if (next.retryAfterMs !== undefined) res.setHeader('retry-after-ms', String(next.retryAfterMs));
      if (next.shouldRetry !== undefined) res.setHeader('x-should-retry', String(next.shouldRetry));
      return options.writeError(res, next.status, next.message ?? `scripted HTTP ${next.status}`, next.errorType);
    }
    await handler(recorded, res, next);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake server: could not read its port');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    baseURL: url + options.basePath,
    requests,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function keyOf(headers: IncomingHttpHeaders): string | undefined {
  const x = headers['x-api-key'];
  if (typeof x === 'string' && x) return x;
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '');
  return undefined;
}

/** Formats one SSE event: `event: <name>` (when given) and `data: <json>`, then a blank line. */
export function sse(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

/** Starts an SSE response. */
export function startSse(res: ServerResponse, requestId: string): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'request-id': requestId,
    'x-request-id': requestId,
  });
  res.flushHeaders();
}

/** Writes a JSON response. */
export function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
