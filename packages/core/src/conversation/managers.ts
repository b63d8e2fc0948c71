/**
 * Conversation managers choose which messages of the history are sent to the model.
 * They are stateless: the agent keeps the full history; a manager selects a window of it.
 * @module
 */
import type { Message } from '../messages.js';
import type { Model, Usage } from '../model.js';
import type { ConversationSummary } from '../session/types.js';
import { upperBoundMessageTokens } from '../tokens.js';
import { messageTokens } from '../token-cache.js';
import { lastPlainUser, unitStarts, validStart } from './units.js';

/** Token budget of one model call. */
export interface ContextBudget {
  /** The model's context window. */
  maxContextTokens: number;
  /** Tokens taken by the system prompt and tool definitions. */
  fixedTokens: number;
}

/** Where a loaded tail sits in the stored session (see {@link ConversationManager.coversWindow}). */
export interface TailContext {
  /** Index in the stored session of the tail's first message. */
  start: number;
  /** The stored summary of older messages, if any. */
  summary?: ConversationSummary;
}

/** Chooses the messages of the history to send to the model. */
export interface ConversationManager {
  /** Returns a suffix of `messages` that is a valid provider history and fits the budget. */
  select(messages: readonly Message[], budget: ContextBudget): Message[];
  /**
   * Optional, for resuming in constant time: true when `select` on `tail` (the newest messages
   * of a longer history) is certain to give what it gives on the whole history, for this budget
   * and any smaller one. The session then loads only such a tail; a manager without it gets the
   * whole history.
   */
  coversWindow?(tail: readonly Message[], budget: ContextBudget, context: TailContext): boolean;
  /**
   * Optional, with {@link coversWindow}: the estimated tokens of newest messages the window can
   * hold under this budget. A session whose store keeps per-message estimates then reads a tail
   * of about that many tokens at once.
   */
  tailTokens?(budget: ContextBudget): number;
  /**
   * Optional async step the agent runs before each model call (e.g. summarizing what the window
   * is about to drop). Returns the usage and cost of any model call it made.
   */
  prepare?(messages: readonly Message[], budget: ContextBudget, context: PrepareContext): Promise<PrepareResult | void>;
}

/** What {@link ConversationManager.prepare} gets from the agent. */
export interface PrepareContext {
  /** The agent's model. */
  model: Model;
  signal: AbortSignal;
  /** The stored summary, if any, with `throughMessage`: the index in `messages` where it ends (0 when it ends before them). */
  summary?: { text: string; throughMessage: number };
  /** Persists a new summary of `messages[0 … throughMessage - 1]` (and all older stored messages). */
  saveSummary(summary: { text: string; throughMessage: number; model?: string }): Promise<void>;
}

/** Usage and cost of what {@link ConversationManager.prepare} did. */
export interface PrepareResult {
  usage: Usage;
  costUsd?: number;
}

/** Share of the context window kept free for the model's answer by the sliding window. */
export const DEFAULT_RESPONSE_RESERVE = 0.2;

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

  /** The tokens of newest messages the window holds: {@link available}. */
  tailTokens(budget: ContextBudget): number {
    return this.available(budget);
  }

  /**
   * True when the tail's messages after its first unit already cost more than the budget: the
   * window then stops inside the tail whatever came before it (and the newest prompt is in it).
   */
  coversWindow(tail: readonly Message[], budget: ContextBudget): boolean {
    const starts = unitStarts(tail);
    if (starts.length < 2 || lastPlainUser(tail) >= tail.length) return false;
    const available = this.available(budget);
    let tokens = 0;
    for (let i = starts[1]!; i < tail.length && tokens <= available; i++) tokens += messageTokens(tail[i]!);
    return tokens > available;
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
      for (let i = from; i < chosen; i++) cost += messageTokens(messages[i]!);
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
    if (!Number.isInteger(maxMessages) || maxMessages < 1)
      throw new RangeError(`maxMessages must be a positive integer, got ${maxMessages}`);
  }
  /** True when the tail holds more than `maxMessages` messages and the newest prompt. */
  coversWindow(tail: readonly Message[]): boolean {
    return tail.length > this.maxMessages && lastPlainUser(tail) < tail.length;
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
