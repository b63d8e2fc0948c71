/**
 * A thread's stored history as AG-UI messages (for clients that reload a conversation, and for
 * MESSAGES_SNAPSHOT). Ids are derived from positions in the stored history, so the ids streamed
 * while a run happens (see `AguiMapper`) are the ids a later read returns.
 * @module
 */
import type { Message as AguiMessage } from '@ag-ui/core';
import type { SessionMessage } from '@mixtape/core';

/** Id of the stored message at `index` of a thread. */
export function messageIdOf(threadId: string, index: number): string {
  return `${threadId}:${index}`;
}

/** Id of the `j`-th tool result held by the stored message at `index`. */
export function toolMessageIdOf(threadId: string, index: number, j: number): string {
  return `${threadId}:${index}:${j}`;
}

/** Converts session messages to AG-UI messages; ids are `<threadId>:<index>[:<n>]`, stable across calls. */
export function toAguiMessages(threadId: string, messages: SessionMessage[]): AguiMessage[] {
  const out: AguiMessage[] = [];
  messages.forEach((m, i) => {
    const id = messageIdOf(threadId, i);
    if (m.role === 'system') {
      out.push({ id, role: 'system', content: m.content });
    } else if (m.role === 'assistant') {
      out.push({
        id,
        role: 'assistant',
        content: m.content,
        ...(m.toolCalls.length
          ? { toolCalls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.input } })) }
          : {}),
      });
    } else if (m.toolResults.length) {
      m.toolResults.forEach((r, j) =>
        out.push({
          id: toolMessageIdOf(threadId, i, j),
          role: 'tool',
          toolCallId: r.toolUseId,
          content: r.content,
          ...(r.success ? {} : { error: r.content || 'The tool failed.' }),
        }),
      );
      if (m.content.trim()) out.push({ id, role: 'user', content: m.content });
    } else {
      out.push({ id, role: 'user', content: m.content });
    }
  });
  return out;
}

/** Tool call ids of the last stored assistant message whose calls have no results stored yet (a paused turn). */
export function openToolTurn(messages: SessionMessage[]): string[] | undefined {
  const last = messages[messages.length - 1];
  if (!last || last.role !== 'assistant' || last.toolCalls.length === 0) return undefined;
  return last.toolCalls.map((c) => c.id);
}
