/**
 * The history section of the session-store conformance suite: the Rust original's one-row-per-run
 * layout, `saveSession` conflicts, the failed-run rule, unknown roles, tail loading and summaries.
 * @module
 */
import { Agent } from '../agent/agent.js';
import { SessionSync, isUnansweredPromptNote } from '../agent/session-sync.js';
import { SimpleConversationManager, SlidingWindowConversationManager } from '../conversation/managers.js';
import { ProviderError } from '../providers/errors.js';
import { fromSessionMessages, repairSessionMessages } from '../session/convert.js';
import { type Session, type SessionMessage, type SessionStore, SessionError } from '../session/types.js';
import { ScriptedModel } from './scripted-model.js';
import { validateHistory } from './validate-history.js';
import { requireVitest } from './vitest-runtime.js';

function text(role: SessionMessage['role'], content: string): SessionMessage {
  return { role, content, toolCalls: [], toolResults: [], timestamp: new Date() };
}

/** One run as the Rust original saves it: a User row, then one Assistant row with calls, results and the final text. */
export function rustRunFixture(run: number): SessionMessage[] {
  const t = (s: number) => new Date(Date.UTC(2026, 5, 1, 12, run, s));
  return [
    { ...text('user', `Run ${run}: add 5 and 3, then list /etc`), timestamp: t(0) },
    {
      role: 'assistant',
      content: `Run ${run}: 8, and /etc holds passwd and shadow.`,
      toolCalls: [
        { id: `tooluse_${run}_a`, name: 'calculator', input: '{"a":5,"b":3}' },
        { id: `tooluse_${run}_b`, name: 'list_directory', input: '{"path":"/etc"}' },
      ],
      toolResults: [
        { toolUseId: `tooluse_${run}_a`, success: true, content: '8' },
        { toolUseId: `tooluse_${run}_b`, success: false, content: 'passwd\nshadow' },
      ],
      timestamp: t(5),
    },
  ];
}

/** A long history with tool turns, for tail loading. */
function longHistory(n: number): SessionMessage[] {
  const out: SessionMessage[] = [];
  for (let i = 0; out.length < n; i++) {
    const t = new Date(1_700_000_000_000 + out.length);
    out.push({ ...text('user', `question ${i} ${'words '.repeat(i % 7)}`), timestamp: t });
    out.push({
      role: 'assistant',
      content: '',
      toolCalls: [],
      toolResults: [],
      timestamp: t,
      blocks: [{ type: 'tool_use', id: `call_${i}`, name: 'lookup', input: { i } }],
    });
    out.push({
      role: 'user',
      content: '',
      toolCalls: [],
      toolResults: [],
      timestamp: t,
      blocks: [
        {
          type: 'tool_result',
          toolUseId: `call_${i}`,
          isError: false,
          content: [{ type: 'text', text: `result ${i} `.repeat(20 + (i % 5)) }],
        },
      ],
    });
    out.push({ ...text('assistant', `answer ${i}`), timestamp: t });
  }
  return out.slice(0, n);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the promise to reject');
}

/** Registers the history section (called by `runSessionStoreConformance`). */
export function historyConformance(
  open: () => Promise<SessionStore>,
  create: (store: SessionStore, messages?: SessionMessage[]) => Promise<Session>,
): void {
  const { describe, expect, it } = requireVitest('runSessionStoreConformance');
  const expectKind = (e: unknown, kind: SessionError['kind']) => {
    expect(e).toBeInstanceOf(SessionError);
    expect((e as SessionError).kind).toBe(kind);
  };

  describe('histories', () => {
    it("keeps the Rust original's one-row-per-run layout and reads it as call → result → text with the real results", async () => {
      const store = await open();
      const fixture = [...rustRunFixture(1), ...rustRunFixture(2)];
      const s = await create(store, fixture);
      const loaded = (await store.getSession(s.id))!;
      expect(loaded.messages).toStrictEqual(fixture);
      expect(repairSessionMessages(loaded.messages).repaired).toBe(false);
      const history = fromSessionMessages(loaded.messages);
      expect(validateHistory(history)).toEqual([]);
      expect(history.map((m) => `${m.role}:${m.content.map((b) => b.type).join(',')}`)).toEqual([
        'user:text',
        'assistant:tool_use,tool_use',
        'user:tool_result,tool_result',
        'assistant:text',
        'user:text',
        'assistant:tool_use,tool_use',
        'user:tool_result,tool_result',
        'assistant:text',
      ]);
      expect(history[2]!.content).toEqual([
        { type: 'tool_result', toolUseId: 'tooluse_1_a', content: [{ type: 'text', text: '8' }], isError: false },
        { type: 'tool_result', toolUseId: 'tooluse_1_b', content: [{ type: 'text', text: 'passwd\nshadow' }], isError: true },
      ]);
    });

    it('saveSession of a copy loaded before another write is a conflict and loses nothing; a copy that only adds is saved', async () => {
      const store = await open();
      const s = await create(store, [text('user', 'q1'), text('assistant', 'a1')]);
      const first = (await store.getSession(s.id))!;
      const second = (await store.getSession(s.id))!;
      first.messages.push(text('user', 'from the first'));
      await store.saveSession(first);
      second.messages.push(text('user', 'from the second'));
      expectKind(await rejection(store.saveSession(second)), 'conflict');
      expect((await store.getSession(s.id))!.messages.map((m) => m.content)).toEqual(['q1', 'a1', 'from the first']);
      // The saved copy can be saved again (its version moved with it).
      first.messages.push(text('assistant', 'answer'));
      await store.saveSession(first);
      const third = (await store.getSession(s.id))!;
      third.messages[1] = text('assistant', 'a1 (edited)');
      await store.saveSession(third);
      expect((await store.getSession(s.id))!.messages.map((m) => m.content)).toEqual(['q1', 'a1 (edited)', 'from the first', 'answer']);
    });

    it('refuses a message with an unknown role with a serialization error, and writes nothing', async () => {
      const store = await open();
      const s = await create(store, [text('user', 'ok')]);
      const hacker = { ...text('user', 'x'), role: 'hacker' } as unknown as SessionMessage;
      if (store.appendMessages)
        expectKind(await rejection(store.appendMessages(s.id, [text('assistant', 'fine'), hacker])), 'serialization');
      const copy = (await store.getSession(s.id))!;
      copy.messages.push(hacker);
      const e = await rejection(store.saveSession(copy));
      expectKind(e, 'serialization');
      expect((e as Error).message).toMatch(/hacker/);
      expect((await store.getSession(s.id))!.messages.map((m) => m.content)).toEqual(['ok']);
    });

    it('the failed-run rule: a prompt the model never answered (401, 500, abort) is closed by a note, never sent again, never two prompts in a row', async () => {
      const store = await open();
      const s = await create(store);
      const model = new ScriptedModel()
        .error(new ProviderError('invalid x-api-key', { provider: 'scripted', kind: 'authentication', status: 401, retryable: false }))
        .error(new ProviderError('Internal server error', { provider: 'scripted', kind: 'server', status: 500, retryable: true }))
        .stall()
        .text('4');
      const agent = new Agent({ model, sessionStore: store, sessionId: s.id });
      await expect(agent.run('What is 2 + 2? (a)')).rejects.toMatchObject({ kind: 'provider' });
      await expect(agent.run('What is 2 + 2? (b)')).rejects.toMatchObject({ kind: 'provider' });
      const abort = new AbortController();
      // Abort once the model call has started (the model never answers before).
      const remove = agent.addHook((e) => {
        if (e.type === 'model_call_started') abort.abort();
      });
      const stalled = agent.run('What is 2 + 2? (c)', { signal: abort.signal });
      await expect(stalled).rejects.toMatchObject({ kind: 'aborted' });
      remove();
      // A new agent (another process) carries on.
      const again = new Agent({ model, sessionStore: store, sessionId: s.id });
      expect((await again.run('What is 2 + 2? (d)')).text).toBe('4');
      for (const r of model.requests) {
        expect(validateHistory(r.messages)).toEqual([]);
        const prompts = r.messages.flatMap((m) =>
          m.content.flatMap((b) => (b.type === 'text' && b.text.startsWith('What is') ? [b.text] : [])),
        );
        expect(prompts).toHaveLength(1);
      }
      const stored = (await store.getSession(s.id))!.messages;
      expect(stored.map((m) => (isUnansweredPromptNote(m) ? 'note' : m.content))).toEqual([
        'What is 2 + 2? (a)',
        'note',
        'What is 2 + 2? (b)',
        'note',
        'What is 2 + 2? (c)',
        'note',
        'What is 2 + 2? (d)',
        '4',
      ]);
      expect(stored[1]!.content).toMatch(/401|x-api-key/);
      for (let i = 1; i < stored.length; i++) expect(stored[i]!.role === 'user' && stored[i - 1]!.role === 'user').toBe(false);
    });

    it('loadTail gives the newest messages, the count and the summary; a resume from the tail selects the window of the whole history', async (ctx) => {
      const store = await open();
      if (!store.loadTail || !store.appendMessages) return ctx.skip();
      const all = longHistory(600);
      const s = await create(store, all);
      const tail = (await store.loadTail(s.id, { limit: 37 }))!;
      expect(tail.messageCount).toBe(600);
      expect(tail.start).toBe(563);
      expect(tail.session.messages).toStrictEqual(all.slice(563));
      expect(tail.summary).toBeUndefined();
      expect(await store.loadTail('00000000-0000-4000-8000-000000000000', { limit: 5 })).toBeNull();
      if (store.getOrCreateSessionId) expect(await store.getOrCreateSessionId()).toBe((await store.getOrCreateSession()).id);
      // A tail session cannot be saved whole (it would drop the older messages).
      expectKind(await rejection(store.saveSession(tail.session)), 'conflict');

      const full = fromSessionMessages(all);
      for (const manager of [new SlidingWindowConversationManager(), new SimpleConversationManager(40)]) {
        for (const contextWindow of [2_000, 6_000]) {
          const sync = new SessionSync(store, s.id, false, { manager, contextWindow });
          const loaded = await sync.load();
          expect(loaded.start).toBeGreaterThan(0);
          expect(loaded.storedCount).toBe(600);
          const budget = { maxContextTokens: contextWindow, fixedTokens: 0 };
          expect(manager.select(loaded.messages, budget)).toEqual(manager.select(full, budget));
          expect(manager.select(loaded.messages, { ...budget, fixedTokens: 300 })).toEqual(
            manager.select(full, { ...budget, fixedTokens: 300 }),
          );
        }
      }
      if (store.saveConversationSummary) {
        await store.saveConversationSummary(s.id, {
          text: 'The user asked 100 questions.',
          throughIndex: 400,
          createdAt: new Date(Date.UTC(2026, 0, 1)),
          model: 'm',
        });
        const withSummary = (await store.loadTail(s.id, { limit: 3 }))!;
        expect(withSummary.summary).toEqual({
          text: 'The user asked 100 questions.',
          throughIndex: 400,
          createdAt: new Date(Date.UTC(2026, 0, 1)),
          model: 'm',
        });
        expectKind(
          await rejection(
            store.saveConversationSummary('00000000-0000-4000-8000-000000000000', { text: 'x', throughIndex: 0, createdAt: new Date() }),
          ),
          'not_found',
        );
      }
    });
  });
}
