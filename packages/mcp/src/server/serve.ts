/**
 * Serving Mixtape over MCP transports: stdio (a child process of an MCP client) and Streamable
 * HTTP on a local port (one SDK server per session).
 * @module
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createMixtapeMcpServer, type MixtapeMcpServerOptions } from './mixtape-server.js';

/** Largest JSON-RPC request body the HTTP server accepts. */
export const DEFAULT_MCP_HTTP_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Most MCP sessions one HTTP server keeps open at once. */
export const DEFAULT_MCP_HTTP_MAX_SESSIONS = 100;

/**
 * Serves over stdin/stdout until the client closes them. Nothing else may write to stdout.
 * @returns a function that closes the server.
 */
export async function serveMcpStdio(
  options: MixtapeMcpServerOptions,
  io: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream } = {},
): Promise<{ closed: Promise<void>; close(): Promise<void> }> {
  const server = createMixtapeMcpServer(options);
  const transport = new StdioServerTransport(io.stdin as never, io.stdout as never);
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  await server.connect(transport);
  return { closed, close: () => server.close() };
}

/** Options of {@link serveMcpHttp}. */
export interface ServeMcpHttpOptions extends MixtapeMcpServerOptions {
  /** Port (default 0: any free port). */
  port?: number;
  /** Address to listen on (default `127.0.0.1`). */
  host?: string;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Path of the endpoint (default `/mcp`). */
  path?: string;
}

function sameToken(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(`Bearer ${expected}`);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > DEFAULT_MCP_HTTP_MAX_BODY_BYTES) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    throw Object.assign(new Error('body is not JSON'), { status: 400 });
  }
}

function jsonError(res: ServerResponse, status: number, message: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

/**
 * Serves over Streamable HTTP at `http://<host>:<port><path>` with sessions (DELETE ends one).
 * Requests whose `Host` is not the listening address, or (with `token`) without the bearer
 * token, are refused.
 */
export async function serveMcpHttp(options: ServeMcpHttpOptions): Promise<{ url: string; close(): Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  const endpoint = options.path ?? '/mcp';
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let allowedHosts: string[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== endpoint)
      return jsonError(res, 404, `Not found; the MCP endpoint is ${endpoint}`);
    if (!allowedHosts.includes(req.headers.host ?? '')) return jsonError(res, 403, 'Host not allowed');
    if (options.token !== undefined && !sameToken(req.headers.authorization, options.token)) {
      res.setHeader('www-authenticate', 'Bearer');
      return jsonError(res, 401, 'Missing or wrong bearer token');
    }
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const sessionId = req.headers['mcp-session-id'];
    let transport = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (!transport) {
      if (typeof sessionId === 'string') return jsonError(res, 404, 'Session not found');
      if (req.method !== 'POST' || !isInitializeRequest(body)) return jsonError(res, 400, 'No session: send initialize first');
      if (sessions.size >= DEFAULT_MCP_HTTP_MAX_SESSIONS) return jsonError(res, 503, 'Too many open MCP sessions');
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, created),
      });
      created.onclose = () => {
        if (created.sessionId) sessions.delete(created.sessionId);
      };
      await createMixtapeMcpServer(options).connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = (error as { status?: number }).status ?? 500;
      if (!res.headersSent) jsonError(res, status, (error as Error).message);
      if (status === 500)
        (options.onError ?? ((e: Error) => process.emitWarning(e.message, { code: 'MIXTAPE_MCP_SERVER' })))(error as Error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, resolve);
  });
  const { port } = http.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  allowedHosts = [`${shown}:${port}`, ...(host === '127.0.0.1' || host === '::1' ? [`localhost:${port}`] : [])];
  return {
    url: `http://${shown}:${port}${endpoint}`,
    close: async () => {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
