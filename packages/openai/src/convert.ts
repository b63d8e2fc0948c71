/**
 * Conversion between Mixtape's provider-neutral messages and OpenAI chat completions messages.
 * @module
 */
import type OpenAI from 'openai';
import { toBase64, type ContentBlock, type Message, type ToolDefinition, type ToolResultContent } from '@mixtape/core';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type UserPart = OpenAI.Chat.Completions.ChatCompletionContentPart;

/** Options of {@link toOpenAIMessages}. */
export interface OpenAIConvertOptions {
  /** Send thinking back as `reasoning_content` on assistant messages (DeepSeek tool-calling turns need it). */
  sendReasoning?: boolean;
}

/** A `data:` URL for binary content. */
export function dataUrl(mediaType: string, data: Uint8Array | string): string {
  return `data:${mediaType};base64,${toBase64(data)}`;
}

function decodeText(data: Uint8Array | string): string {
  return typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
}

/** An image or document as a user content part. */
function mediaPart(block: Extract<ContentBlock, { type: 'image' | 'document' }>): UserPart {
  if (block.type === 'image') return { type: 'image_url', image_url: { url: dataUrl(block.mediaType, block.data) } };
  if (block.mediaType.startsWith('text/')) {
    return { type: 'text', text: `${block.name ? `[${block.name}]\n` : ''}${decodeText(block.data)}` };
  }
  return {
    type: 'file',
    file: { file_data: dataUrl(block.mediaType, block.data), filename: block.name ?? 'document' },
  };
}

/**
 * Text of a tool result for a role 'tool' message (which only takes text): JSON as text; images
 * and documents are named here and sent in a user message right after the tool messages.
 */
function toolResultText(content: readonly ToolResultContent[]): { text: string; media: UserPart[] } {
  const texts: string[] = [];
  const media: UserPart[] = [];
  for (const c of content) {
    if (c.type === 'text') texts.push(c.text);
    else if (c.type === 'json') texts.push(JSON.stringify(c.value));
    else {
      texts.push(`[${c.type} ${c.type === 'document' && c.name ? c.name : c.mediaType} attached in the next message]`);
      media.push(mediaPart({ ...c }));
    }
  }
  return { text: texts.join('\n'), media };
}

/** The conversation as chat completions messages (system prompt first). */
export function toOpenAIMessages(
  system: string | undefined,
  messages: readonly Message[],
  options: OpenAIConvertOptions = {},
): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (system) out.push({ role: 'system', content: system });
  for (const m of messages) {
    if (m.role === 'assistant') {
      const text = m.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
      const reasoning = m.content.flatMap((b) => (b.type === 'thinking' ? [b.thinking] : [])).join('');
      const calls = m.content.flatMap((b) =>
        b.type === 'tool_use'
          ? [{ id: b.id, type: 'function' as const, function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } }]
          : [],
      );
      if (!text && !calls.length) continue;
      const msg: OpenAI.Chat.Completions.ChatCompletionAssistantMessageParam & { reasoning_content?: string } = {
        role: 'assistant',
        content: text || null,
        ...(calls.length && { tool_calls: calls }),
      };
      if (options.sendReasoning && reasoning) msg.reasoning_content = reasoning;
      out.push(msg);
      continue;
    }
    const media: UserPart[] = [];
    const parts: UserPart[] = [];
    for (const b of m.content) {
      if (b.type === 'tool_result') {
        const r = toolResultText(b.content);
        out.push({ role: 'tool', tool_call_id: b.toolUseId, content: b.isError ? `Error: ${r.text}` : r.text });
        media.push(...r.media);
      } else if (b.type === 'text') {
        if (b.text) parts.push({ type: 'text', text: b.text });
      } else if (b.type === 'image' || b.type === 'document') {
        parts.push(mediaPart(b));
      }
      // thinking / tool_use never appear in user messages.
    }
    const all = [...media, ...parts];
    if (!all.length) continue;
    // Plain text as a string: the form every OpenAI-compatible server understands.
    const onlyText = all.every((p) => p.type === 'text');
    out.push({
      role: 'user',
      content: onlyText ? all.map((p) => (p as { text: string }).text).join('\n') : all,
    });
  }
  return out;
}

/** Tool definitions as function tools. */
export function toOpenAITools(tools: readonly ToolDefinition[]): OpenAI.Chat.Completions.ChatCompletionTool[] | undefined {
  if (!tools.length) return undefined;
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: { type: 'object', ...t.inputSchema } },
  }));
}
