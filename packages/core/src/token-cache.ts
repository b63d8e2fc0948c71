/**
 * Token estimates known for message objects without counting them (e.g. kept by the session
 * store beside each row), so a resumed window does not run the tokenizer over its tail again.
 * @module
 */
import { MESSAGE_OVERHEAD_TOKENS, estimateMessageTokens } from './tokens.js';
import type { Message } from './messages.js';

const known = new WeakMap<Message, { blocks: number; tokens: number }>();

/**
 * Records the estimate of a message (what {@link estimateMessageTokens} gives for it), valid
 * while its block count is unchanged.
 */
export function rememberMessageTokens(message: Message, tokens: number): void {
  known.set(message, { blocks: message.content.length, tokens });
}

/** The estimate of a merged message from its parts' estimates (the framing is counted once). */
export function mergedMessageTokens(parts: readonly number[]): number {
  let n = 0;
  for (const t of parts) n += t - MESSAGE_OVERHEAD_TOKENS;
  return n + MESSAGE_OVERHEAD_TOKENS;
}

/** The message's estimated tokens: the recorded one when known, else {@link estimateMessageTokens}. */
export function messageTokens(message: Message): number {
  const hit = known.get(message);
  if (hit && hit.blocks === message.content.length) return hit.tokens;
  return estimateMessageTokens(message);
}
