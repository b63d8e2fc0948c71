/**
 * The token estimate of one stored message, as the window counts it once the message is a
 * provider message: stores may keep it beside the row so a resume picks its tail without
 * decoding or counting older messages.
 * @module
 */
import { estimateMessageTokens } from '../tokens.js';
import { seedMessages } from './convert.js';
import type { SessionMessage } from './types.js';

/**
 * Estimated tokens of a stored message: the sum of `estimateMessageTokens` over the provider
 * messages it becomes (one for a message with content blocks; the Rust original's
 * assistant-with-results row becomes three). For a message that becomes one provider message,
 * this is exactly what the window counts for it.
 */
export function sessionMessageTokens(m: SessionMessage): number {
  if (m.blocks && m.blocks.length > 0)
    return estimateMessageTokens({ role: m.role === 'assistant' ? 'assistant' : 'user', content: m.blocks });
  let n = 0;
  for (const part of seedMessages(m)) n += estimateMessageTokens(part);
  return n;
}

/** Number of provider messages a stored message becomes (1 with content blocks). */
export function providerMessageCount(m: SessionMessage): number {
  return m.blocks && m.blocks.length > 0 ? 1 : seedMessages(m).length;
}
