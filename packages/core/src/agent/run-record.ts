/**
 * The run state of the agent's current session: loaded once per run, saved with optimistic
 * versions, one write at a time.
 * @module
 */
import { hasRunState, type RunStateRecord, type RunStateStore } from '../session/run-state.js';
import type { SessionStore } from '../session/types.js';
import { copyData } from '../copy-data.js';

/** Run state kept by the agent itself when its store has no run-state methods (lasts as long as the Agent). */
export class LocalRunStates implements RunStateStore {
  readonly #records = new Map<string, RunStateRecord>();
  async loadRunState(sessionId: string): Promise<RunStateRecord | null> {
    const r = this.#records.get(sessionId);
    return r ? copyData(r) : null;
  }
  async saveRunState(sessionId: string, record: RunStateRecord): Promise<void> {
    this.#records.set(sessionId, copyData(record));
  }
}

/** The run-state store of an agent: its session store's, or a local one. */
export function runStateStoreOf(store: SessionStore | undefined, local: LocalRunStates): RunStateStore {
  return store && hasRunState(store) ? store : local;
}

/** One session's record, as this run sees it. */
export class RunRecord {
  #record: RunStateRecord | null = null;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: RunStateStore,
    readonly sessionId: string,
  ) {}

  /** The record as last loaded or saved (null: none stored). */
  get current(): RunStateRecord | null {
    return this.#record;
  }

  async load(): Promise<RunStateRecord | null> {
    this.#record = await this.store.loadRunState(this.sessionId);
    return this.#record;
  }

  /**
   * Applies `change` to a copy of the record (a fresh idle one when none) and saves it with the
   * version read; a concurrent writer makes it fail with SessionError 'conflict'. One write at a
   * time: changes that arrive while a write is in flight go together in the next one.
   */
  update(change: (r: RunStateRecord) => void): Promise<void> {
    this.#pending.push(change);
    this.#next ??= this.#chain.then(() => this.#write());
    const next = this.#next;
    this.#chain = next.catch(() => {}); // a failed write is reported to its callers; later writes still run
    return next;
  }

  #pending: ((r: RunStateRecord) => void)[] = [];
  #next: Promise<void> | undefined;

  async #write(): Promise<void> {
    const changes = this.#pending.splice(0);
    this.#next = undefined;
    const base: RunStateRecord = this.#record
      ? copyData(this.#record)
      : { sessionId: this.sessionId, version: 0, status: 'idle', interrupts: [], updatedAt: new Date().toISOString() };
    const expectedVersion = base.version;
    for (const change of changes) change(base);
    base.version = expectedVersion + 1;
    base.updatedAt = new Date().toISOString();
    await this.store.saveRunState(this.sessionId, base, { expectedVersion });
    this.#record = base;
  }
}
