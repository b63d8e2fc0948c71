/**
 * A thread's stored history as AG-UI messages (for clients that reload a conversation).
 * @module
 */
import type { Message as AguiMessage } from '@ag-ui/core';
import type { SessionMessage } from '@mixtape/core';

/** Converts session messages to AG-UI messages; ids are `<threadId>:<index>[:<n>]`, stable across calls. */
export function toAguiMessages(threadId: string, messages: SessionMessage[]): AguiMessage[] {
  const out: AguiMessage[] = [];
  messages.forEach((m, i) => {
    const id = `${threadId}:${i}`;
    if (m.role === 'system') {
      out.push({ id, role: 'system', content: m.content });
    } else if (m.role === 'assistant') {
      out.push({
        id,
        role: 'assistant',
        content: m.content,
        ...(m.toolCalls.length ? { toolCalls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.input } })) } : {}),
      });
    } else if (m.toolResults.length) {
      m.toolResults.forEach((r, j) => out.push({ id: `${id}:${j}`, role: 'tool', toolCallId: r.toolUseId, content: r.content, ...(r.success ? {} : { error: r.content }) }));
      if (m.content.trim()) out.push({ id, role: 'user', content: m.content });
    } else {
      out.push({ id, role: 'user', content: m.content });
    }
  });
  return out;
}
