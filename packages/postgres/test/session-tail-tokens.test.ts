import type { SessionMessage } from '@mixtape/core';
import { sessionMessageTokens } from '@mixtape/core/session';
import { PostgresSessionStore } from '@mixtape/postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../../../test-support/postgres.js';

function msg(role: SessionMessage['role'], content: string): SessionMessage {
  return {
    role,
    content,
    toolCalls: [],
    toolResults: [],
    timestamp: new Date(1_750_000_000_000),
    blocks: [{ type: 'text', text: content }],
  };
}

describePostgres('PostgresSessionStore: per-message token estimates and saveSession tracking', () => {
  let store: PostgresSessionStore;
  beforeAll(async () => {
    store = new PostgresSessionStore({ connectionString: await createTestDatabase('tail-tokens'), directory: '/p', poolSize: 2 });
  });
  afterAll(async () => {
    await store.close();
  });

  it('loadTail with maxTokens returns a tail reaching the estimate, with the estimates, and reuses them once stored', async () => {
    const messages = Array.from({ length: 400 }, (_, i) =>
      msg(i % 2 ? 'assistant' : 'user', `message ${i}: ${'lorem ipsum dolor sit amet '.repeat(4)}`),
    );
    const created = await store.createSession({ messages });
    const maxTokens = sessionMessageTokens(messages[0]!) * 150;
    const first = (await store.loadTail(created.id, { limit: 1, maxTokens }))!;
    expect(first.tokens).toEqual(first.session.messages.map((m) => sessionMessageTokens(m)));
    // Rows not yet estimated are sized by a guess from their length; the exact counts are returned and stored.
    expect(first.tokens!.length).toBeGreaterThan(1);
    expect(first.start).toBe(400 - first.session.messages.length);
    // Once every row has its estimate (a read of the whole session stores them), the tail is exact.
    expect((await store.loadTail(created.id, { limit: 1, maxTokens: Number.MAX_SAFE_INTEGER }))!.start).toBe(0);
    const second = (await store.loadTail(created.id, { limit: 1, maxTokens }))!;
    expect(second.tokens).toEqual(second.session.messages.map((m) => sessionMessageTokens(m)));
    const sum = second.tokens!.reduce((a, b) => a + b, 0);
    expect(sum).toBeGreaterThanOrEqual(maxTokens);
    expect(sum - second.tokens![0]!).toBeLessThan(maxTokens);
  });

  it('saveSession of a returned session sees in-place edits of messages read from it and array writes', async () => {
    const created = await store.createSession({ messages: [msg('user', 'q'), msg('assistant', 'a'), msg('user', 'q2')] });
    const s = (await store.getSession(created.id))!;
    s.messages[1]!.content = 'a edited';
    s.messages.push(msg('assistant', 'a2'));
    await store.saveSession(s);
    s.messages.splice(0, 1, msg('user', 'q edited'));
    await store.saveSession(s);
    expect((await store.getSession(created.id))!.messages.map((m) => m.content)).toEqual(['q edited', 'a edited', 'q2', 'a2']);
  });
});
