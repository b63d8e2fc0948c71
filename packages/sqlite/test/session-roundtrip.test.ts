/**
 * Property test: any history (random text, blocks of every type, bytes, JSON tool input,
 * millisecond timestamps) comes back exactly from SQLite, through create, append and save,
 * and through export → JSON text → import.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContentBlock, SessionMessage, ToolResultContent } from '@mixtape/core';
import { MemorySessionStore, exportSession, importSession } from '@mixtape/core/session';
import { SqliteSessionStore } from '@mixtape/sqlite';

const folder = mkdtempSync(join(tmpdir(), 'mixtape-sqlite-roundtrip-'));
const store = new SqliteSessionStore(join(folder, 'roundtrip.db'), { directory: '/roundtrip' });
afterAll(async () => {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
});

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
/** JSON values that survive JSON text unchanged (no -0, no undefined). */
const json = fc.json({ maxDepth: 3 }).map((s) => JSON.parse(s) as unknown);
const binary = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.base64String({ maxLength: 24 }));
const mediaType = fc.constantFrom('image/png', 'image/jpeg', 'application/pdf', 'text/plain');

const resultContent: fc.Arbitrary<ToolResultContent> = fc.oneof(
  fc.record({ type: fc.constant('text' as const), text }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('json' as const), value: json }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('image' as const), mediaType, data: binary }, { noNullPrototype: true }),
  fc.record(
    { type: fc.constant('document' as const), mediaType, data: binary, name: text },
    { noNullPrototype: true, requiredKeys: ['type', 'mediaType', 'data'] },
  ),
);

const block: fc.Arbitrary<ContentBlock> = fc.oneof(
  fc.record({ type: fc.constant('text' as const), text }, { noNullPrototype: true }),
  fc.record(
    { type: fc.constant('thinking' as const), thinking: text, signature: text },
    { noNullPrototype: true, requiredKeys: ['type', 'thinking'] },
  ),
  fc.record({ type: fc.constant('redacted_thinking' as const), data: fc.base64String({ maxLength: 24 }) }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('tool_use' as const), id: text, name: text, input: json }, { noNullPrototype: true }),
  fc.record(
    {
      type: fc.constant('tool_result' as const),
      toolUseId: text,
      content: fc.array(resultContent, { maxLength: 3 }),
      isError: fc.boolean(),
    },
    { noNullPrototype: true },
  ),
  fc.record({ type: fc.constant('image' as const), mediaType, data: binary }, { noNullPrototype: true }),
  fc.record(
    { type: fc.constant('document' as const), mediaType, data: binary, name: text },
    { noNullPrototype: true, requiredKeys: ['type', 'mediaType', 'data'] },
  ),
);

const message: fc.Arbitrary<SessionMessage> = fc.record(
  {
    role: fc.constantFrom('user' as const, 'assistant' as const, 'system' as const),
    content: text,
    toolCalls: fc.array(fc.record({ id: text, name: text, input: fc.json({ maxDepth: 2 }) }, { noNullPrototype: true }), { maxLength: 2 }),
    toolResults: fc.array(fc.record({ toolUseId: text, success: fc.boolean(), content: text }, { noNullPrototype: true }), {
      maxLength: 2,
    }),
    timestamp: fc.date({ min: new Date('1900-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
    blocks: fc.array(block, { maxLength: 4 }),
  },
  { noNullPrototype: true, requiredKeys: ['role', 'content', 'toolCalls', 'toolResults', 'timestamp'] },
);

/** Messages whose seed fields are what the blocks give (the agent's usual case: stored once). */
const derivedMessage: fc.Arbitrary<SessionMessage> = fc
  .tuple(
    fc.constantFrom('user' as const, 'assistant' as const),
    fc.array(block, { minLength: 1, maxLength: 4 }),
    fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('3000-01-01') }),
  )
  .map(([role, blocks, timestamp]) => {
    let content = '';
    const toolCalls: SessionMessage['toolCalls'] = [];
    for (const b of blocks) {
      if (b.type === 'text') content += b.text;
      if (b.type === 'tool_use') toolCalls.push({ id: b.id, name: b.name, input: JSON.stringify(b.input ?? {}) });
    }
    return { role, content, toolCalls, toolResults: [], timestamp, blocks: blocks.filter((b) => b.type !== 'tool_result') };
  });

const history = fc.array(fc.oneof(message, derivedMessage), { maxLength: 6 });

describe('lossless round trip of arbitrary histories', () => {
  it('SQLite: createSession, appendMessages and saveSession give back exactly what was written', async () => {
    await fc.assert(
      fc.asyncProperty(history, history, async (first, more) => {
        const created = await store.createSession({ messages: first });
        expect((await store.getSession(created.id))!.messages).toStrictEqual(first);
        await store.appendMessages(created.id, more, { expectedCount: first.length });
        const both = [...first, ...more];
        expect((await store.getSession(created.id))!.messages).toStrictEqual(both);
        // Save a history that differs after the first message: the rest is rewritten.
        const changed = [...both.slice(0, 1), ...more, ...first];
        await store.saveSession({ ...created, messages: changed });
        expect((await store.getSession(created.id))!.messages).toStrictEqual(changed);
      }),
      { numRuns: 60 },
    );
  });

  it('export → JSON text → import gives back the same history', async () => {
    const memory = new MemorySessionStore({ directory: '/roundtrip' });
    await fc.assert(
      fc.asyncProperty(history, async (messages) => {
        const created = await store.createSession({ messages });
        const text = JSON.stringify(await exportSession(store, created.id));
        const imported = await importSession(memory, text);
        expect((await memory.getSession(imported.id))!.messages).toStrictEqual(messages);
      }),
      { numRuns: 60 },
    );
  });
});
