/**
 * validateHistory: checks that a conversation is a history every provider accepts.
 * @module
 */
import type { Message } from '../messages.js';

/**
 * Returns the problems that would make a provider reject this history (empty when valid):
 * it must start with a user message, alternate roles once consecutive same-role messages are
 * merged, give every tool call a result in the next message, and hold no result without a call.
 */
export function validateHistory(messages: readonly Message[]): string[] {
  const problems: string[] = [];
  const merged: Message[] = [];
  for (const m of messages) {
    const last = merged[merged.length - 1];
    if (last && last.role === m.role) last.content = [...last.content, ...m.content];
    else merged.push({ role: m.role, content: [...m.content] });
  }
  if (merged.length && merged[0]!.role !== 'user') problems.push('the history starts with an assistant message');
  for (let i = 0; i < merged.length; i++) {
    const m = merged[i]!;
    if (m.content.length === 0) problems.push(`message ${i} is empty`);
    const calls = m.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : []));
    if (m.role === 'user' && calls.length) problems.push(`message ${i} is a user message with tool calls`);
    const results = new Set(m.content.flatMap((b) => (b.type === 'tool_result' ? [b.toolUseId] : [])));
    if (m.role === 'assistant' && results.size) problems.push(`message ${i} is an assistant message with tool results`);
    if (m.role === 'user' && results.size) {
      const prev = merged[i - 1];
      const asked = new Set(prev?.role === 'assistant' ? prev.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : [])) : []);
      for (const id of results)
        if (!asked.has(id)) problems.push(`message ${i} has a result for tool call ${id}, which the previous message did not make`);
    }
    if (calls.length) {
      const next = merged[i + 1];
      const answered = new Set(next?.content.flatMap((b) => (b.type === 'tool_result' ? [b.toolUseId] : [])) ?? []);
      for (const id of calls) if (!answered.has(id)) problems.push(`tool call ${id} in message ${i} has no result`);
    }
  }
  return problems;
}
