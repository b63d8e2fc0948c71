/**
 * Keeps an agent's conversation and its stored session in step: load (with repair), append each
 * step as it completes, usage totals, clear.
 * @module
 */
import { fromSessionMessages, repairSessionMessages, toSessionMessage } from '../session/convert.js';
import type { Message, } from '../messages.js';
import type { Usage } from '../model.js';
import type { Session, SessionMessage, SessionStore } from '../session/types.js';

/** What loading a session produced. */
export interface LoadedSession {
  id: string;
  createdAt: Date;
  messages: Message[];
  /** Messages in the store after the repair. */
  storedCount: number;
  repaired: boolean;
}

/** Session state of one agent. */
export class SessionSync {
  private session?: Session;
  /** Messages known to be stored. */
  count = 0;

  constructor(
    private readonly store: SessionStore,
    private sessionId?: string,
    private fresh = false,
  ) {}

  get id(): string | undefined {
    return this.session?.id;
  }

  info(): { id: string; messageCount: number; createdAt: Date; title?: string } | null {
    if (!this.session) return null;
    return { id: this.session.id, messageCount: this.count, createdAt: this.session.createdAt, ...(this.session.title !== undefined ? { title: this.session.title } : {}) };
  }

  /**
   * Loads (or creates) the session, repairs a broken history and saves the repair. When
   * `keepOpenCalls(id)` resolves true (a paused or crashed run owns the open tool calls), the
   * history is returned as stored, unrepaired.
   */
  async load(opts: { keepOpenCalls?: (sessionId: string) => Promise<boolean> } = {}): Promise<LoadedSession> {
    let session: Session | null = null;
    const id = this.session?.id ?? this.sessionId;
    if (id !== undefined) {
      session = await this.store.getSession(id);
      if (!session) {
        if (!this.store.createSession) throw new Error(`Session ${id} does not exist and this store cannot create sessions with a given id.`);
        session = await this.store.createSession({ id });
      }
    } else if (this.fresh && this.store.createSession) {
      session = await this.store.createSession();
    } else {
      session = await this.store.getOrCreateSession();
    }
    const keep = (await opts.keepOpenCalls?.(session.id)) === true;
    const repair = keep ? { repaired: false, messages: session.messages, appended: undefined } : repairSessionMessages(session.messages);
    if (repair.repaired) {
      if (repair.appended && this.store.appendMessages) {
        await this.store.appendMessages(session.id, repair.appended, { expectedCount: session.messages.length });
      } else {
        await this.store.saveSession({ ...session, messages: repair.messages });
      }
      session = { ...session, messages: repair.messages };
    }
    this.session = session;
    this.count = session.messages.length;
    return { id: session.id, createdAt: session.createdAt, messages: fromSessionMessages(session.messages), storedCount: this.count, repaired: repair.repaired };
  }

  /** Appends one message (O(1) with stores that support appendMessages). */
  async append(message: Message): Promise<void> {
    if (!this.session) return;
    const stored: SessionMessage = toSessionMessage(message);
    if (this.store.appendMessages) {
      await this.store.appendMessages(this.session.id, [stored], { expectedCount: this.count });
      this.session.messages.push(stored);
    } else {
      this.session.messages.push(stored);
      this.session.updatedAt = new Date();
      await this.store.saveSession(this.session);
    }
    this.count++;
  }

  /** Adds a model call's usage and cost to the session's totals. */
  async recordUsage(usage: Usage, costUsd: number | undefined): Promise<void> {
    if (!this.session || !this.store.recordUsage) return;
    await this.store.recordUsage(this.session.id, {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cacheReadTokens: usage.cacheReadTokens ?? 0,
      cacheWriteTokens: usage.cacheWriteTokens ?? 0,
      costUsd: costUsd ?? 0,
    });
  }

  /** Deletes the stored session; the next load starts a new one. */
  async clear(): Promise<void> {
    const id = this.session?.id;
    this.session = undefined;
    this.count = 0;
    this.sessionId = undefined;
    if (id !== undefined) {
      try {
        await this.store.deleteSession(id);
      } catch (error) {
        if ((error as { kind?: string }).kind !== 'not_found') throw error;
      }
    }
    this.fresh = true;
  }
}
