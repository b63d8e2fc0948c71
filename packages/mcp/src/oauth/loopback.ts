/**
 * The CLI's browser step of OAuth: a one-shot HTTP receiver on 127.0.0.1 that waits for the
 * authorization server's redirect and hands back the code.
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { McpAuthorizeCallback } from './provider.js';

/** Default port of the loopback redirect receiver (fixed, so a registration stays valid across runs). */
export const DEFAULT_MCP_OAUTH_CALLBACK_PORT = 33_418;

/** How long the receiver waits for the person to finish in the browser. */
export const DEFAULT_MCP_OAUTH_WAIT_MS = 300_000;

/** Options of {@link loopbackAuthorization}. */
export interface LoopbackAuthorizationOptions {
  /** Shows the URL to the person: opens a browser, prints it. */
  open(url: URL): void | Promise<void>;
  /** Port on 127.0.0.1 (default {@link DEFAULT_MCP_OAUTH_CALLBACK_PORT}). */
  port?: number;
  /** Give up after this many ms (default {@link DEFAULT_MCP_OAUTH_WAIT_MS}). */
  timeoutMs?: number;
}

/** Thrown when the browser step fails: the server answered with an error, the state differs, or time ran out. */
export class McpAuthorizationError extends Error {
  override name = 'McpAuthorizationError';
}

/**
 * The redirect URL and browser step for {@link McpOAuthOptions}: `authorize` starts a receiver on
 * `127.0.0.1:<port>/callback`, calls `open(url)`, and resolves with the code of the first
 * redirect whose `state` matches; the receiver closes right after.
 *
 * @example
 * const oauth = { store: new FileOAuthTokenStore(), ...loopbackAuthorization({ open: (url) => console.log(`Open ${url}`) }) };
 */
export function loopbackAuthorization(options: LoopbackAuthorizationOptions): { redirectUrl: string; authorize: McpAuthorizeCallback } {
  const port = options.port ?? DEFAULT_MCP_OAUTH_CALLBACK_PORT;
  const redirectUrl = `http://127.0.0.1:${port}/callback`;
  const authorize: McpAuthorizeCallback = async (url, { server, state }) => {
    let httpServer: Server | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const code = new Promise<string>((resolve, reject) => {
        httpServer = createServer((req, res) => {
          const got = new URL(req.url ?? '/', redirectUrl);
          if (got.pathname !== '/callback') {
            res.writeHead(404).end();
            return;
          }
          const error = got.searchParams.get('error');
          const value = got.searchParams.get('code');
          if (state !== undefined && got.searchParams.get('state') !== state) {
            res.writeHead(400, { 'content-type': 'text/plain' }).end('State mismatch: close this window and try again.');
            reject(
              new McpAuthorizationError(`The authorization redirect for MCP server '${server}' carried an unexpected state; refused.`),
            );
            return;
          }
          if (error !== null || value === null) {
            res.writeHead(400, { 'content-type': 'text/plain' }).end('Authorization failed: you can close this window.');
            reject(
              new McpAuthorizationError(
                `Authorization for MCP server '${server}' failed: ${error ?? 'no code in the redirect'} ${got.searchParams.get('error_description') ?? ''}`.trim(),
              ),
            );
            return;
          }
          res.writeHead(200, { 'content-type': 'text/plain' }).end('Signed in: you can close this window and return to Mixtape.');
          resolve(value);
        });
        httpServer.once('error', (e: NodeJS.ErrnoException) =>
          reject(
            new McpAuthorizationError(
              `Cannot listen on ${redirectUrl} for the OAuth redirect (${e.code ?? e.message}); pick another port.`,
            ),
          ),
        );
        timer = setTimeout(
          () =>
            reject(
              new McpAuthorizationError(
                `No authorization for MCP server '${server}' within ${options.timeoutMs ?? DEFAULT_MCP_OAUTH_WAIT_MS} ms.`,
              ),
            ),
          options.timeoutMs ?? DEFAULT_MCP_OAUTH_WAIT_MS,
        );
      });
      await new Promise<void>((resolve, reject) => {
        httpServer!.listen(port, '127.0.0.1', resolve);
        code.catch(reject);
      });
      await options.open(url);
      return await code;
    } finally {
      clearTimeout(timer);
      httpServer?.closeAllConnections();
      httpServer?.close();
    }
  };
  return { redirectUrl, authorize };
}
