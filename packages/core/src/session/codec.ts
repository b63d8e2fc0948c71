/**
 * JSON encoding of session content shared by every store and by export/import.
 *
 * JSON has no binary type, so image and document `data` given as bytes (`Uint8Array`) is written
 * as `{ "$bytes": "<base64>" }`; `data` given as base64 text stays a string. Decoding gives back
 * exactly what was encoded: bytes stay bytes, text stays text. The marker is only looked for
 * where binary data can be (the `data` field of image and document blocks, also inside tool
 * results), so user JSON such as a tool's input can never be mistaken for it.
 * @module
 */
import { type ContentBlock, type ToolResultContent, toolResultContentText } from '../messages.js';
import type { SessionMessage, ToolCall, ToolResult } from './types.js';

/** The JSON form of binary data given as bytes. */
export interface EncodedBytes {
  $bytes: string;
}

type Binary = Uint8Array | string;

function encodeData(data: Binary): string | EncodedBytes {
  return typeof data === 'string' ? data : { $bytes: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}

function decodeData(data: unknown, where: string): Binary {
  if (typeof data === 'string') return data;
  if (data && typeof data === 'object' && typeof (data as EncodedBytes).$bytes === 'string') {
    // A fresh Uint8Array (not a Buffer view into Node's pool), so callers get a plain copy.
    return new Uint8Array(Buffer.from((data as EncodedBytes).$bytes, 'base64'));
  }
  throw new Error(`${where}: "data" must be base64 text or {"$bytes": "<base64>"}`);
}

function encodeResultContent(c: ToolResultContent): unknown {
  if (c.type === 'image' || c.type === 'document') return { ...c, data: encodeData(c.data) };
  return c;
}

/** Converts content blocks to plain JSON values (bytes become `{ $bytes }`). */
export function blocksToJson(blocks: readonly ContentBlock[]): unknown[] {
  return blocks.map((b) => {
    switch (b.type) {
      case 'image':
      case 'document':
        return { ...b, data: encodeData(b.data) };
      case 'tool_result':
        return { ...b, content: b.content.map(encodeResultContent) };
      default:
        return b;
    }
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Converts plain JSON values back to content blocks (`{ $bytes }` becomes a `Uint8Array`).
 * Throws an Error naming the bad block when the value is not a list of blocks.
 */
export function blocksFromJson(value: unknown): ContentBlock[] {
  if (!Array.isArray(value)) throw new Error(`blocks must be a JSON array, got ${jsonType(value)}`);
  return value.map((raw, i) => {
    if (!isObject(raw) || typeof raw.type !== 'string') throw new Error(`block ${i} must be an object with a "type"`);
    switch (raw.type) {
      case 'image':
      case 'document':
        return { ...raw, data: decodeData(raw.data, `block ${i} (${raw.type})`) } as ContentBlock;
      case 'tool_result': {
        if (!Array.isArray(raw.content)) throw new Error(`block ${i} (tool_result): "content" must be an array`);
        const content = raw.content.map((c: unknown, j: number) => {
          if (!isObject(c) || typeof c.type !== 'string')
            throw new Error(`block ${i} (tool_result) content ${j} must be an object with a "type"`);
          if (c.type === 'image' || c.type === 'document')
            return { ...c, data: decodeData(c.data, `block ${i} (tool_result) content ${j}`) };
          return c;
        });
        return { ...raw, content } as ContentBlock;
      }
      default:
        return raw as ContentBlock;
    }
  });
}

/** Name of the JSON type of a value, for error messages. */
export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** The role of a stored value (`"User"`, `"Assistant"`, `"System"` as the Rust original writes them, or lowercase), or undefined for anything else. */
export function roleFromRow(role: unknown): SessionMessage['role'] | undefined {
  switch (role) {
    case 'user':
    case 'User':
      return 'user';
    case 'assistant':
    case 'Assistant':
      return 'assistant';
    case 'system':
    case 'System':
      return 'system';
    default:
      return undefined;
  }
}

/**
 * Role names written by the Rust original and by us; anything else reads as `user`, as the Rust
 * original reads it. The SQL stores do not use this: they refuse unknown roles ({@link roleFromRow}).
 */
export function parseRole(role: string): SessionMessage['role'] {
  return roleFromRow(role) ?? 'user';
}

/** Tool calls from JSON text (ours, or the Rust original's, which has the same keys). */
export function toolCallsFromJson(value: unknown): ToolCall[] {
  if (!Array.isArray(value)) throw new Error(`tool calls must be a JSON array, got ${jsonType(value)}`);
  return value.map((c, i) => {
    if (!isObject(c)) throw new Error(`tool call ${i} must be an object`);
    const input = typeof c.input === 'string' ? c.input : JSON.stringify(c.input ?? {});
    return { id: String(c.id ?? ''), name: String(c.name ?? ''), input };
  });
}

/** Tool results from JSON text (ours in camelCase, or the Rust original's `tool_use_id`). */
export function toolResultsFromJson(value: unknown): ToolResult[] {
  if (!Array.isArray(value)) throw new Error(`tool results must be a JSON array, got ${jsonType(value)}`);
  return value.map((r, i) => {
    if (!isObject(r)) throw new Error(`tool result ${i} must be an object`);
    return {
      toolUseId: String(r.toolUseId ?? r.tool_use_id ?? ''),
      success: Boolean(r.success),
      content: typeof r.content === 'string' ? r.content : JSON.stringify(r.content ?? ''),
    };
  });
}

/** Deep copy of a session message (Dates and bytes are copied too). */
export function cloneMessage(m: SessionMessage): SessionMessage {
  return structuredClone(m);
}

/**
 * The seed fields (`content`, `toolCalls`, `toolResults`) as they follow from content blocks:
 * text blocks joined, tool_use blocks as calls with JSON input, tool_result blocks as results.
 * Stores use it to skip writing seed fields that equal what the blocks give (about half the
 * bytes of a typical message), and to rebuild them on load.
 */
export function seedFieldsFromBlocks(blocks: readonly ContentBlock[]): Pick<SessionMessage, 'content' | 'toolCalls' | 'toolResults'> {
  let content = '';
  const toolCalls: ToolCall[] = [];
  const toolResults: ToolResult[] = [];
  for (const b of blocks) {
    if (b.type === 'text') content += b.text;
    else if (b.type === 'tool_use') toolCalls.push({ id: b.id, name: b.name, input: JSON.stringify(b.input ?? {}) });
    else if (b.type === 'tool_result')
      toolResults.push({ toolUseId: b.toolUseId, success: !b.isError, content: toolResultContentText(b.content) });
  }
  return { content, toolCalls, toolResults };
}
