/**
 * Mapping of an MCP `CallToolResult` to what a Mixtape tool returns.
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import type { ToolResultContent } from '@mixtape/core';
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import { McpToolError } from './errors.js';

function mapBlock(block: ContentBlock): ToolResultContent {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
      return { type: 'image', mediaType: block.mimeType, data: block.data };
    case 'audio':
      // The core has no audio content; say what was there rather than dropping it silently.
      return { type: 'text', text: `[Audio: ${block.mimeType}, ${Math.floor((block.data.length * 3) / 4)} bytes (not shown)]` };
    case 'resource': {
      const r = block.resource;
      if ('text' in r && typeof r.text === 'string') return { type: 'text', text: r.text };
      const blob = (r as { blob?: unknown }).blob;
      return {
        type: 'document',
        mediaType: r.mimeType ?? 'application/octet-stream',
        data: typeof blob === 'string' ? blob : '',
        name: r.uri,
      };
    }
    case 'resource_link':
      return { type: 'text', text: `[Resource: ${block.name} <${block.uri}>${block.description ? ` ${block.description}` : ''}]` };
    default:
      return { type: 'json', value: block };
  }
}

function duplicatesStructured(content: ToolResultContent, structured: unknown): boolean {
  if (content.type !== 'text') return false;
  try {
    return isDeepStrictEqual(JSON.parse(content.text), structured);
  } catch {
    return false;
  }
}

/**
 * Maps a `CallToolResult`: text → text, image → image (base64), embedded text resource → text,
 * embedded binary resource → document, resource link → text. `structuredContent` and its text
 * form are never both sent: text blocks that are the JSON of `structuredContent` become one
 * json item; when the server wrote other content (a human-readable text, an image), that
 * content is what the model gets and the structured copy is dropped (server-filesystem sends a
 * file both as text and as `{ content }`, an image both as an image and as base64 inside JSON);
 * `structuredContent` alone becomes json.
 * `isError: true` throws {@link McpToolError} so the agent records a failure.
 */
export function mapCallToolResult(result: CallToolResult, serverName: string, toolName: string): ToolResultContent[] {
  let content = (result.content ?? []).map(mapBlock);
  if (result.isError) {
    const text = content
      .map((c) => (c.type === 'text' ? c.text : c.type === 'json' ? JSON.stringify(c.value) : `[${c.type}]`))
      .join('\n')
      .trim();
    throw new McpToolError(
      serverName,
      toolName,
      text || `MCP tool '${toolName}' on server '${serverName}' reported an error without a message.`,
      'is_error',
    );
  }
  if (result.structuredContent !== undefined) {
    const structured = result.structuredContent;
    const withoutCopies = content.filter((c) => !duplicatesStructured(c, structured));
    if (withoutCopies.length < content.length || withoutCopies.length === 0) {
      content = [...withoutCopies, { type: 'json', value: structured }];
    }
  }
  if (content.length === 0) content.push({ type: 'text', text: '' });
  return content;
}
