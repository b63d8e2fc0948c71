/**
 * Conversation managers choose which messages of the history are sent to the model.
 * They are stateless: the agent keeps the full history; a manager selects a window of it.
 * @module
 */
import type { Message } from '../messages.js';
import { estimateMessageTokens, upperBoundMessageTokens } from '../tokens.js';

/** Token budget of one model call. */
export interface ContextBudget {
  /** The model's context window. */
  maxContextTokens: number;
  /** Tokens taken by the system prompt and tool definitions. */
  fixedTokens: number;
}

/** Chooses the messages of the history to send to the model. */
export interface ConversationManager {
  /** Returns a suffix of `messages` that is a valid provider history and fits the budget. */
  select(messages: readonly Message[], budget: ContextBudget): Message[];
}

/** Share of the context window kept free for the model's answer by the sliding window. */
export const DEFAULT_RESPONSE_RESERVE = 0.2;

function isToolResultMessage(m: Message): boolean {
  return m.role === 'user' && m.content.some((b) => b.type === 'tool_result');
}

/**
 * Splits a history into units that must stay together: an assistant message with tool calls and
 * the user message holding their results are one unit, so a window never separates them.
 * Returns the start index of each unit.
 */
function unitStarts(messages: readonly Message[]): number[] {
  const starts: number[] = [];
  for (let i = 0; i < messages.length; i++) {
    if (isToolResultMessage(messages[i]!) && i > 0 && messages[i - 1]!.role === 'assistant') continue;
    starts.push(i);
  }
  return starts;
}

/** A window must start with a user message that is not a bare tool result. */
function validStart(messages: readonly Message[], start: number): number {
  let s = start;
  while (s < messages.length && (messages[s]!.role !== 'user' || isToolResultMessage(messages[s]!))) s++;
  return s;
}

/** Index of the newest user message that is not a bare tool result (messages.length if none). */
function lastPlainUser(messages: readonly Message[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === 'user' && !isToolResultMessage(messages[i]!)) return i;
  return messages.length;
}

/**
 * The default manager: keeps the newest messages that fit the context window, leaving
 * `responseReserve` of it for the answer and counting the system prompt and tools. Never
 * separates a tool call from its result; always keeps at least the newest user turn.
 */
export class SlidingWindowConversationManager implements ConversationManager {
  readonly responseReserve: number;
  constructor(options: { responseReserve?: number } = {}) {
    this.responseReserve = Math.min(0.5, Math.max(0, options.responseReserve ?? DEFAULT_RESPONSE_RESERVE));
  }

  /** Tokens available for messages under a budget. */
  available(budget: ContextBudget): number {
    return Math.max(0, budget.maxContextTokens - Math.floor(budget.maxContextTokens * this.responseReserve) - budget.fixedTokens);
  }

  select(messages: readonly Message[], budget: ContextBudget): Message[] {
    const available = this.available(budget);
    // Fast path: even at one token per character everything fits.
    let bound = 0;
    for (const m of messages) bound += upperBoundMessageTokens(m);
    if (bound <= available) return messages.slice(validStart(messages, 0));
    const starts = unitStarts(messages);
    let used = 0;
    let chosen = messages.length;
    for (let u = starts.length - 1; u >= 0; u--) {
      const from = starts[u]!;
      let cost = 0;
      for (let i = from; i < chosen; i++) cost += estimateMessageTokens(messages[i]!);
      if (used + cost > available && chosen < messages.length) break;
      used += cost;
      chosen = from;
      if (used > available) break;
    }
    let start = validStart(messages, chosen);
    // Nothing valid fits: keep from the newest plain user message (the current prompt).
    if (start >= messages.length) start = lastPlainUser(messages);
    return messages.slice(start);
  }
}

/** Keeps the last `maxMessages` messages (moving the start forward so it stays valid). */
export class SimpleConversationManager implements ConversationManager {
  constructor(readonly maxMessages: number) {
    if (!Number.isInteger(maxMessages) || maxMessages < 1) throw new RangeError(`maxMessages must be a positive integer, got ${maxMessages}`);
  }
  select(messages: readonly Message[]): Message[] {
    const from = Math.max(0, messages.length - this.maxMessages);
    let start = validStart(messages, from);
    if (start >= messages.length) start = lastPlainUser(messages);
    return messages.slice(start);
  }
}

/** Sends the whole history every time. */
export class NoOpConversationManager implements ConversationManager {
  select(messages: readonly Message[]): Message[] {
    return messages.slice();
  }
}

/** Context usage of a conversation. */
export interface ContextUsage {
  /** Estimated tokens of what would be sent (system prompt, tools and windowed messages). */
  contextTokens: number;
  maxContextTokens: number;
  /** contextTokens / maxContextTokens, from 0 to 1. */
  usagePercentage: number;
  totalMessages: number;
  contextMessages: number;
}
