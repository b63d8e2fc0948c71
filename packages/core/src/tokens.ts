/**
 * Token estimation. Text is counted with a real BPE tokenizer (gpt-tokenizer's cl100k_base,
 * which ships its data; Claude's own tokenizer is not published, so counts for Claude are an
 * estimate within ~10-15%). The tokenizer is loaded lazily, on the first count that needs it,
 * so importing @mixtape/core stays fast. Images and documents are estimated from their size.
 * @module
 */
import { cl100kTokenizer } from './lazy-require.js';
import { byteLength, type ContentBlock, type Message, type ToolResultContent } from './messages.js';

/** Tokens counted per message for role and framing. */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Upper bound of tokens for one image (Anthropic resizes images to about 1.15 megapixels). */
export const MAX_IMAGE_TOKENS = 1600;

type Counter = (text: string) => number;
let counter: Counter | undefined;

function loadCounter(): Counter {
  if (!counter) {
    const enc = cl100kTokenizer();
    counter = (text) => enc.countTokens(text);
  }
  return counter;
}

/**
 * Longest piece of text handed to the BPE tokenizer at once. Pieces end just before a whitespace
 * character where one is near, so ordinary text counts as if it were tokenised whole.
 */
export const TOKEN_CHUNK_CHARS = 4096;
/**
 * Longest run of whitespace or of non-whitespace characters tokenised as one piece. BPE merging
 * is superlinear in the length of one pre-token (160,000 × "x" took 34 s as one piece); a longer
 * run is cut every this many characters, which changes its count by at most a token per cut.
 */
export const MAX_TOKEN_RUN_CHARS = 128;
/**
 * Texts longer than this are not tokenised whole: evenly spaced samples of
 * {@link TOKEN_SAMPLE_CHARS} characters in total are, and the count is scaled to the length.
 * This bounds the work for any text (a 50 MiB message costs what 256 KiB costs).
 */
export const MAX_EXACT_TOKEN_CHARS = 256 * 1024;
/** Characters sampled (in {@link TOKEN_SAMPLE_COUNT} slices) from a text longer than {@link MAX_EXACT_TOKEN_CHARS}. */
export const TOKEN_SAMPLE_CHARS = 128 * 1024;
/** Number of evenly spaced slices a long text is sampled in. */
export const TOKEN_SAMPLE_COUNT = 64;

/** Work done by the token estimator since the process started (for tests and benchmarks). */
export interface TokenEstimatorWork {
  /** Calls of the BPE tokenizer. */
  calls: number;
  /** Characters handed to the BPE tokenizer. */
  chars: number;
  /** Characters scanned while cutting texts into pieces. */
  scanned: number;
}

const work: TokenEstimatorWork = { calls: 0, chars: 0, scanned: 0 };

/** A copy of the estimator's work counters (they only grow). */
export function tokenEstimatorWork(): TokenEstimatorWork {
  return { ...work };
}

function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 128) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Cuts `text[from, to)` into the pieces the tokenizer sees, in one linear pass, calling `piece`
 * with each one's bounds: a piece ends before a whitespace character once it is
 * {@link TOKEN_CHUNK_CHARS} long (or right there when the piece has no such place), and a run of
 * whitespace or of non-whitespace longer than {@link MAX_TOKEN_RUN_CHARS} is cut (never inside a
 * surrogate pair).
 */
export function forEachTokenPiece(text: string, from: number, to: number, piece: (start: number, end: number) => void): void {
  let start = from;
  let runStart = from;
  let lastBoundary = -1; // last place in the piece where non-whitespace turns into whitespace
  let prevSpace: boolean | null = null;
  const flush = (end: number): void => {
    if (end <= start) return;
    piece(start, end);
    start = end;
    lastBoundary = -1;
  };
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    const space = isSpace(code);
    if (space !== prevSpace) {
      if (space && prevSpace === false) lastBoundary = i;
      prevSpace = space;
      runStart = i;
    } else if (i - runStart >= MAX_TOKEN_RUN_CHARS) {
      const cut = isLowSurrogate(code) ? i - 1 : i;
      flush(cut);
      runStart = cut;
    }
    if (i - start >= TOKEN_CHUNK_CHARS) flush(lastBoundary > start ? lastBoundary : isLowSurrogate(code) ? i - 1 : i);
  }
  work.scanned += to - from;
  flush(to);
}

function countRange(text: string, from: number, to: number): number {
  const count = loadCounter();
  let tokens = 0;
  forEachTokenPiece(text, from, to, (start, end) => {
    work.calls++;
    work.chars += end - start;
    tokens += count(text.slice(start, end));
  });
  return tokens;
}

/**
 * Estimates the tokens of a text, in time linear in its length whatever it holds. Texts up to
 * {@link MAX_EXACT_TOKEN_CHARS} are tokenised (cl100k_base) piece by piece; longer ones are
 * estimated from evenly spaced samples, scaled to the whole length.
 */
export function estimateTextTokens(text: string): number {
  if (text.length === 0) return 0;
  if (text.length <= MAX_EXACT_TOKEN_CHARS) return countRange(text, 0, text.length);
  const slice = Math.floor(TOKEN_SAMPLE_CHARS / TOKEN_SAMPLE_COUNT);
  const stride = Math.floor(text.length / TOKEN_SAMPLE_COUNT);
  let sampled = 0;
  let tokens = 0;
  for (let k = 0; k < TOKEN_SAMPLE_COUNT; k++) {
    let from = k * stride;
    if (isLowSurrogate(text.charCodeAt(from))) from++;
    let to = Math.min(text.length, from + slice);
    if (isLowSurrogate(text.charCodeAt(to))) to++;
    tokens += countRange(text, from, to);
    sampled += to - from;
  }
  return Math.ceil((tokens * text.length) / sampled);
}

function imageTokens(data: Uint8Array | string): number {
  return Math.min(MAX_IMAGE_TOKENS, Math.ceil(byteLength(data) / 750) + 85);
}

function documentTokens(mediaType: string, data: Uint8Array | string): number {
  if (mediaType.startsWith('text/') || mediaType === 'application/json') {
    const text = typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
    return estimateTextTokens(text) + 10;
  }
  // PDFs and office files: about one token per 500 bytes of file, plus framing (the Rust original's rule).
  return Math.ceil(byteLength(data) / 500) + 50;
}

function resultContentTokens(c: ToolResultContent): number {
  switch (c.type) {
    case 'text':
      return estimateTextTokens(c.text);
    case 'json':
      return estimateTextTokens(JSON.stringify(c.value) ?? '');
    case 'image':
      return imageTokens(c.data);
    case 'document':
      return documentTokens(c.mediaType, c.data);
  }
}

/** Estimates the tokens of one content block. */
export function estimateBlockTokens(block: ContentBlock): number {
  switch (block.type) {
    case 'text':
      return estimateTextTokens(block.text);
    case 'tool_use':
      return estimateTextTokens(block.name) + estimateTextTokens(JSON.stringify(block.input ?? {})) + 10;
    case 'tool_result':
      return block.content.reduce((n, c) => n + resultContentTokens(c), 10);
    case 'thinking':
      return estimateTextTokens(block.thinking) + 10;
    case 'redacted_thinking':
      return Math.ceil(block.data.length / 4) + 10;
    case 'image':
      return imageTokens(block.data);
    case 'document':
      return documentTokens(block.mediaType, block.data);
  }
}

const cache = new WeakMap<Message, { blocks: number; tokens: number }>();

/** Estimates the tokens of a message (cached per message object while its block count is unchanged). */
export function estimateMessageTokens(message: Message): number {
  const hit = cache.get(message);
  if (hit && hit.blocks === message.content.length) return hit.tokens;
  const tokens = message.content.reduce((n, b) => n + estimateBlockTokens(b), MESSAGE_OVERHEAD_TOKENS);
  cache.set(message, { blocks: message.content.length, tokens });
  return tokens;
}

/**
 * A cheap upper bound of a message's tokens (one token per character of text, sizes for
 * binary data), used to skip real counting when a conversation is far below its window.
 */
export function upperBoundMessageTokens(message: Message): number {
  let n = MESSAGE_OVERHEAD_TOKENS;
  for (const b of message.content) {
    switch (b.type) {
      case 'text':
        n += b.text.length;
        break;
      case 'thinking':
        n += b.thinking.length + 10;
        break;
      case 'tool_use':
        n += b.name.length + (JSON.stringify(b.input ?? {})?.length ?? 0) + 10;
        break;
      case 'redacted_thinking':
        n += b.data.length + 10;
        break;
      case 'image':
        n += imageTokens(b.data);
        break;
      case 'document':
        n += byteLength(b.data) + 50;
        break;
      case 'tool_result':
        n += 10;
        for (const c of b.content) {
          if (c.type === 'text') n += c.text.length;
          else if (c.type === 'json') n += JSON.stringify(c.value)?.length ?? 0;
          else if (c.type === 'image') n += imageTokens(c.data);
          else n += byteLength(c.data) + 50;
        }
        break;
    }
  }
  return n;
}
