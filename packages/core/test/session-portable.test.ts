import { describe, expect, it } from 'vitest';
import { type SessionMessage, MemorySessionStore, SessionError } from '@mixtape/core';
import {
  SESSION_EXPORT_FORMAT,
  SESSION_EXPORT_VERSION,
  exportSession,
  forkSession,
  importSession,
  parseSessionExport,
} from '@mixtape/core/session';

const at = new Date(Date.UTC(2026, 10, 25, 9, 30, 15, 42));

function fixture(): SessionMessage[] {
  return [
    {
      role: 'user',
      content: 'look',
      toolCalls: [],
      toolResults: [],
      timestamp: at,
      blocks: [{ type: 'image', mediaType: 'image/png', data: Uint8Array.from([0, 1, 254, 255]) }],
    },
    {
      role: 'assistant',
      content: 'a cat',
      toolCalls: [],
      toolResults: [],
      timestamp: at,
      blocks: [{ type: 'image', mediaType: 'image/gif', data: 'R0lG' }],
    },
  ];
}

function errorOf(fn: () => unknown): SessionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SessionError);
    return e as SessionError;
  }
  throw new Error('expected an error');
}

describe('exportSession', () => {
  it('writes versioned JSON with ISO dates (milliseconds kept) and bytes as base64', async () => {
    const store = new MemorySessionStore({ directory: '/p' });
    const s = await store.createSession({ messages: fixture(), title: 'Cats', createdAt: at });
    const out = JSON.parse(JSON.stringify(await exportSession(store, s.id)));
    expect(out.format).toBe(SESSION_EXPORT_FORMAT);
    expect(out.version).toBe(SESSION_EXPORT_VERSION);
    expect(out.exportedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(out.session).toMatchObject({ id: s.id, directory: '/p', title: 'Cats', createdAt: '2026-11-25T09:30:15.042Z' });
    expect(out.session.messages[0].timestamp).toBe('2026-11-25T09:30:15.042Z');
    // Bytes become {"$bytes": base64}; base64 text given as text stays text.
    expect(out.session.messages[0].blocks[0].data).toEqual({ $bytes: 'AAH+/w==' });
    expect(out.session.messages[1].blocks[0].data).toBe('R0lG');
  });

  it('an unknown id is not_found', async () => {
    const e = await exportSession(new MemorySessionStore(), 'nope').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SessionError);
    expect((e as SessionError).kind).toBe('not_found');
  });
});

describe('importSession', () => {
  async function exported() {
    const store = new MemorySessionStore({ directory: '/p' });
    const s = await store.createSession({ messages: fixture(), title: 'Cats' });
    return JSON.parse(JSON.stringify(await exportSession(store, s.id))) as Record<string, any>;
  }

  it('imports into another directory and title when asked', async () => {
    const target = new MemorySessionStore({ directory: '/here' });
    const imported = await importSession(target, await exported(), { directory: '/here', title: 'Imported cats' });
    expect(imported.directory).toBe('/here');
    expect(imported.title).toBe('Imported cats');
    expect((await target.getOrCreateSession()).id).toBe(imported.id);
  });

  it('names every wrong field with its path', async () => {
    const doc = await exported();
    doc.session.messages[0].role = 'robot';
    doc.session.messages[1].blocks[0] = { type: 'image', mediaType: 'image/gif', data: { $bytes: 'not base64!' } };
    delete doc.session.directory;
    const e = errorOf(() => parseSessionExport(doc));
    expect(e.kind).toBe('serialization');
    expect(e.message).toContain('session.directory');
    expect(e.message).toContain('session.messages[0].role');
    expect(e.message).toContain('session.messages[1].blocks[0]');
  });

  it('refuses an unknown block type, a newer version, another format and non-objects, each saying why', async () => {
    const doc = await exported();
    doc.session.messages[0].blocks[0] = { type: 'hologram' };
    expect(errorOf(() => parseSessionExport(doc)).message).toContain('session.messages[0].blocks[0]');
    const v3 = errorOf(() => parseSessionExport({ ...doc, version: 3 }));
    expect(v3.message).toContain('version 3');
    expect(v3.message).toContain('Upgrade @mixtape/core');
    expect(errorOf(() => parseSessionExport({ ...doc, version: 0 })).message).toContain('version');
    expect(errorOf(() => parseSessionExport({ format: 'chat.log' })).message).toContain('"chat.log"');
    expect(errorOf(() => parseSessionExport([1, 2])).message).toContain('got array');
    expect(errorOf(() => parseSessionExport('{"format": ')).message).toContain('not valid JSON');
  });

  it('a store without createSession is told what it lacks', async () => {
    const bare = {
      getOrCreateSession: async () => {
        throw new Error('x');
      },
      getSession: async () => null,
      saveSession: async () => {},
      listSessions: async () => [],
      deleteSession: async () => {},
    };
    await expect(importSession(bare, await exported())).rejects.toThrow(/createSession/);
    await expect(forkSession(bare, 'id')).rejects.toThrow(/createSession/);
  });
});

describe('forkSession', () => {
  it('rejects a cut that is not a whole message count', async () => {
    const store = new MemorySessionStore();
    const s = await store.createSession({ messages: fixture() });
    await expect(forkSession(store, s.id, { atMessage: 1.5 })).rejects.toThrow(/integer from 0 to 2/);
    await expect(forkSession(store, s.id, { atMessage: -1 })).rejects.toThrow(RangeError);
    expect((await forkSession(store, s.id, { atMessage: 2 })).messages).toHaveLength(2);
  });
});
