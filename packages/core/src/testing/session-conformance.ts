/**
 * `runSessionStoreConformance`: one behavioural suite (vitest) that every {@link SessionStore}
 * must pass. Mixtape runs it against the memory, SQLite and PostgreSQL stores; run it against
 * your own store the same way.
 *
 * `vitest` is an optional peer dependency of `@mixtape/core`. It is loaded only when present, so
 * the other testing helpers (e.g. `ScriptedModel`) work without it.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { requireVitest } from './vitest-runtime.js';
import { runStateConformance } from './run-state-conformance.js';
import { historyConformance } from './history-conformance.js';
import type { ContentBlock } from '../messages.js';
import { exportSession, forkSession, importSession, SESSION_EXPORT_FORMAT } from '../session/portable.js';
import { type Session, type SessionMessage, type SessionStore, SessionError } from '../session/types.js';

/** Options the suite passes to the store factory. */
export interface ConformanceStoreOptions {
  /** Directory the store is scoped to (`getOrCreateSession` returns its newest session). */
  directory: string;
}

/**
 * Makes a store. Every store made during one suite run must share one backend (one database
 * file, one database): the suite makes several stores with different directories and expects
 * them to see each other's sessions. Tests keep apart by using directories of their own.
 */
export type MakeSessionStore = (options: ConformanceStoreOptions) => SessionStore | Promise<SessionStore>;

/** Options of {@link runSessionStoreConformance}. */
export interface SessionStoreConformanceOptions {
  /** Runs once after the whole suite (remove temporary files, stop servers). */
  teardown?: () => void | Promise<void>;
  /** Check `loadRunState`/`saveRunState` (default true; false for a store without run state). */
  runState?: boolean;
}

const ZERO_USAGE = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 };

/** Every byte value 0…255, so encodings that lose or mangle bytes are caught. */
function allBytes(): Uint8Array {
  return Uint8Array.from({ length: 256 }, (_, i) => i);
}

function text(role: SessionMessage['role'], content: string, timestamp = new Date()): SessionMessage {
  return { role, content, toolCalls: [], toolResults: [], timestamp };
}

/** A history that exercises every kind of content a store must keep exactly. */
export function losslessFixture(): SessionMessage[] {
  const t = (ms: number) => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, ms));
  const image = allBytes();
  const pdf = new TextEncoder().encode('%PDF-1.7\n\u00e9\u00e8 binary \u0000\u00ff');
  const resultImage = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10, 0, 255, 1]);
  const unicode = 'Héllo wörld — 你好，世界 — مرحبا — 🎵🧪👩🏽‍💻 — \t tab \n newline "quotes" \\ backslash';
  const userBlocks: ContentBlock[] = [
    { type: 'text', text: unicode },
    { type: 'image', mediaType: 'image/png', data: image },
    { type: 'image', mediaType: 'image/jpeg', data: 'aGVsbG8=' },
    { type: 'document', mediaType: 'application/pdf', data: pdf, name: 'report.pdf' },
  ];
  const assistantBlocks: ContentBlock[] = [
    { type: 'thinking', thinking: 'Let me think… ∑ step by step', signature: 'sig-EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxDAbc==' },
    { type: 'redacted_thinking', data: 'cmVkYWN0ZWQ=' },
    { type: 'text', text: 'I will read it.' },
    {
      type: 'tool_use',
      id: 'toolu_01',
      name: 'read_file',
      input: { path: 'ä/b.txt', options: { lines: [1, 2], deep: { $bytes: 'not-binary' } } },
    },
    { type: 'tool_use', id: 'toolu_02', name: 'screenshot', input: {} },
  ];
  const resultBlocks: ContentBlock[] = [
    { type: 'tool_result', toolUseId: 'toolu_01', isError: true, content: [{ type: 'text', text: 'ENOENT: no such file' }] },
    {
      type: 'tool_result',
      toolUseId: 'toolu_02',
      isError: false,
      content: [
        { type: 'json', value: { ok: true, n: 1.5, list: [null, 'x'] } },
        { type: 'image', mediaType: 'image/png', data: resultImage },
        { type: 'document', mediaType: 'text/plain', data: 'dGV4dA==', name: 'notes.txt' },
      ],
    },
  ];
  return [
    { ...text('system', 'You are terse.'), timestamp: t(1) },
    { role: 'user', content: unicode, toolCalls: [], toolResults: [], timestamp: t(123), blocks: userBlocks },
    {
      role: 'assistant',
      content: 'I will read it.',
      toolCalls: [
        { id: 'toolu_01', name: 'read_file', input: '{"path":"ä/b.txt"}' },
        { id: 'toolu_02', name: 'screenshot', input: '{}' },
      ],
      toolResults: [],
      timestamp: t(999),
      blocks: assistantBlocks,
    },
    {
      role: 'user',
      content: '',
      toolCalls: [],
      toolResults: [
        { toolUseId: 'toolu_01', success: false, content: 'ENOENT: no such file' },
        { toolUseId: 'toolu_02', success: true, content: '{"ok":true}' },
      ],
      timestamp: t(7),
      blocks: resultBlocks,
    },
    // Seed-style message without blocks: must come back without a `blocks` field.
    { ...text('assistant', 'Done ✅'), timestamp: t(500) },
  ];
}

function expectSessionError(e: unknown, kind: SessionError['kind']): void {
  const { expect } = requireVitest('runSessionStoreConformance');
  expect(e).toBeInstanceOf(SessionError);
  expect((e as SessionError).kind).toBe(kind);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the promise to reject');
}

/**
 * Registers the session-store conformance suite with vitest (call it at the top level of a
 * test file). It checks the seed's five methods and Mixtape's optional ones: create, get,
 * save, list newest first, delete, `not_found` errors, directory scoping, `appendMessages`
 * with `expectedCount`, a lossless round trip (thinking, images, documents, tool-result status,
 * milliseconds, unicode), long histories, rename, usage totals, fork, export/import, and that
 * returned sessions are copies.
 *
 * ```ts
 * runSessionStoreConformance('MemorySessionStore', () => new MemorySessionStore());
 * ```
 */
export function runSessionStoreConformance(name: string, makeStore: MakeSessionStore, options: SessionStoreConformanceOptions = {}): void {
  const { afterAll, afterEach, describe, expect, it } = requireVitest('runSessionStoreConformance');
  describe(`SessionStore conformance: ${name}`, () => {
    const opened: SessionStore[] = [];
    const newDirectory = () => `/conformance/${randomUUID()}`;
    async function open(directory = newDirectory()): Promise<SessionStore> {
      const store = await makeStore({ directory });
      opened.push(store);
      return store;
    }
    async function create(store: SessionStore, messages: SessionMessage[] = []): Promise<Session> {
      if (store.createSession) return store.createSession({ messages });
      const s = await store.getOrCreateSession();
      s.messages = messages;
      await store.saveSession(s);
      return s;
    }
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close?.();
    });
    if (options.teardown) afterAll(options.teardown);
    if (options.runState !== false)
      runStateConformance(
        () => open(),
        (store) => create(store),
      );
    historyConformance(() => open(), create);

    it('getOrCreateSession creates an empty session in the store directory, then returns it again', async () => {
      const directory = newDirectory();
      const store = await open(directory);
      const before = Date.now();
      const s = await store.getOrCreateSession();
      expect(s.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(s.directory).toBe(directory);
      expect(s.messages).toEqual([]);
      expect(s.createdAt).toBeInstanceOf(Date);
      expect(s.updatedAt).toBeInstanceOf(Date);
      expect(s.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      const again = await store.getOrCreateSession();
      expect(again.id).toBe(s.id);
    });

    it('getSession of an unknown id is null', async () => {
      const store = await open();
      expect(await store.getSession(randomUUID())).toBeNull();
    });

    it('saveSession persists messages and moves updatedAt forward', async () => {
      const store = await open();
      const s = await store.getOrCreateSession();
      s.messages.push(text('user', 'hello'), text('assistant', 'hi'));
      await store.saveSession(s);
      const loaded = await store.getSession(s.id);
      expect(loaded?.messages.map((m) => m.content)).toEqual(['hello', 'hi']);
      expect(loaded!.updatedAt.getTime()).toBeGreaterThanOrEqual(s.updatedAt.getTime());
      expect(loaded!.createdAt.getTime()).toBe(s.createdAt.getTime());
    });

    it('saveSession rewrites a changed history and keeps a shortened one short', async () => {
      const store = await open();
      const s = await create(store, [text('user', 'a'), text('assistant', 'b'), text('user', 'c')]);
      s.messages[1] = text('assistant', 'B (edited)');
      await store.saveSession(s);
      expect((await store.getSession(s.id))!.messages.map((m) => m.content)).toEqual(['a', 'B (edited)', 'c']);
      s.messages = s.messages.slice(0, 1);
      await store.saveSession(s);
      expect((await store.getSession(s.id))!.messages.map((m) => m.content)).toEqual(['a']);
      s.messages.push(text('assistant', 'b2'), text('user', 'c2'));
      await store.saveSession(s);
      expect((await store.getSession(s.id))!.messages.map((m) => m.content)).toEqual(['a', 'b2', 'c2']);
    });

    it('saveSession, deleteSession and appendMessages of an unknown id fail with not_found naming the id', async () => {
      const store = await open();
      const id = randomUUID();
      const ghost: Session = { id, createdAt: new Date(), updatedAt: new Date(), directory: '/nowhere', messages: [] };
      const save = await rejection(store.saveSession(ghost));
      expectSessionError(save, 'not_found');
      expect((save as Error).message).toContain(id);
      expectSessionError(await rejection(store.deleteSession(id)), 'not_found');
      if (store.appendMessages) expectSessionError(await rejection(store.appendMessages(id, [text('user', 'x')])), 'not_found');
      if (store.renameSession) expectSessionError(await rejection(store.renameSession(id, 't')), 'not_found');
      if (store.recordUsage) expectSessionError(await rejection(store.recordUsage(id, { inputTokens: 1 })), 'not_found');
      expect(await store.getSession(id)).toBeNull();
    });

    it('deleteSession removes the session and its messages; a second delete is not_found', async () => {
      const store = await open();
      const s = await create(store, [text('user', 'bye')]);
      await store.deleteSession(s.id);
      expect(await store.getSession(s.id)).toBeNull();
      expect((await store.listSessions()).some((x) => x.id === s.id)).toBe(false);
      expectSessionError(await rejection(store.deleteSession(s.id)), 'not_found');
      const fresh = await store.getOrCreateSession();
      expect(fresh.id).not.toBe(s.id);
      expect(fresh.messages).toEqual([]);
    });

    it('listSessions lists newest first, with message counts and directories', async (ctx) => {
      const store = await open();
      if (!store.createSession || !store.appendMessages) return ctx.skip();
      const a = await store.createSession();
      const b = await store.createSession();
      const c = await store.createSession();
      await store.appendMessages(a.id, [text('user', '1'), text('assistant', '2')]);
      const mine = (await store.listSessions()).filter((x) => [a.id, b.id, c.id].includes(x.id));
      expect(mine.map((x) => x.id)).toEqual([a.id, c.id, b.id]);
      expect(mine.map((x) => x.messageCount)).toEqual([2, 0, 0]);
      expect(mine[0]!.directory).toBe(a.directory);
      expect(mine[0]!.updatedAt.getTime()).toBeGreaterThanOrEqual(mine[1]!.updatedAt.getTime());
      expect(mine[0]!.createdAt).toBeInstanceOf(Date);
    });

    it('getOrCreateSession returns the most recently updated session of the directory', async (ctx) => {
      const store = await open();
      if (!store.createSession || !store.appendMessages) return ctx.skip();
      const first = await store.createSession();
      const second = await store.createSession();
      expect((await store.getOrCreateSession()).id).toBe(second.id);
      await store.appendMessages(first.id, [text('user', 'back to the first')]);
      const resumed = await store.getOrCreateSession();
      expect(resumed.id).toBe(first.id);
      expect(resumed.messages.map((m) => m.content)).toEqual(['back to the first']);
    });

    it('stores on one backend with two directories each resume their own session and see each other', async () => {
      const dirA = newDirectory();
      const dirB = newDirectory();
      const a = await open(dirA);
      const b = await open(dirB);
      const sa = await a.getOrCreateSession();
      const sb = await b.getOrCreateSession();
      expect(sb.id).not.toBe(sa.id);
      expect(sa.directory).toBe(dirA);
      expect(sb.directory).toBe(dirB);
      sa.messages.push(text('user', 'newer, in A'));
      await a.saveSession(sa);
      expect((await b.getOrCreateSession()).id).toBe(sb.id);
      expect((await a.getOrCreateSession()).id).toBe(sa.id);
      expect((await b.getSession(sa.id))?.messages[0]?.content).toBe('newer, in A');
      const listed = (await b.listSessions()).map((s) => s.id);
      expect(listed).toContain(sa.id);
      expect(listed).toContain(sb.id);
      // A third store on the same backend and directory resumes A's session.
      const a2 = await open(dirA);
      expect((await a2.getOrCreateSession()).id).toBe(sa.id);
    });

    it('appendMessages appends in order; a wrong expectedCount is a conflict and appends nothing', async (ctx) => {
      const store = await open();
      if (!store.appendMessages) return ctx.skip();
      const s = await store.getOrCreateSession();
      await store.appendMessages(s.id, [text('user', 'q1')], { expectedCount: 0 });
      await store.appendMessages(s.id, [text('assistant', 'a1'), text('user', 'q2')], { expectedCount: 1 });
      await store.appendMessages(s.id, []);
      const stale = await rejection(store.appendMessages(s.id, [text('assistant', 'lost update')], { expectedCount: 1 }));
      expectSessionError(stale, 'conflict');
      expect((stale as Error).message).toMatch(/3/);
      const loaded = await store.getSession(s.id);
      expect(loaded!.messages.map((m) => m.content)).toEqual(['q1', 'a1', 'q2']);
      expect((await store.listSessions()).find((x) => x.id === s.id)?.messageCount).toBe(3);
    });

    it('keeps every message exactly: thinking, images and documents as bytes, tool-result status, ms timestamps, unicode', async () => {
      const store = await open();
      const fixture = losslessFixture();
      // Through saveSession…
      const s = await store.getOrCreateSession();
      s.messages = losslessFixture();
      await store.saveSession(s);
      const saved = await store.getSession(s.id);
      expect(saved!.messages).toStrictEqual(fixture);
      // …and through appendMessages and createSession.
      if (store.createSession && store.appendMessages) {
        const t = await store.createSession();
        await store.appendMessages(t.id, losslessFixture().slice(0, 2));
        await store.appendMessages(t.id, losslessFixture().slice(2));
        expect((await store.getSession(t.id))!.messages).toStrictEqual(fixture);
        const u = await store.createSession({ messages: losslessFixture() });
        expect((await store.getSession(u.id))!.messages).toStrictEqual(fixture);
      }
      const img = saved!.messages[1]!.blocks![1] as { data: unknown };
      expect(img.data).toBeInstanceOf(Uint8Array);
      expect(Array.from(img.data as Uint8Array)).toEqual(Array.from(allBytes()));
      expect(saved!.messages[2]!.timestamp.getTime() % 1000).toBe(999);
      expect(saved!.messages[4]).not.toHaveProperty('blocks');
    });

    it('keeps the order of a long history built by many appends and saves', async () => {
      const store = await open();
      const s = await store.getOrCreateSession();
      const all: SessionMessage[] = [];
      for (let i = 0; i < 150; i++) all.push(text(i % 2 ? 'assistant' : 'user', `message ${i}`, new Date(1_700_000_000_000 + i)));
      if (store.appendMessages) {
        let at = 0;
        for (const size of [1, 2, 3, 5, 8, 13, 21, 34]) {
          await store.appendMessages(s.id, all.slice(at, at + size), { expectedCount: at });
          at += size;
        }
        s.messages = all.slice(0, at);
      }
      s.messages = all;
      await store.saveSession(s);
      const loaded = await store.getSession(s.id);
      expect(loaded!.messages.length).toBe(150);
      expect(loaded!.messages.map((m) => m.content)).toEqual(all.map((m) => m.content));
      expect(loaded!.messages.map((m) => m.timestamp.getTime())).toEqual(all.map((m) => m.timestamp.getTime()));
    });

    it('renameSession sets the title shown by getSession and listSessions', async (ctx) => {
      const store = await open();
      if (!store.renameSession) return ctx.skip();
      const s = await store.getOrCreateSession();
      expect(s.title).toBeUndefined();
      await store.renameSession(s.id, 'Refactor the parser — ünïcode');
      expect((await store.getSession(s.id))?.title).toBe('Refactor the parser — ünïcode');
      expect((await store.listSessions()).find((x) => x.id === s.id)?.title).toBe('Refactor the parser — ünïcode');
      await store.renameSession(s.id, 'Second title');
      expect((await store.getSession(s.id))?.title).toBe('Second title');
    });

    it('saveSession sets a title it is given and keeps the stored one when the session has none', async () => {
      const store = await open();
      const s = await store.getOrCreateSession();
      await store.saveSession({ ...s, title: 'From save' });
      expect((await store.getSession(s.id))?.title).toBe('From save');
      const { title: _dropped, ...untitled } = (await store.getSession(s.id))!;
      await store.saveSession({ ...untitled, messages: [text('user', 'still titled')] });
      const loaded = await store.getSession(s.id);
      expect(loaded?.title).toBe('From save');
      expect(loaded?.messages.map((m) => m.content)).toEqual(['still titled']);
    });

    it('recordUsage adds to the totals shown by getSession and listSessions', async (ctx) => {
      const store = await open();
      if (!store.recordUsage) return ctx.skip();
      const s = await store.getOrCreateSession();
      expect(s.usage ?? ZERO_USAGE).toEqual(ZERO_USAGE);
      await store.recordUsage(s.id, { inputTokens: 1200, outputTokens: 300, costUsd: 0.0081 });
      await store.recordUsage(s.id, { inputTokens: 800, outputTokens: 50, cacheReadTokens: 1000, cacheWriteTokens: 20, costUsd: 0.0019 });
      const usage = (await store.getSession(s.id))!.usage!;
      expect(usage.inputTokens).toBe(2000);
      expect(usage.outputTokens).toBe(350);
      expect(usage.cacheReadTokens).toBe(1000);
      expect(usage.cacheWriteTokens).toBe(20);
      expect(usage.costUsd).toBeCloseTo(0.01, 10);
      const listed = (await store.listSessions()).find((x) => x.id === s.id);
      expect(listed?.usage?.inputTokens).toBe(2000);
    });

    it('forkSession copies the first N messages into a new session that records its origin', async (ctx) => {
      const store = await open();
      if (!store.createSession) return ctx.skip();
      const source = await store.createSession({ messages: losslessFixture(), title: 'Original' });
      const fork = await forkSession(store, source.id, { atMessage: 3 });
      expect(fork.id).not.toBe(source.id);
      expect(fork.forkedFrom).toBe(source.id);
      expect(fork.title).toBe('Original (fork)');
      expect(fork.directory).toBe(source.directory);
      const loaded = await store.getSession(fork.id);
      expect(loaded!.forkedFrom).toBe(source.id);
      expect(loaded!.messages).toStrictEqual(losslessFixture().slice(0, 3));
      expect((await store.getSession(source.id))!.messages).toHaveLength(5);
      const whole = await forkSession(store, source.id, { title: 'Whole' });
      expect((await store.getSession(whole.id))!.messages).toHaveLength(5);
      expect(whole.title).toBe('Whole');
      const elsewhere = await forkSession(store, source.id, { atMessage: 0, directory: `${source.directory}/elsewhere` });
      expect((await store.getSession(elsewhere.id))!.directory).toBe(`${source.directory}/elsewhere`);
      expect((await store.getSession(elsewhere.id))!.messages).toEqual([]);
      await expect(forkSession(store, source.id, { atMessage: 6 })).rejects.toThrow(RangeError);
      expectSessionError(await rejection(forkSession(store, randomUUID())), 'not_found');
    });

    it('exports versioned JSON and imports it back losslessly, with a new id or the same id', async (ctx) => {
      const store = await open();
      if (!store.createSession) return ctx.skip();
      const source = await store.createSession({
        messages: losslessFixture(),
        title: 'Exported',
        createdAt: new Date(Date.UTC(2025, 4, 6, 7, 8, 9, 10)),
      });
      if (store.recordUsage) await store.recordUsage(source.id, { inputTokens: 10, outputTokens: 5, costUsd: 0.5 });
      const exported = await exportSession(store, source.id);
      expect(exported.format).toBe(SESSION_EXPORT_FORMAT);
      expect(exported.version).toBe(1);
      expect(exported.session.createdAt).toBe('2025-05-06T07:08:09.010Z');
      const json = JSON.stringify(exported);
      const copy = await importSession(store, json);
      expect(copy.id).not.toBe(source.id);
      const loaded = await store.getSession(copy.id);
      expect(loaded!.messages).toStrictEqual(losslessFixture());
      expect(loaded!.title).toBe('Exported');
      expect(loaded!.createdAt.toISOString()).toBe('2025-05-06T07:08:09.010Z');
      if (store.recordUsage) expect(loaded!.usage).toMatchObject({ inputTokens: 10, outputTokens: 5, costUsd: 0.5 });
      // Keeping the id of a session that exists is a conflict; once it is gone it works.
      expectSessionError(await rejection(importSession(store, json, { keepId: true })), 'conflict');
      await store.deleteSession(source.id);
      const same = await importSession(store, json, { keepId: true });
      expect(same.id).toBe(source.id);
      expect((await store.getSession(source.id))!.messages).toStrictEqual(losslessFixture());
    });

    it('refuses invalid and future-version imports with a serialization error that says what is wrong', async (ctx) => {
      const store = await open();
      if (!store.createSession) return ctx.skip();
      const s = await store.createSession({ messages: [text('user', 'x')] });
      const good = await exportSession(store, s.id);
      const future = await rejection(importSession(store, { ...good, version: 2 }));
      expectSessionError(future, 'serialization');
      expect((future as Error).message).toMatch(/version 2.*newer.*[Uu]pgrade/);
      const bad = structuredClone(good) as unknown as { session: { messages: { timestamp: unknown }[] } };
      bad.session.messages[0]!.timestamp = 'yesterday';
      const invalid = await rejection(importSession(store, bad));
      expectSessionError(invalid, 'serialization');
      expect((invalid as Error).message).toContain('session.messages[0].timestamp');
      expectSessionError(await rejection(importSession(store, '{not json')), 'serialization');
      expectSessionError(await rejection(importSession(store, { format: 'something.else', version: 1 })), 'serialization');
    });

    it('createSession with an id that exists is a conflict', async (ctx) => {
      const store = await open();
      if (!store.createSession) return ctx.skip();
      const s = await store.createSession();
      expectSessionError(await rejection(store.createSession({ id: s.id })), 'conflict');
    });

    it('returns copies: changing a returned or passed-in session does not change the store', async () => {
      const store = await open();
      const s = await store.getOrCreateSession();
      const messages = losslessFixture();
      s.messages = messages;
      await store.saveSession(s);
      // Mutate what we passed in.
      messages[0]!.content = 'changed after save';
      (messages[1]!.blocks![1] as { data: Uint8Array }).data[0] = 42;
      messages.push(text('user', 'pushed after save'));
      const loaded = await store.getSession(s.id);
      expect(loaded!.messages).toStrictEqual(losslessFixture());
      // Mutate what we got back.
      loaded!.messages[0]!.content = 'changed after load';
      loaded!.messages[0]!.timestamp.setTime(0);
      (loaded!.messages[1]!.blocks![1] as { data: Uint8Array }).data[0] = 42;
      loaded!.messages.pop();
      loaded!.title = 'not saved';
      expect((await store.getSession(s.id))!.messages).toStrictEqual(losslessFixture());
      expect((await store.getSession(s.id))!.title).toBeUndefined();
      if (store.appendMessages) {
        const extra = [text('user', 'appended')];
        await store.appendMessages(s.id, extra);
        extra[0]!.content = 'changed after append';
        expect((await store.getSession(s.id))!.messages.at(-1)!.content).toBe('appended');
      }
    });
  });
}
