import { describe, expect, it } from 'vitest';
import { mapCallToolResult, McpClient, McpConfigError, McpTool, McpToolError, namespacePrefix, sanitizeToolName } from '../src/index.js';

describe('tool names', () => {
  it('sanitises to ^[a-zA-Z0-9_-]{1,64}$ and keeps long names distinct', () => {
    expect(sanitizeToolName('fs_read_file')).toBe('fs_read_file');
    expect(sanitizeToolName('my.server/read file')).toBe('my_server_read_file');
    const long1 = sanitizeToolName(`${'x'.repeat(70)}_one`);
    const long2 = sanitizeToolName(`${'x'.repeat(70)}_two`);
    expect(long1).toMatch(/^[a-zA-Z0-9_-]{64}$/);
    expect(long2).toMatch(/^[a-zA-Z0-9_-]{64}$/);
    expect(long1).not.toBe(long2);
  });
  it('namespace rules', () => {
    expect(namespacePrefix('github', undefined)).toBe('github_');
    expect(namespacePrefix('github', 'gh')).toBe('gh_');
    expect(namespacePrefix('github', 'gh_')).toBe('gh_');
    expect(namespacePrefix('github', false)).toBe('');
    expect(namespacePrefix('github', '')).toBe('');
  });
});

describe('mapCallToolResult', () => {
  it('maps every content kind', () => {
    expect(
      mapCallToolResult(
        {
          content: [
            { type: 'text', text: 't' },
            { type: 'image', data: 'aGk=', mimeType: 'image/png' },
            { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
            { type: 'resource', resource: { uri: 'file:///a.txt', text: 'file text' } },
            { type: 'resource', resource: { uri: 'file:///a.pdf', mimeType: 'application/pdf', blob: 'JVBERg==' } },
            { type: 'resource_link', uri: 'file:///b', name: 'b' },
          ],
        },
        's',
        't',
      ),
    ).toEqual([
      { type: 'text', text: 't' },
      { type: 'image', mediaType: 'image/png', data: 'aGk=' },
      { type: 'text', text: '[Audio: audio/wav, 3 bytes (not shown)]' },
      { type: 'text', text: 'file text' },
      { type: 'document', mediaType: 'application/pdf', data: 'JVBERg==', name: 'file:///a.pdf' },
      { type: 'text', text: '[Resource: b <file:///b>]' },
    ]);
  });
  it('structured content and its text form are never both sent; empty content is an empty text', () => {
    // The server wrote a text for the model: that is what the model gets (no JSON copy besides).
    expect(mapCallToolResult({ content: [{ type: 'text', text: 'summary' }], structuredContent: { n: 1 } }, 's', 't')).toEqual([
      { type: 'text', text: 'summary' },
    ]);
    // The text is the JSON of the structured content: one json item.
    expect(mapCallToolResult({ content: [{ type: 'text', text: '{"n":1}' }], structuredContent: { n: 1 } }, 's', 't')).toEqual([
      { type: 'json', value: { n: 1 } },
    ]);
    // Structured content alone: json.
    expect(mapCallToolResult({ content: [], structuredContent: { n: 1 } }, 's', 't')).toEqual([{ type: 'json', value: { n: 1 } }]);
    // An image with a structured copy of itself goes as the image only (no base64 inside JSON).
    const image = { type: 'image' as const, data: 'iVBORw0KGgo=', mimeType: 'image/png' };
    expect(mapCallToolResult({ content: [image], structuredContent: { content: [image] } }, 's', 't')).toEqual([
      { type: 'image', mediaType: 'image/png', data: 'iVBORw0KGgo=' },
    ]);
    expect(mapCallToolResult({ content: [] }, 's', 't')).toEqual([{ type: 'text', text: '' }]);
  });
  it('isError throws with the server text, or a message naming tool and server', () => {
    expect(() => mapCallToolResult({ content: [{ type: 'text', text: 'disk full' }], isError: true }, 's', 't')).toThrow(
      new McpToolError('s', 't', 'disk full'),
    );
    expect(() => mapCallToolResult({ content: [], isError: true }, 'srv', 'tool')).toThrow(
      "MCP tool 'tool' on server 'srv' reported an error without a message.",
    );
  });
});

describe('McpTool validation', () => {
  const client = new McpClient({ name: 'x', transport: { type: 'stdio', command: 'never-started' } });
  it('validates with the server schema and sends the input unchanged (no defaults filled in)', () => {
    const tool = new McpTool(
      client,
      {
        name: 't',
        inputSchema: { type: 'object', properties: { n: { type: 'number' }, mode: { type: 'string', default: 'fast' } }, required: ['n'] },
      },
      'x_t',
    );
    expect(tool.validate({ n: 1 })).toEqual({ ok: true, value: { n: 1 } });
    expect(tool.validate({})).toMatchObject({ ok: false, error: expect.stringContaining('n:') });
    expect(client.connected).toBe(false);
  });
  it('a schema zod cannot convert falls back to an object check', () => {
    const tool = new McpTool(
      client,
      {
        name: 't',
        inputSchema: { type: 'object', properties: { r: { $ref: '#/definitions/R' } }, definitions: { R: { type: 'string' } } } as never,
      },
      'x_t',
    );
    expect(tool.validate({ r: 'anything' })).toEqual({ ok: true, value: { r: 'anything' } });
    expect(tool.validate('text')).toEqual({ ok: false, error: 'Tool input must be a JSON object, got: string' });
  });
});

describe('config validation', () => {
  it('bad programmatic configs throw McpConfigError at construction', () => {
    expect(() => new McpClient({ name: '', transport: { type: 'stdio', command: 'x' } })).toThrow(McpConfigError);
    expect(() => new McpClient({ name: 'h', transport: { type: 'http', url: 'ftp://x' } })).toThrow("'url' is not an http(s) URL");
    expect(() => new McpClient({ name: 'h', transport: { type: 'stdio', command: 'x' }, timeoutMs: -1 })).toThrow(
      "'timeoutMs' must be a positive number",
    );
  });
});
