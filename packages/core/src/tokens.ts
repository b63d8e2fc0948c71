/**
 * Token estimation. Text is counted with a real BPE tokenizer (gpt-tokenizer's cl100k_base,
 * which ships its data; Claude's own tokenizer is not published, so counts for Claude are an
 * estimate within ~10-15%). The tokenizer is loaded lazily, on the first count that needs it,
 * so importing @mixtape/core stays fast. Images and documents are estimated from their size.
 * @module
 */
import { createRequire } from 'node:module';
import { byteLength, type ContentBlock, type Message, type ToolResultContent } from './messages.js';

/** Tokens counted per message for role and framing. */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Upper bound of tokens for one image (Anthropic resizes images to about 1.15 megapixels). */
export const MAX_IMAGE_TOKENS = 1600;

type Counter = (text: string) => number;
let counter: Counter | undefined;

function loadCounter(): Counter {
  if (!counter) {
    const require = createRequire(import.meta.url);
    const enc = require('gpt-tokenizer/cjs/encoding/cl100k_base') as { countTokens(text: string): number };
    counter = (text) => enc.countTokens(text);
  }
  return counter;
}

/** Estimates the tokens of a text. */
export function estimateTextTokens(text: string): number {
  if (text.length === 0) return 0;
  return loadCounter()(text);
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
