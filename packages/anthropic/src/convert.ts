/**
 * Conversion between Mixtape's provider-neutral messages and the Anthropic Messages API.
 * @module
 */
import type Anthropic from '@anthropic-ai/sdk';
import { toBase64, type ContentBlock, type Message, type ToolDefinition, type ToolResultContent } from '@mixtape/core';

type ContentBlockParam = Anthropic.Messages.ContentBlockParam;
type MessageParam = Anthropic.Messages.MessageParam;
type ToolResultItem = Exclude<NonNullable<Anthropic.Messages.ToolResultBlockParam['content']>, string>[number];

/** Media types Anthropic accepts for base64 images. */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** Where prompt-cache breakpoints go. */
export interface CacheMarks {
  system: boolean;
  tools: boolean;
  /** Also mark the last block of the last message (caches the conversation prefix between steps). */
  messages: boolean;
}

const EPHEMERAL = { type: 'ephemeral' } as const;

function imageParam(mediaType: string, data: Uint8Array | string): Anthropic.Messages.ImageBlockParam {
  if (!IMAGE_TYPES.has(mediaType)) {
    throw new TypeError(`Anthropic accepts images of type ${[...IMAGE_TYPES].join(', ')}, not ${mediaType}; convert the image first`);
  }
  return {
    type: 'image',
    source: { type: 'base64', media_type: mediaType as 'image/png', data: toBase64(data) },
  };
}

function documentParam(mediaType: string, data: Uint8Array | string, name?: string): Anthropic.Messages.DocumentBlockParam {
  const title = name ? { title: name } : {};
  if (mediaType === 'application/pdf') {
    return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: toBase64(data) }, ...title };
  }
  if (mediaType.startsWith('text/')) {
    const text = typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
    return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: text }, ...title };
  }
  throw new TypeError(`Anthropic accepts PDF and plain-text documents, not ${mediaType}; convert the document first`);
}

function toolResultItem(c: ToolResultContent): ToolResultItem {
  switch (c.type) {
    case 'text':
      return { type: 'text', text: c.text };
    case 'json':
      return { type: 'text', text: JSON.stringify(c.value) };
    case 'image':
      return imageParam(c.mediaType, c.data);
    case 'document':
      return documentParam(c.mediaType, c.data, c.name);
  }
}

/** One neutral block as an Anthropic content block; undefined for blocks Anthropic cannot take back. */
export function toAnthropicBlock(block: ContentBlock): ContentBlockParam | undefined {
  switch (block.type) {
    case 'text':
      // The API rejects empty text blocks.
      return block.text === '' ? undefined : { type: 'text', text: block.text };
    case 'tool_use':
      // The API takes only objects; an input that was not one (cut-off JSON) goes back as {}.
      return {
        type: 'tool_use',
        id: block.id,
        name: block.name,
        input: (isPlainObject(block.input) ? block.input : {}) as Record<string, unknown>,
      };
    case 'tool_result':
      return {
        type: 'tool_result',
        tool_use_id: block.toolUseId,
        is_error: block.isError,
        content: block.content.map(toolResultItem),
      };
    case 'thinking':
      // A thinking block is only accepted back with the signature Anthropic gave it; thinking from
      // other providers (no signature) is dropped.
      return block.signature ? { type: 'thinking', thinking: block.thinking, signature: block.signature } : undefined;
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: block.data };
    case 'image':
      return imageParam(block.mediaType, block.data);
    case 'document':
      return documentParam(block.mediaType, block.data, block.name);
  }
}

/** The conversation as Anthropic messages, with a cache breakpoint on the last block when asked. */
export function toAnthropicMessages(messages: readonly Message[], cacheLast = false): MessageParam[] {
  const out: MessageParam[] = [];
  for (const m of messages) {
    const content = m.content.map(toAnthropicBlock).filter((b): b is ContentBlockParam => b !== undefined);
    if (content.length === 0) continue;
    out.push({ role: m.role, content });
  }
  if (cacheLast && out.length) {
    const last = out[out.length - 1]!.content as ContentBlockParam[];
    for (let i = last.length - 1; i >= 0; i--) {
      const b = last[i]!;
      if (b.type !== 'thinking' && b.type !== 'redacted_thinking') {
        last[i] = { ...b, cache_control: EPHEMERAL };
        break;
      }
    }
  }
  return out;
}

/** The system prompt as text blocks (cache breakpoint on it when asked). */
export function toAnthropicSystem(system: string | undefined, cache: boolean): Anthropic.Messages.TextBlockParam[] | undefined {
  if (!system) return undefined;
  return [{ type: 'text', text: system, ...(cache && { cache_control: EPHEMERAL }) }];
}

/** Tool definitions (cache breakpoint on the last one when asked: it caches all tools). */
export function toAnthropicTools(tools: readonly ToolDefinition[], cache: boolean): Anthropic.Messages.Tool[] | undefined {
  if (!tools.length) return undefined;
  return tools.map((t, i) => ({
    name: t.name,
    description: t.description,
    input_schema: { type: 'object', ...t.inputSchema },
    ...(cache && i === tools.length - 1 && { cache_control: EPHEMERAL }),
  }));
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
