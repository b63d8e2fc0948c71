/**
 * Provider-neutral conversation messages. Every provider converts to and from these.
 * @module
 */

/** Content of a tool result as the model sees it. */
export type ToolResultContent =
  | { type: 'text'; text: string }
  | { type: 'json'; value: unknown }
  | { type: 'image'; mediaType: string; data: Uint8Array | string }
  | { type: 'document'; mediaType: string; data: Uint8Array | string; name?: string };

/** One block of a message. `data` of images/documents is raw bytes or base64 text. */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; toolUseId: string; content: ToolResultContent[]; isError: boolean }
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'image'; mediaType: string; data: Uint8Array | string }
  | { type: 'document'; mediaType: string; data: Uint8Array | string; name?: string };

/** A message of the conversation sent to a model. */
export interface Message {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

export type ToolUseBlock = Extract<ContentBlock, { type: 'tool_use' }>;
export type ToolResultBlock = Extract<ContentBlock, { type: 'tool_result' }>;
export type TextBlock = Extract<ContentBlock, { type: 'text' }>;
export type ThinkingBlock = Extract<ContentBlock, { type: 'thinking' }>;

/** Concatenated text of the text blocks of a message. */
export function messageText(message: Message): string {
  let out = '';
  for (const block of message.content) if (block.type === 'text') out += block.text;
  return out;
}

/** The tool_use blocks of a message, in order. */
export function toolUses(message: Message): ToolUseBlock[] {
  return message.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
}

/** A user message holding one text block. */
export function userMessage(text: string): Message {
  return { role: 'user', content: [{ type: 'text', text }] };
}

/** Text form of tool-result content, for logs, events and text-only transports. */
export function toolResultContentText(content: readonly ToolResultContent[]): string {
  return content
    .map((c) => {
      switch (c.type) {
        case 'text':
          return c.text;
        case 'json':
          return JSON.stringify(c.value);
        case 'image':
          return `[Image: ${c.mediaType}, ${byteLength(c.data)} bytes]`;
        case 'document':
          return `[Document: ${c.mediaType}, ${c.name ?? 'unnamed'}, ${byteLength(c.data)} bytes]`;
      }
    })
    .join('\n');
}

/** Byte length of binary content given as bytes or base64 text. */
export function byteLength(data: Uint8Array | string): number {
  if (typeof data !== 'string') return data.byteLength;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.floor((data.length * 3) / 4) - padding;
}

/** Base64 text of binary content given as bytes or base64 text. */
export function toBase64(data: Uint8Array | string): string {
  return typeof data === 'string' ? data : Buffer.from(data).toString('base64');
}
