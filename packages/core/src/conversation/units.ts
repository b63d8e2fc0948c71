/**
 * How a history splits into units a window must keep together (internal to the managers).
 * @module
 */
import type { Message } from '../messages.js';

export function isToolResultMessage(m: Message): boolean {
  return m.role === 'user' && m.content.some((b) => b.type === 'tool_result');
}

/**
 * Splits a history into units that must stay together: an assistant message with tool calls and
 * the user message holding their results are one unit, so a window never separates them.
 * Returns the start index of each unit.
 */
export function unitStarts(messages: readonly Message[]): number[] {
  const starts: number[] = [];
  for (let i = 0; i < messages.length; i++) {
    if (isToolResultMessage(messages[i]!) && i > 0 && messages[i - 1]!.role === 'assistant') continue;
    starts.push(i);
  }
  return starts;
}

/** A window must start with a user message that is not a bare tool result. */
export function validStart(messages: readonly Message[], start: number): number {
  let s = start;
  while (s < messages.length && (messages[s]!.role !== 'user' || isToolResultMessage(messages[s]!))) s++;
  return s;
}

/** Index of the newest user message that is not a bare tool result (messages.length if none). */
export function lastPlainUser(messages: readonly Message[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === 'user' && !isToolResultMessage(messages[i]!)) return i;
  return messages.length;
}
