import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from '@mixtape/core';
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
});
