/**
 * The run-state section of the session-store conformance suite: `loadRunState` / `saveRunState`
 * keep a paused run's record exactly, refuse stale versions, and go with their session.
 * @module
 */
import type { ContentBlock } from '../messages.js';
import type { RunStateRecord, RunStateStore } from '../session/run-state.js';
import { type Session, type SessionStore, SessionError } from '../session/types.js';
import { requireVitest } from './vitest-runtime.js';

/** A record that exercises every field a store must keep exactly (bytes in a stored result too). */
export function runStateFixture(sessionId: string, version = 1): RunStateRecord {
  const result: ContentBlock = {
    type: 'tool_result',
    toolUseId: 'toolu_done',
    isError: false,
    content: [
      { type: 'text', text: 'ok — 你好 🎵' },
      { type: 'image', mediaType: 'image/png', data: Uint8Array.from([0, 1, 2, 254, 255]) },
    ],
  };
  return {
    sessionId,
    version,
    status: 'interrupted',
    interrupts: [
      {
        id: 'int_1',
        reason: 'tool_call',
        toolCallId: 'toolu_ask',
        toolName: 'write_file',
        input: { path: 'ä/notes.md', content: 'x\n"y"', nested: { list: [1, null, true] } },
        message: 'Allow write_file to run?',
        responseSchema: { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] },
        expiresAt: '2030-01-02T03:04:05.678Z',
        createdAt: '2026-01-02T03:04:05.006Z',
      },
      {
        id: 'int_2',
        reason: 'client_tool',
        toolCallId: 'toolu_client',
        toolName: 'pick_color',
        input: {},
        message: 'Run the client tool pick_color and return its result.',
        createdAt: '2026-01-02T03:04:05.007Z',
        answer: { interruptId: 'int_2', type: 'result', content: 'blue' },
      },
    ],
    calls: [
      { toolUseId: 'toolu_done', name: 'read_file', status: 'done', result },
      { toolUseId: 'toolu_started', name: 'fetch', status: 'started' },
    ],
    answered: { answersKey: 'k1', status: 'interrupted', text: 'Let me check.', interrupts: [] },
    state: { todo: ['a', 'b'], count: 2, nested: { ok: true, none: null } },
    runId: 'run-1',
    updatedAt: '2026-01-02T03:04:05.008Z',
  };
}

/**
 * Registers the run-state tests inside the session-store suite. `open` makes a store sharing the
 * suite's backend; `create` makes a session in it.
 */
export function runStateConformance(open: () => Promise<SessionStore>, create: (store: SessionStore) => Promise<Session>): void {
  const { expect, it } = requireVitest('runSessionStoreConformance');
  const withRunState = async (): Promise<SessionStore & RunStateStore> => {
    const store = await open();
    expect(typeof store.loadRunState, 'the store implements loadRunState (or pass { runState: false })').toBe('function');
    expect(typeof store.saveRunState, 'the store implements saveRunState (or pass { runState: false })').toBe('function');
    return store as SessionStore & RunStateStore;
  };
  const reject = async (p: Promise<unknown>): Promise<unknown> =>
    p.then(
      () => new Error('expected a rejection'),
      (e: unknown) => e,
    );

  it('run state: null before any save; a saved record comes back exactly (bytes, unicode, nested JSON)', async () => {
    const store = await withRunState();
    const s = await create(store);
    expect(await store.loadRunState(s.id)).toBeNull();
    await store.saveRunState(s.id, runStateFixture(s.id), { expectedVersion: 0 });
    expect(await store.loadRunState(s.id)).toStrictEqual(runStateFixture(s.id));
    // Another store on the same backend (another process) sees it.
    const other = await withRunState();
    expect(await other.loadRunState(s.id)).toStrictEqual(runStateFixture(s.id));
  });

  it('run state: a stale expectedVersion is a conflict and changes nothing; without one the write wins', async () => {
    const store = await withRunState();
    const s = await create(store);
    await store.saveRunState(s.id, runStateFixture(s.id, 1), { expectedVersion: 0 });
    await store.saveRunState(s.id, { ...runStateFixture(s.id, 2), status: 'running' }, { expectedVersion: 1 });
    const stale = await reject(store.saveRunState(s.id, { ...runStateFixture(s.id, 2), status: 'idle' }, { expectedVersion: 1 }));
    expect(stale).toBeInstanceOf(SessionError);
    expect((stale as SessionError).kind).toBe('conflict');
    expect((await store.loadRunState(s.id))!.status).toBe('running');
    const first = await reject(store.saveRunState(s.id, runStateFixture(s.id, 1), { expectedVersion: 0 }));
    expect((first as SessionError).kind).toBe('conflict');
    await store.saveRunState(s.id, { ...runStateFixture(s.id, 7), status: 'idle', interrupts: [] });
    expect((await store.loadRunState(s.id))!).toMatchObject({ version: 7, status: 'idle', interrupts: [] });
  });

  it('run state: of one session only; unknown session → not_found; deleting the session deletes it', async () => {
    const store = await withRunState();
    const a = await create(store);
    const b = await create(store);
    await store.saveRunState(a.id, runStateFixture(a.id), { expectedVersion: 0 });
    expect(await store.loadRunState(b.id)).toBeNull();
    const missing = await reject(store.saveRunState('no-such-session', runStateFixture('no-such-session'), { expectedVersion: 0 }));
    expect((missing as SessionError).kind).toBe('not_found');
    await store.deleteSession(a.id);
    expect(await store.loadRunState(a.id)).toBeNull();
  });

  it('run state: the record returned is a copy', async () => {
    const store = await withRunState();
    const s = await create(store);
    const record = runStateFixture(s.id);
    await store.saveRunState(s.id, record, { expectedVersion: 0 });
    record.interrupts[0]!.toolName = 'changed after save';
    const loaded = (await store.loadRunState(s.id))!;
    (loaded.state as { count: number }).count = 99;
    expect(await store.loadRunState(s.id)).toStrictEqual(runStateFixture(s.id));
  });
}
