import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Message,
  NoOpConversationManager,
  SimpleConversationManager,
  SlidingWindowConversationManager,
  estimateMessageTokens,
  estimateTextTokens,
  Agent,
  ClaudeHaiku4_5,
} from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';

const user = (text: string): Message => ({ role: 'user', content: [{ type: 'text', text }] });
const assistant = (text: string): Message => ({ role: 'assistant', content: [{ type: 'text', text }] });
const call = (id: string): Message => ({ role: 'assistant', content: [{ type: 'tool_use', id, name: 't', input: { q: 'x'.repeat(50) } }] });
const result = (id: string): Message => ({
  role: 'user',
  content: [{ type: 'tool_result', toolUseId: id, content: [{ type: 'text', text: 'y'.repeat(200) }], isError: false }],
});

/** Checks the invariants every window must hold. */
function assertValidWindow(all: Message[], window: Message[]) {
  // A suffix of the history.
  expect(window).toEqual(all.slice(all.length - window.length));
  if (!window.length) return;
  // Starts with a user message that is not a bare tool result.
  expect(window[0]!.role).toBe('user');
  expect(window[0]!.content.some((b) => b.type === 'tool_result')).toBe(false);
  // Every tool result's call is in the window.
  const calls = new Set(window.flatMap((m) => m.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : []))));
  for (const m of window) for (const b of m.content) if (b.type === 'tool_result') expect(calls.has(b.toolUseId)).toBe(true);
}

describe('token estimation', () => {
  it('counts text with a real tokenizer and images/documents from their size', () => {
    expect(estimateTextTokens('Hello, world!')).toBe(4);
    expect(estimateTextTokens('The quick brown fox jumps over the lazy dog. '.repeat(100))).toBeGreaterThan(900);
    expect(estimateTextTokens('The quick brown fox jumps over the lazy dog. '.repeat(100))).toBeLessThan(1100);
    const image: Message = { role: 'user', content: [{ type: 'image', mediaType: 'image/png', data: new Uint8Array(7500) }] };
    expect(estimateMessageTokens(image)).toBe(4 + 10 + 85);
    const huge: Message = { role: 'user', content: [{ type: 'image', mediaType: 'image/png', data: new Uint8Array(20_000_000) }] };
    expect(estimateMessageTokens(huge)).toBe(4 + 1600);
    const pdf: Message = { role: 'user', content: [{ type: 'document', mediaType: 'application/pdf', data: new Uint8Array(5000) }] };
    expect(estimateMessageTokens(pdf)).toBe(4 + 10 + 50);
    const text: Message = {
      role: 'user',
      content: [{ type: 'document', mediaType: 'text/plain', data: Buffer.from('Hello, world!').toString('base64') }],
    };
    expect(estimateMessageTokens(text)).toBe(4 + 4 + 10);
  });
});

describe('conversation managers', () => {
  it('the sliding window keeps the newest messages that fit', () => {
    const msgs: Message[] = [];
    for (let i = 0; i < 50; i++) msgs.push(user(`question ${i} ${'word '.repeat(100)}`), assistant(`answer ${i} ${'word '.repeat(100)}`));
    const manager = new SlidingWindowConversationManager({ responseReserve: 0 });
    const perPair = estimateMessageTokens(msgs[0]!) + estimateMessageTokens(msgs[1]!);
    const window = manager.select(msgs, { maxContextTokens: perPair * 10 + 5, fixedTokens: 0 });
    expect(window).toHaveLength(20);
    expect(window[0]).toBe(msgs[80]);
    assertValidWindow(msgs, window);
    // Everything fits: everything is kept.
    expect(manager.select(msgs, { maxContextTokens: 10_000_000, fixedTokens: 0 })).toHaveLength(100);
  });

  it('the sliding window counts the system prompt and tools and reserves room for the answer', () => {
    const msgs = [user('a '.repeat(400)), assistant('b '.repeat(400)), user('c '.repeat(400))];
    const manager = new SlidingWindowConversationManager();
    const each = estimateMessageTokens(msgs[0]!);
    const max = Math.ceil((each * 3) / 0.8) + 10;
    expect(manager.select(msgs, { maxContextTokens: max, fixedTokens: 0 })).toHaveLength(3);
    expect(manager.select(msgs, { maxContextTokens: max, fixedTokens: each + 10 })).toHaveLength(1);
  });

  it('the sliding window never separates a tool call from its result', () => {
    const msgs = [user('start'), call('a'), result('a'), call('b'), result('b'), assistant('done'), user('next')];
    const manager = new SlidingWindowConversationManager({ responseReserve: 0 });
    for (let max = 1; max < 600; max += 7) assertValidWindow(msgs, manager.select(msgs, { maxContextTokens: max, fixedTokens: 0 }));
  });

  it('property: any history, any budget → a valid window', () => {
    const turn = fc.oneof(
      fc.record({ kind: fc.constant('text' as const), size: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ kind: fc.constant('tools' as const), calls: fc.integer({ min: 1, max: 3 }) }),
    );
    fc.assert(
      fc.property(
        fc.array(turn, { maxLength: 30 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 50 }),
        (turns, max, keep) => {
          const msgs: Message[] = [];
          let n = 0;
          for (const t of turns) {
            msgs.push(user('x '.repeat(t.kind === 'text' ? t.size : 5)));
            if (t.kind === 'tools') {
              const ids = Array.from({ length: t.calls }, () => `id${n++}`);
              msgs.push({ role: 'assistant', content: ids.map((id) => ({ type: 'tool_use' as const, id, name: 't', input: {} })) });
              msgs.push({
                role: 'user',
                content: ids.map((id) => ({
                  type: 'tool_result' as const,
                  toolUseId: id,
                  content: [{ type: 'text' as const, text: 'r' }],
                  isError: false,
                })),
              });
            }
            msgs.push(assistant('y '.repeat(t.kind === 'text' ? t.size : 3)));
          }
          assertValidWindow(
            msgs,
            new SlidingWindowConversationManager({ responseReserve: 0.1 }).select(msgs, { maxContextTokens: max, fixedTokens: 0 }),
          );
          assertValidWindow(msgs, new SimpleConversationManager(Math.max(1, keep)).select(msgs));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('simple keeps the last N and no-op keeps all', () => {
    const msgs = [user('1'), assistant('2'), user('3'), assistant('4')];
    expect(new SimpleConversationManager(2).select(msgs)).toEqual([user('3'), assistant('4')]);
    expect(new NoOpConversationManager().select(msgs)).toHaveLength(4);
    expect(() => new SimpleConversationManager(0)).toThrow(RangeError);
  });

  it('agent.contextUsage reports tokens, limit and percentage', async () => {
    const agent = new Agent({
      model: new ScriptedModel({ info: ClaudeHaiku4_5 }).text('hello '.repeat(50)),
      systemPrompt: 'You are terse.',
    });
    const before = agent.contextUsage();
    expect(before.maxContextTokens).toBe(200_000);
    await agent.run('hi');
    const after = agent.contextUsage();
    expect(after.contextTokens).toBeGreaterThan(before.contextTokens + 40);
    expect(after.totalMessages).toBe(2);
    expect(after.usagePercentage).toBeGreaterThan(0);
    expect(after.usagePercentage).toBeLessThan(1);
  });
});
