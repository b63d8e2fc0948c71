import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { Agent, MemorySessionStore, SummarizingConversationManager, tool } from '@mixtape/core';
import { ScriptedModel, validateHistory } from '@mixtape/core/testing';

const info = (contextWindow: number) => ({
  name: 'Tiny',
  contextWindow,
  maxOutputTokens: 100,
  pricing: { inputPerMTok: 1, outputPerMTok: 5 },
});

const lookup = tool({
  name: 'lookup',
  description: 'looks something up',
  input: z.object({ q: z.string() }),
  execute: ({ q }) => `found ${q}: ${'data '.repeat(60)}`,
});

function textOf(m: { content: { type: string; text?: string }[] }): string {
  return m.content.map((b) => (b.type === 'text' ? b.text : b.type === 'tool_result' ? '[result]' : `[${b.type}]`)).join(' ');
}

describe('SummarizingConversationManager', () => {
  it('summarizes what the window drops, persists it, sends it instead, keeps calls with their results, and counts its cost', async () => {
    const store = new MemorySessionStore({ directory: '/summaries' });
    const summarizer = new ScriptedModel({ modelId: 'cheap', info: info(100_000) });
    summarizer.text('SUMMARY-1: the user asked about topics 0 to 2; lookup found data.', { usage: { inputTokens: 500, outputTokens: 40 } });
    summarizer.text('SUMMARY-2: topics 0 to 4, all looked up.', { usage: { inputTokens: 300, outputTokens: 30 } });
    const model = new ScriptedModel({ modelId: 'main', info: info(1_200) });
    const manager = new SummarizingConversationManager({ model: summarizer });
    const agent = new Agent({ model, tools: [lookup], sessionStore: store, conversationManager: manager });
    const results = [];
    for (let i = 0; i < 6; i++) {
      model
        .toolUse('lookup', { q: `topic ${i}` })
        .text(`Topic ${i} is ${'interesting '.repeat(20)}`, { usage: { inputTokens: 100, outputTokens: 20 } });
      results.push(await agent.run(`Tell me about topic ${i} ${'please '.repeat(20)}`));
    }
    // Summaries were made when the window started dropping messages, and sent in their place.
    expect(summarizer.requests.length).toBeGreaterThanOrEqual(1);
    const last = model.requests.at(-1)!.messages;
    expect(validateHistory(last)).toEqual([]);
    expect(textOf(last[0]!)).toMatch(/<conversation-summary>[\s\S]*SUMMARY-/);
    expect(last.some((m) => textOf(m).includes('topic 0 please'))).toBe(false);
    // Every request is a valid history (never a result without its call).
    for (const r of model.requests) expect(validateHistory(r.messages)).toEqual([]);
    // The summarizer was given the dropped messages, not the window.
    expect(textOf(summarizer.requests[0]!.messages[0]!)).toMatch(/topic 0/);
    // Its cost is in the run's usage and the session's totals.
    const summarized = results.find((r) => r.usage.inputTokens >= 500);
    expect(summarized, 'a run includes the summary call').toBeDefined();
    const session = (await store.getSession(results[0]!.sessionId!))!;
    expect(session.usage!.inputTokens).toBeGreaterThanOrEqual(500 + 6 * 100);
    // The summary is persisted with the session, and a new agent resumes from it.
    const tail = (await store.loadTail(session.id, { limit: 5 }))!;
    expect(tail.summary?.text).toMatch(/^SUMMARY-/);
    expect(tail.summary!.throughIndex).toBeGreaterThan(0);
    expect(tail.summary!.model).toBe('cheap');
    const model2 = new ScriptedModel({ modelId: 'main', info: info(1_200) }).text('ok');
    const resumed = new Agent({
      model: model2,
      sessionStore: store,
      sessionId: session.id,
      conversationManager: new SummarizingConversationManager({ model: summarizer }),
    });
    await resumed.run('And now?');
    const sent = model2.requests[0]!.messages;
    expect(textOf(sent[0]!)).toContain(tail.summary!.text);
    expect(validateHistory(sent)).toEqual([]);
  });
});
