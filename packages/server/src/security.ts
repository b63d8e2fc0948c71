/**
 * Request checks of the API: who is asking (bearer token or an `authenticate` hook), whether the
 * request may come from where it comes from (Host against DNS rebinding, Origin against CSRF),
 * JSON content type, and which thread ids are acceptable. All linear in the input.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { MAX_THREAD_ID_LENGTH, type Principal, ServerConfigError, type ServerAuth } from './options.js';

/** The principal of every request when `auth: { token }` is used. */
export const TOKEN_PRINCIPAL: Principal = Object.freeze({ id: 'token' });
/** The principal of every request when `auth: { disabled: true }` is used. */
export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({ id: 'anonymous' });

/** Resolves the principal of a request, or null (401). */
export type RequestAuthenticator = (request: Request) => Promise<Principal | null>;

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks a configured token: any characters an HTTP header can carry (Latin-1, no control
 * characters or spaces). RFC 6750's b64token set is not required: a token such as `p@ss#1` works.
 */
function checkToken(token: unknown): string {
  if (typeof token !== 'string' || token.length === 0)
    throw new ServerConfigError(
      'createServer needs auth: { token: "<secret>" } (clients send Authorization: Bearer <secret>), auth: { authenticate }, or auth: { disabled: true } to run without authentication.',
    );
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c > 0xff)
      throw new ServerConfigError(
        `auth.token has a character an HTTP header cannot carry (code ${c} at position ${i}): use printable ASCII or Latin-1 without spaces.`,
      );
  }
  return token;
}

/** The bearer token of an Authorization header, or null when the header is absent or not `Bearer <token>`. */
export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const m = /^bearer +(\S+) *$/i.exec(header);
  return m ? m[1]! : null;
}

/** Builds the authenticator of {@link ServerAuth}; throws {@link ServerConfigError} for unusable options. */
export function makeAuthenticator(auth: ServerAuth | undefined): {
  authenticate: RequestAuthenticator;
  namespaced: boolean;
  kind: 'token' | 'hook' | 'none';
} {
  const a = auth as { token?: unknown; disabled?: unknown; authenticate?: unknown } | undefined;
  if (a && typeof a.authenticate === 'function') {
    const hook = a.authenticate as (r: Request) => Principal | null | undefined | Promise<Principal | null | undefined>;
    return {
      kind: 'hook',
      namespaced: true,
      authenticate: async (request) => {
        const p = await hook(request);
        if (p === null || p === undefined) return null;
        if (typeof p !== 'object' || typeof p.id !== 'string' || p.id === '')
          throw new ServerConfigError('auth.authenticate must return a principal { id: string } (non-empty id), or null for 401.');
        return p;
      },
    };
  }
  if (a && a.disabled === true) return { kind: 'none', namespaced: false, authenticate: async () => ANONYMOUS_PRINCIPAL };
  const expected = sha256(checkToken(a?.token));
  return {
    kind: 'token',
    namespaced: false,
    authenticate: async (request) => {
      const token = bearerToken(request.headers.get('authorization'));
      // Compare digests: constant time whatever the lengths.
      return token !== null && timingSafeEqual(sha256(token), expected) ? TOKEN_PRINCIPAL : null;
    },
  };
}

/** The session id of a thread: the thread id itself, or `<principal key>/<thread id>` when threads are per principal. */
export function sessionIdOf(principal: Principal, threadId: string, namespaced: boolean): string {
  if (!namespaced) return threadId;
  return `${sha256(principal.id).toString('base64url').slice(0, 22)}/${threadId}`;
}

/** A UTF-16 surrogate without its pair (not well-formed Unicode). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a thread id is refused, or null when it is fine (1..MAX_THREAD_ID_LENGTH characters, well-formed Unicode, no control characters). */
export function threadIdProblem(threadId: unknown): string | null {
  if (typeof threadId !== 'string' || threadId.length === 0) return 'threadId must be a non-empty string.';
  if (threadId.length > MAX_THREAD_ID_LENGTH) return `threadId must be at most ${MAX_THREAD_ID_LENGTH} characters.`;
  if (LONE_SURROGATE.test(threadId)) return 'threadId must be well-formed Unicode (it has a lone surrogate).';

  if (/[\u0000-\u001f\u007f-\u009f]/.test(threadId)) return 'threadId must not contain control characters.';
  return null;
}

/** The host name of a Host header value (`example.com:8080` → `example.com`, `[::1]:80` → `[::1]`), lower-cased. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(0, end + 1) : h;
  }
  const colon = h.indexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

/** Whether the Host header names an allowed host (ports are not compared). */
export function hostAllowed(host: string | null | undefined, allowed: ReadonlySet<string> | '*'): boolean {
  if (allowed === '*') return true;
  if (!host) return false;
  const name = hostName(host);
  return allowed.has(name) || (allowed.has('localhost') && name.endsWith('.localhost'));
}

/**
 * Whether a request's Origin may call the API: no Origin (not a browser, or a same-origin GET),
 * the server's own origin (same host and port as the Host header), or a listed origin.
 */
export function originAllowed(
  origin: string | null | undefined,
  host: string | null | undefined,
  allowed: ReadonlySet<string> | '*',
): boolean {
  if (origin === null || origin === undefined) return true;
  if (allowed === '*') return true;
  if (allowed.has(origin)) return true;
  if (origin === 'null' || !host) return false;
  try {
    return new URL(origin).host === host.trim().toLowerCase();
  } catch {
    return false; // not a URL: not an origin we can trust
  }
}

/** Whether a Content-Type header says JSON (`application/json`, `application/*+json`, any parameters). */
export function isJsonContentType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}
