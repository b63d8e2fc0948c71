import { describe, expect, it } from 'vitest';
import { copyData, copyStorable } from '../src/copy-data.js';
import { Agent } from '../src/index.js';
import { ScriptedModel } from '../src/testing/index.js';

describe('copyData (result messages without a structuredClone round trip)', () => {
  it('copies plain data deeply, keeps undefined values, copies bytes and dates', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const value = { a: [1, { b: 'x', u: undefined }], bytes, when: new Date(5), n: null };
    const copy = copyData(value);
    expect(copy).toEqual(value);
    expect(copy).not.toBe(value);
    expect(copy.a[1]).not.toBe(value.a[1]);
    expect(copy.bytes).not.toBe(bytes);
    expect(copy.bytes).toEqual(bytes);
    expect(copy.when).not.toBe(value.when);
    expect(Object.keys(copy.a[1] as object)).toEqual(['b', 'u']);
  });

  it('copies a cycle or very deep nesting through structuredClone', () => {
    const cyclic: { self?: unknown; v: number } = { v: 1 };
    cyclic.self = cyclic;
    const copy = copyData(cyclic);
    expect(copy.self).toBe(copy);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 500; i++) deep = { next: deep };
    expect(copyData(deep)).toEqual(deep);
  });

  it('copyStorable refuses what a store cannot keep (functions, symbols), as structuredClone does, and copies dates', () => {
    expect(() => copyStorable({ blocks: [{ input: { callback: () => 1 } }] })).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
    expect(() => copyStorable([{ tag: Symbol('s') }])).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
    const when = new Date(1_700_000_000_000);
    const copy = copyStorable({ timestamp: when, text: 'x' });
    expect(copy).toEqual({ timestamp: when, text: 'x' });
    expect(copy.timestamp).not.toBe(when);
    // copyData (for data made by the agent itself) passes functions through.
    const f = () => 1;
    expect(copyData({ f }).f).toBe(f);
  });

  it("a run's result messages are the agent's history copied: changing them changes nothing", async () => {
    const agent = new Agent({ model: new ScriptedModel().text('answer') });
    const result = await agent.run('question');
    (result.messages[1]!.content[0] as { text: string }).text = 'changed';
    expect(agent.messages[1]!.content[0]).toEqual({ type: 'text', text: 'answer' });
  });
});
