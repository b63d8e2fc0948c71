/**
 * HTTP(S) GET that only connects to addresses the {@link NetworkPolicy} allows.
 *
 * DNS rebinding: the host name is resolved once, every address is checked, and the connection
 * is made to the checked address through a `lookup` function that returns only that address,
 * so a second DNS answer between check and connect cannot redirect the request. Redirects are
 * followed by hand so every hop is checked the same way.
 * @module
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import zlib from 'node:zlib';
import { ToolError } from '../errors.js';
import { checkAddress, type NetworkPolicy } from './address-policy.js';

/** Most bytes of a response body read. */
export const DEFAULT_FETCH_MAX_BYTES = 5 * 1024 * 1024;
/** Most redirects followed. */
export const DEFAULT_MAX_REDIRECTS = 5;

/** Resolves a host name to its addresses (default: the system resolver, `dns.lookup`). */
export type Resolver = (host: string) => Promise<readonly { address: string; family: number }[]>;

const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Options of {@link safeGet}. */
export interface SafeGetOptions extends NetworkPolicy {
  signal: AbortSignal;
  headers?: Record<string, string>;
  maxBytes?: number;
  maxRedirects?: number;
  resolver?: Resolver;
}

/** A response read by {@link safeGet}. */
export interface SafeResponse {
  url: string;
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** True when the body was cut at maxBytes. */
  truncated: boolean;
}

/** Resolves `host` once, checks every address and returns the one to connect to. */
async function pickAddress(host: string, options: SafeGetOptions): Promise<{ address: string; family: number }> {
  const bare = host.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family !== 0) {
    checkAddress(options, bare, bare);
    return { address: bare, family };
  }
  let addresses: readonly { address: string; family: number }[];
  try {
    addresses = await (options.resolver ?? systemResolver)(bare);
  } catch (error) {
    throw new ToolError('http', `Could not resolve host '${bare}': ${(error as Error).message}`, { cause: error });
  }
  if (addresses.length === 0) throw new ToolError('http', `Host '${bare}' has no addresses.`);
  // Every address must pass: otherwise the connection could pick a refused one.
  for (const a of addresses) checkAddress(options, bare, a.address);
  return addresses[0] as { address: string; family: number };
}

function requestOnce(url: URL, pinned: { address: string; family: number }, options: SafeGetOptions): Promise<IncomingMessage> {
  const pinnedLookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all)
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'GET',
        headers: { 'accept-encoding': 'gzip, deflate, br', ...options.headers },
        lookup: pinnedLookup,
        agent: false,
        signal: options.signal,
      },
      resolve,
    );
    req.on('error', reject);
    req.end();
  });
}

function decoded(response: IncomingMessage): NodeJS.ReadableStream {
  switch ((response.headers['content-encoding'] ?? '').toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return response.pipe(zlib.createGunzip());
    case 'deflate':
      return response.pipe(zlib.createInflate());
    case 'br':
      return response.pipe(zlib.createBrotliDecompress());
    default:
      return response;
  }
}

async function readBody(response: IncomingMessage, maxBytes: number): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  const stream = decoded(response);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const room = maxBytes - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      truncated = true;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  response.destroy();
  return { body: Buffer.concat(chunks), truncated };
}

/**
 * GETs `target`, following redirects, refusing any hop whose address the policy refuses.
 * @throws BlockedAddressError before any connection to a refused address.
 */
export async function safeGet(target: string, options: SafeGetOptions): Promise<SafeResponse> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new ToolError('invalid_input', `Invalid URL '${target}'. Give an absolute http:// or https:// URL.`);
  }
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ToolError('invalid_input', `Unsupported URL scheme '${url.protocol}' in ${url.href}; only http and https are fetched.`);
    }
    if (url.username || url.password) throw new ToolError('invalid_input', 'URLs with credentials (user:password@) are not fetched.');
    const pinned = await pickAddress(url.hostname, options);
    let response: IncomingMessage;
    try {
      response = await requestOnce(url, pinned, options);
    } catch (error) {
      if (options.signal.aborted) throw new ToolError('http', `Request to ${url.href} was aborted or timed out.`, { cause: error });
      throw new ToolError('http', `Request to ${url.href} failed: ${(error as Error).message}`, { cause: error });
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location) {
      response.resume();
      if (hop >= maxRedirects) throw new ToolError('http', `Too many redirects (more than ${maxRedirects}) starting from ${target}.`);
      url = new URL(location, url);
      continue;
    }
    const { body, truncated } = await readBody(response, options.maxBytes ?? DEFAULT_FETCH_MAX_BYTES);
    return { url: url.href, status, statusText: response.statusMessage ?? '', headers: response.headers, body, truncated };
  }
}
