/**
 * The `fetch` tool: HTTP(S) GET of a page as Markdown (HTML through parse5's tokenizer, in linear
 * time: see html-to-markdown.ts) or text, paginated,
 * with a timeout, a robots.txt check and SSRF protection.
 * @module
 */
import { tool, type Tool } from '@mixtape/core';
import robotsParserModule from 'robots-parser';
import { z } from 'zod';
import { ToolError } from '../errors.js';
import type { NetworkPolicy } from './address-policy.js';
import { htmlToMarkdownInSlices } from './html-to-markdown.js';
import { safeGet, type Resolver } from './safe-http.js';

interface Robots {
  isAllowed(url: string, ua?: string): boolean | undefined;
}
// robots-parser is CommonJS (`module.exports = fn`) while its types declare an ES default export.
const robotsParser = ((robotsParserModule as unknown as { default?: unknown }).default ?? robotsParserModule) as (
  url: string,
  text: string,
) => Robots;

/** Default number of characters returned per call. */
export const DEFAULT_FETCH_MAX_LENGTH = 5_000;
/** Largest max_length accepted. */
export const MAX_FETCH_MAX_LENGTH = 1_000_000;
/** Default time a fetch may take, in ms. */
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
/** Time the robots.txt check may take before it is skipped (then the page is allowed). */
export const DEFAULT_ROBOTS_TIMEOUT_MS = 5_000;
/** Default User-Agent. */
export const DEFAULT_USER_AGENT = 'mixtape-fetch/0.1 (+https://www.npmjs.com/package/@mixtape/tools)';

/** Options of the fetch tool. */
export interface FetchToolOptions extends NetworkPolicy {
  userAgent?: string;
  /** Check robots.txt (default true; the model can skip it per call only if `allowIgnoreRobots`). */
  respectRobots?: boolean;
  /** Let the model pass ignore_robots=true (default false). */
  allowIgnoreRobots?: boolean;
  /** Most bytes of a response read (default DEFAULT_FETCH_MAX_BYTES). */
  maxBytes?: number;
  /** Host name resolver (default the system's); for tests and custom DNS. */
  resolver?: Resolver;
}

const fetchInput = z.object({
  url: z.string().describe('Absolute http:// or https:// URL'),
  max_length: z.number().int().min(1).max(MAX_FETCH_MAX_LENGTH).default(DEFAULT_FETCH_MAX_LENGTH).describe('Most characters to return'),
  start_index: z.number().int().min(0).default(0).describe('Character to start from, to page through long content'),
  raw: z.boolean().default(false).describe('Return HTML as is instead of Markdown'),
  timeout_ms: z.number().int().min(1).max(300_000).default(DEFAULT_FETCH_TIMEOUT_MS),
  ignore_robots: z.boolean().default(false).describe('Skip the robots.txt check (only when the tool is configured to allow it)'),
});

function charsetOf(contentType: string): string {
  const m = /charset\s*=\s*"?([\w-]+)/i.exec(contentType);
  return m?.[1]?.toLowerCase() ?? 'utf-8';
}

function decode(body: Buffer, contentType: string): string {
  try {
    return new TextDecoder(charsetOf(contentType)).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

function isTextual(contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    type === '' ||
    type.startsWith('text/') ||
    /[/+](json|xml|javascript|ecmascript|yaml|csv|markdown)$/.test(type) ||
    type === 'application/x-www-form-urlencoded'
  );
}

/** `fetch`: GET a URL and return Markdown/text, paginated, refusing private addresses. */
export function fetchTool(options: FetchToolOptions = {}): Tool<z.output<typeof fetchInput>> {
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const robotsCache = new Map<string, Robots | null>();

  async function robotsAllow(url: URL, signal: AbortSignal): Promise<boolean> {
    const origin = url.origin;
    if (!robotsCache.has(origin)) {
      const robotsUrl = `${origin}/robots.txt`;
      let parsed: Robots | null = null;
      try {
        const response = await safeGet(robotsUrl, {
          ...options,
          signal: AbortSignal.any([signal, AbortSignal.timeout(DEFAULT_ROBOTS_TIMEOUT_MS)]),
          headers: { 'user-agent': userAgent },
          maxBytes: 512 * 1024,
        });
        if (response.status >= 200 && response.status < 300) parsed = robotsParser(robotsUrl, response.body.toString('utf8'));
      } catch (error) {
        if (error instanceof ToolError && error.kind === 'network_refused') throw error;
        parsed = null; // no robots.txt, or it could not be read: allowed
      }
      robotsCache.set(origin, parsed);
    }
    const robots = robotsCache.get(origin);
    return robots ? robots.isAllowed(url.href, userAgent) !== false : true;
  }

  return tool({
    name: 'fetch',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description:
      `Fetch a web page (HTTP GET) and return it as Markdown (HTML converted) or text, at most max_length characters (default ${DEFAULT_FETCH_MAX_LENGTH}) from start_index. ` +
      'Respects robots.txt. Private and internal network addresses are refused.',
    input: fetchInput,
    timeoutMs: 5 * 60_000,
    formatInput: (input) => input.url + (input.start_index ? ` (from ${input.start_index})` : ''),
    async execute(input, ctx) {
      let url: URL;
      try {
        url = new URL(input.url);
      } catch {
        throw new ToolError('invalid_input', `Invalid URL '${input.url}'. Give an absolute http:// or https:// URL.`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new ToolError('invalid_input', `Unsupported URL scheme '${url.protocol}'; only http and https are fetched.`);
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(input.timeout_ms)]);
      const skipRobots = options.respectRobots === false || (input.ignore_robots && options.allowIgnoreRobots === true);
      if (!skipRobots && !(await robotsAllow(url, signal))) {
        throw new ToolError('robots', `Access to ${url.href} is disallowed by robots.txt for user-agent '${userAgent}'.`);
      }
      const response = await safeGet(url.href, {
        ...options,
        signal,
        headers: { 'user-agent': userAgent, accept: 'text/html,application/xhtml+xml,text/plain,application/json;q=0.9,*/*;q=0.5' },
      });
      if (response.status < 200 || response.status >= 300) {
        throw new ToolError('http', `HTTP error: ${response.status} ${response.statusText} for ${response.url}`);
      }
      const contentType = String(response.headers['content-type'] ?? '');
      if (!isTextual(contentType)) {
        throw new ToolError(
          'invalid_input',
          `${response.url} returned '${contentType}' (${response.body.length} bytes), which is not text; fetch only returns text and HTML.`,
        );
      }
      const text = decode(response.body, contentType);
      const isHtml = /html/i.test(contentType) || (contentType === '' && /^\s*<(!doctype html|html)/i.test(text));
      const page = isHtml ? await htmlToMarkdownInSlices(text, signal) : null;
      const title = page?.title ?? null;
      const content = page !== null && !input.raw ? page.markdown : text;
      const chars = Array.from(content);
      const start = Math.min(input.start_index, chars.length);
      const end = Math.min(chars.length, start + input.max_length);
      const shown = chars.slice(start, end).join('');
      const header = [`URL: ${response.url}`];
      if (title) header.push(`Title: ${title}`);
      header.push(`Content Length: ${chars.length} characters${response.truncated ? ' (download truncated)' : ''}`);
      if (start > 0 || end < chars.length) {
        header.push(
          `Showing: characters ${start}-${end}${end < chars.length ? `; call fetch again with start_index=${end} for more` : ''}`,
        );
      }
      return `${header.join('\n')}\n\n---\n\n${shown}`;
    },
  });
}

/** The fetch tools: fetch. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a group holds tools of different input types
export function fetchTools(options: FetchToolOptions = {}): Tool<any>[] {
  return [fetchTool(options)];
}
