/**
 * Mixtape messages → Bedrock Converse request shapes (messages, system, tools, cache points,
 * provider-specific fields).
 * @module
 */
import type {
  ContentBlock as BedrockBlock,
  DocumentFormat,
  ImageFormat,
  Message as BedrockMessage,
  SystemContentBlock,
  Tool as BedrockTool,
  ToolResultContentBlock,
} from '@aws-sdk/client-bedrock-runtime';
import {
  providerError,
  type ContentBlock,
  type Message,
  type ModelVendor,
  type ToolDefinition,
  type ToolResultContent,
} from '@mixtape/core';

/** Where cache points go when prompt caching is on. */
export interface PromptCachingConfig {
  /** A cache point after the system prompt (default true). */
  system?: boolean;
  /** A cache point after the tool definitions (default true; Claude only). */
  tools?: boolean;
  /** A cache point at the end of the last message, so the conversation so far is cached (default true). */
  messages?: boolean;
}

/** Vendors whose Bedrock models accept cache points. */
export const CACHING_VENDORS: ReadonlySet<ModelVendor> = new Set(['anthropic', 'amazon']);

/** Vendors whose Bedrock models accept a tool-result `status`. */
const STATUS_VENDORS: ReadonlySet<ModelVendor> = new Set(['anthropic', 'amazon']);

/** Name of a document when none is given. */
export const DEFAULT_DOCUMENT_NAME = 'document';

const CACHE_POINT = { cachePoint: { type: 'default' as const } };

const IMAGE_FORMATS: Record<string, ImageFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

const DOCUMENT_FORMATS: Record<string, DocumentFormat> = {
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/x-markdown': 'md',
};

/** Bedrock image format for a media type; a typed error names the supported ones otherwise. */
export function imageFormat(mediaType: string): ImageFormat {
  const format = IMAGE_FORMATS[mediaType.toLowerCase().split(';')[0]!.trim()];
  if (!format) {
    throw providerError({
      provider: 'bedrock',
      kind: 'invalid_request',
      retryable: false,
      detail: `image media type '${mediaType}' is not supported by Bedrock (supported: ${Object.keys(IMAGE_FORMATS).join(', ')})`,
    });
  }
  return format;
}

/** Bedrock document format for a media type; a typed error names the supported ones otherwise. */
export function documentFormat(mediaType: string): DocumentFormat {
  const format = DOCUMENT_FORMATS[mediaType.toLowerCase().split(';')[0]!.trim()];
  if (!format) {
    throw providerError({
      provider: 'bedrock',
      kind: 'invalid_request',
      retryable: false,
      detail: `document media type '${mediaType}' is not supported by Bedrock (supported: ${Object.keys(DOCUMENT_FORMATS).join(', ')})`,
    });
  }
  return format;
}

/**
 * A document name Bedrock accepts: only letters, digits, single spaces, hyphens, parentheses
 * and square brackets (anything else becomes a hyphen).
 */
export function documentName(name: string | undefined): string {
  const cleaned = (name ?? '')
    .replace(/[^A-Za-z0-9\s\-()[\]]/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
  return cleaned || DEFAULT_DOCUMENT_NAME;
}

function bytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'base64') : data;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Options of {@link toBedrockMessages}. */
export interface ConvertOptions {
  vendor?: ModelVendor;
  /** Adds a cache point at the end of the last message. */
  cacheLastMessage?: boolean;
}

/** Keeps document names unique within one request (Bedrock rejects duplicates). */
class DocumentNames {
  private readonly used = new Map<string, number>();
  next(name: string | undefined): string {
    const base = documentName(name);
    const n = (this.used.get(base) ?? 0) + 1;
    this.used.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  }
}

/**
 * Converts the conversation to Bedrock messages: text, tool use (input always a JSON object),
 * tool results with status and text/json/image/document content, images, documents, and
 * thinking as `reasoningContent` (sent back to Claude always, to other models only when signed).
 */
export function toBedrockMessages(messages: readonly Message[], options: ConvertOptions = {}): BedrockMessage[] {
  const names = new DocumentNames();
  const out = messages.map((m) => ({
    role: m.role,
    content: m.content.flatMap((b) => blockToBedrock(b, options.vendor, names)),
  }));
  for (const m of out) {
    // Bedrock rejects blank text blocks; drop them when the message has other content.
    const nonBlank = m.content.filter((b) => !('text' in b && b.text === ''));
    if (nonBlank.length > 0) m.content = nonBlank;
  }
  const last = out.at(-1);
  if (options.cacheLastMessage && last && last.content.length > 0) last.content.push(CACHE_POINT);
  return out;
}

function blockToBedrock(block: ContentBlock, vendor: ModelVendor | undefined, names: DocumentNames): BedrockBlock[] {
  switch (block.type) {
    case 'text':
      return [{ text: block.text }];
    case 'tool_use':
      // A tool input that is not a JSON object (e.g. cut-off JSON kept as text) is sent as {}:
      // Claude rejects anything else in toolUse.input.
      return [{ toolUse: { toolUseId: block.id, name: block.name, input: isPlainObject(block.input) ? (block.input as never) : {} } }];
    case 'tool_result': {
      const content = block.content.map((c) => toolResultContent(c, names));
      const withStatus = vendor !== undefined && STATUS_VENDORS.has(vendor);
      return [
        {
          toolResult: {
            toolUseId: block.toolUseId,
            content,
            ...(withStatus && { status: block.isError ? ('error' as const) : ('success' as const) }),
          },
        },
      ];
    }
    case 'thinking':
      // Claude needs its (signed) thinking back; other models get only signed reasoning back.
      if (vendor !== 'anthropic' && vendor !== undefined && !block.signature) return [];
      return [
        {
          reasoningContent: {
            reasoningText: { text: block.thinking, ...(block.signature !== undefined && { signature: block.signature }) },
          },
        },
      ];
    case 'redacted_thinking':
      if (vendor !== 'anthropic' && vendor !== undefined) return [];
      return [{ reasoningContent: { redactedContent: bytes(block.data) } }];
    case 'image':
      return [{ image: { format: imageFormat(block.mediaType), source: { bytes: bytes(block.data) } } }];
    case 'document':
      return [
        {
          document: { format: documentFormat(block.mediaType), name: names.next(block.name), source: { bytes: bytes(block.data) } },
        },
      ];
  }
}

function toolResultContent(c: ToolResultContent, names: DocumentNames): ToolResultContentBlock {
  switch (c.type) {
    case 'text':
      return { text: c.text };
    case 'json':
      // Bedrock's json member must be an object; other JSON values go as their JSON text.
      return isPlainObject(c.value) ? { json: c.value as never } : { text: JSON.stringify(c.value) ?? 'null' };
    case 'image':
      return { image: { format: imageFormat(c.mediaType), source: { bytes: bytes(c.data) } } };
    case 'document':
      return { document: { format: documentFormat(c.mediaType), name: names.next(c.name), source: { bytes: bytes(c.data) } } };
  }
}

/** The system prompt as Bedrock system blocks, with a cache point when asked. */
export function toBedrockSystem(system: string | undefined, cache: boolean): SystemContentBlock[] | undefined {
  if (!system) return undefined;
  return cache ? [{ text: system }, CACHE_POINT] : [{ text: system }];
}

/** Tool definitions as Bedrock tool specs, with a cache point after them when asked. */
export function toBedrockTools(tools: readonly ToolDefinition[], cache: boolean): BedrockTool[] | undefined {
  if (tools.length === 0) return undefined;
  const specs: BedrockTool[] = tools.map((t) => ({
    toolSpec: { name: t.name, description: t.description, inputSchema: { json: t.inputSchema as never } },
  }));
  if (cache) specs.push(CACHE_POINT);
  return specs;
}

/** Resolves the `promptCaching` option to where cache points go, for a model's vendor. */
export function cachePlacement(
  option: boolean | PromptCachingConfig | undefined,
  vendor: ModelVendor | undefined,
): Required<PromptCachingConfig> {
  const none = { system: false, tools: false, messages: false };
  if (!option || vendor === undefined || !CACHING_VENDORS.has(vendor)) return none;
  const o = option === true ? {} : option;
  return {
    system: o.system ?? true,
    // Nova caches system prompts and messages, not tool definitions.
    tools: vendor === 'anthropic' && (o.tools ?? true),
    messages: o.messages ?? true,
  };
}

/** Vendor of a Bedrock model id from its provider prefix (`anthropic.`, `amazon.`, ...). */
export function vendorOfBedrockId(baseId: string): ModelVendor | undefined {
  const prefix = baseId.slice(0, Math.max(0, baseId.indexOf('.')));
  switch (prefix) {
    case 'anthropic':
    case 'amazon':
    case 'cohere':
    case 'deepseek':
    case 'zai':
    case 'google':
    case 'meta':
    case 'minimax':
    case 'mistral':
    case 'qwen':
      return prefix;
    case 'moonshot':
    case 'moonshotai':
      return 'moonshot';
    default:
      return undefined;
  }
}

/** `additionalModelRequestFields` for thinking and top-k in the vendor's format, merged with the user's fields. */
export function additionalFields(options: {
  vendor: ModelVendor | undefined;
  thinkingBudget?: number;
  topK?: number;
  extra?: Record<string, unknown>;
}): Record<string, unknown> | undefined {
  const fields: Record<string, unknown> = {};
  if (options.thinkingBudget !== undefined && options.vendor === 'anthropic') {
    fields.thinking = { type: 'enabled', budget_tokens: options.thinkingBudget };
  }
  if (options.topK !== undefined) {
    if (options.vendor === 'amazon') fields.inferenceConfig = { topK: options.topK };
    else fields.top_k = options.topK;
  }
  Object.assign(fields, options.extra ?? {});
  return Object.keys(fields).length > 0 ? fields : undefined;
}
