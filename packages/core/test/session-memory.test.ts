import { describe, expect, it } from 'vitest';
import { MemorySessionStore, SessionError } from '@mixtape/core';
import { runSessionStoreConformance } from '@mixtape/core/testing';

// All stores of the suite share one set of sessions, like stores on one database file.
const backend = new MemorySessionStore();
runSessionStoreConformance('MemorySessionStore', ({ directory }) => backend.withDirectory(directory));

describe('MemorySessionStore', () => {
  it('scopes getOrCreateSession to process.cwd() by default', async () => {
    const store = new MemorySessionStore();
    expect(store.directory).toBe(process.cwd());
    expect((await store.getOrCreateSession()).directory).toBe(process.cwd());
  });

  it('keeps separately constructed stores apart', async () => {
    const a = new MemorySessionStore({ directory: '/a' });
    const b = new MemorySessionStore({ directory: '/a' });
    const s = await a.getOrCreateSession();
    expect(await b.getSession(s.id)).toBeNull();
  });

  it('a message holding a value that cannot be stored is a serialization error and changes nothing', async () => {
    const store = new MemorySessionStore();
    const s = await store.getOrCreateSession();
    const bad = {
      role: 'assistant' as const,
      content: '',
      toolCalls: [],
      toolResults: [],
      timestamp: new Date(),
      blocks: [{ type: 'tool_use' as const, id: 't', name: 'n', input: { callback: () => 1 } }],
    };
    const e = await store.appendMessages(s.id, [bad]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SessionError);
    expect((e as SessionError).kind).toBe('serialization');
    expect((e as SessionError).message).toContain(s.id);
    expect((await store.getSession(s.id))!.messages).toEqual([]);
  });
});
