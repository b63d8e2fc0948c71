/**
 * MCP resources for the agent: read as tool-result content, offered to the model as two tools
 * (list, read), attached to a run as context, and kept fresh through subscriptions.
 * @module
 */
import { tool, type Tool, type ToolResultContent } from '@mixtape/core';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { McpClient } from './client.js';
import { sanitizeToolName } from './names.js';

/** Most characters of one resource given to the model or a run's context (longer text is cut with a note). */
export const DEFAULT_MCP_RESOURCE_MAX_CHARS = 100_000;

/** A piece of context for a run (the shape of `RunOptions.context`). */
export interface McpContextItem {
  description: string;
  value: string;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n[… ${text.length - max} more characters not shown]`;
}

/** A read resource as tool-result content: text as text, images as images, other blobs as documents. */
export function resourceContent(result: ReadResourceResult, maxChars: number = DEFAULT_MCP_RESOURCE_MAX_CHARS): ToolResultContent[] {
  return result.contents.map((c): ToolResultContent => {
    if ('text' in c && typeof c.text === 'string') return { type: 'text', text: cut(c.text, maxChars) };
    const blob = (c as { blob?: string }).blob ?? '';
    const mediaType = c.mimeType ?? 'application/octet-stream';
    if (mediaType.startsWith('image/')) return { type: 'image', mediaType, data: blob };
    return { type: 'document', mediaType, data: blob, name: c.uri };
  });
}

/** A read resource as run context (text only; binary parts are named, not inlined). */
export function resourceContext(
  server: string,
  uri: string,
  result: ReadResourceResult,
  maxChars: number = DEFAULT_MCP_RESOURCE_MAX_CHARS,
): McpContextItem {
  const value = result.contents
    .map((c) => ('text' in c && typeof c.text === 'string' ? c.text : `[binary ${c.mimeType ?? 'data'}: ${c.uri}]`))
    .join('\n');
  return { description: `MCP resource ${uri} (server '${server}')`, value: cut(value, maxChars) };
}

/** Reads a resource for attaching to a prompt (`agent.run(prompt, { context: [await attachResource(client, uri)] })`). */
export async function attachResource(client: McpClient, uri: string, options: { signal?: AbortSignal } = {}): Promise<McpContextItem> {
  return resourceContext(client.name, uri, await client.readResource(uri, options));
}

/**
 * Two read-only tools for the model: `<server>_list_resources` (resources and templates) and
 * `<server>_read_resource` ({ uri }). Only URIs the server lists, or that fit one of its
 * templates' schemes, are read.
 */
export function resourceTools(client: McpClient, options: { prefix?: string; maxChars?: number } = {}): Tool[] {
  const prefix = options.prefix ?? `${client.name}_`;
  const maxChars = options.maxChars ?? DEFAULT_MCP_RESOURCE_MAX_CHARS;
  const annotations = { readOnlyHint: true, idempotentHint: true, openWorldHint: false };
  const list = tool({
    name: sanitizeToolName(`${prefix}list_resources`),
    description: `Lists the resources and resource templates of MCP server '${client.name}'.`,
    input: z.object({}),
    execute: async (_input, ctx) => {
      const [resources, templates] = await Promise.all([
        client.listResources({ signal: ctx.signal }),
        client.listResourceTemplates({ signal: ctx.signal }),
      ]);
      return {
        resources: resources.map((r) => ({
          uri: r.uri,
          name: r.name,
          ...(r.description ? { description: r.description } : {}),
          ...(r.mimeType ? { mimeType: r.mimeType } : {}),
        })),
        templates: templates.map((t) => ({
          uriTemplate: t.uriTemplate,
          name: t.name,
          ...(t.description ? { description: t.description } : {}),
        })),
      };
    },
  });
  const read = tool({
    name: sanitizeToolName(`${prefix}read_resource`),
    description: `Reads a resource of MCP server '${client.name}' by URI (see ${prefix}list_resources).`,
    input: z.object({ uri: z.string().min(1).describe('The resource URI') }),
    execute: async ({ uri }, ctx) => resourceContent(await client.readResource(uri, { signal: ctx.signal }), maxChars),
  });
  return [Object.assign(list, { annotations }), Object.assign(read, { annotations })];
}

/**
 * Resources a run should always see, kept fresh: each is read once, subscribed to, and read
 * again when the server says it changed. `context()` gives the current text for `RunOptions.context`.
 *
 * @example
 * const watched = await watchResources(client, ['file:///project/notes.md']);
 * await agent.run('What changed?', { context: watched.context() });
 */
export async function watchResources(
  client: McpClient,
  uris: readonly string[],
  options: { onChange?: (uri: string) => void; onError?: (uri: string, error: Error) => void } = {},
): Promise<{ context(): McpContextItem[]; versions(): Record<string, number>; close(): Promise<void> }> {
  const current = new Map<string, McpContextItem>();
  const versions: Record<string, number> = {};
  const refreshing = new Map<string, Promise<void>>();
  const refresh = (uri: string): Promise<void> => {
    const run = (refreshing.get(uri) ?? Promise.resolve()).then(async () => {
      try {
        current.set(uri, await attachResource(client, uri));
        versions[uri] = (versions[uri] ?? 0) + 1;
        options.onChange?.(uri);
      } catch (error) {
        (options.onError ?? ((u, e) => process.emitWarning(`Could not refresh MCP resource ${u}: ${e.message}`, { code: 'MIXTAPE_MCP' })))(
          uri,
          error as Error,
        );
      }
    });
    refreshing.set(uri, run);
    return run;
  };
  const unsubscribes: Array<() => Promise<void>> = [];
  for (const uri of uris) {
    await refresh(uri);
    unsubscribes.push(await client.subscribeResource(uri, () => void refresh(uri)));
  }
  return {
    context: () => uris.flatMap((u) => (current.has(u) ? [current.get(u)!] : [])),
    versions: () => ({ ...versions }),
    close: async () => {
      await Promise.all(unsubscribes.map((u) => u()));
    },
  };
}
