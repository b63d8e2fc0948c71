/**
 * Keeps an agent's conversation and its stored session in step: load (with repair; only the
 * tail the window needs when the store and the conversation manager allow it), append each step
 * as it completes, usage totals, clear — and the failed-run rule for prompts that got no answer.
 * @module
 */
import type { ContextBudget, ConversationManager } from '../conversation/managers.js';
import { fromSessionMessages, repairSessionMessages, seedMessages, toSessionMessage } from '../session/convert.js';
import type { Message } from '../messages.js';
import { addUsage, type Model, type Usage } from '../model.js';
import type { ConversationSummary, Session, SessionMessage, SessionStore } from '../session/types.js';
import { mergedMessageTokens, messageTokens, rememberMessageTokens } from '../token-cache.js';

/** Messages a resume reads first when it loads only the tail (grown until the window is covered). */
export const INITIAL_TAIL_MESSAGES = 256;
/** The tail a resume asks for reaches this multiple of what the window holds (`tailTokens`), in estimated tokens (stores that keep estimates). */
export const TAIL_TOKEN_MARGIN = 1.1;

/**
 * Start of the note that answers a prompt the model never answered (see
 * {@link unansweredPromptNote}). Such a prompt and its note stay in the session but are never
 * sent to the model again.
 */
export const UNANSWERED_PROMPT_NOTE_PREFIX = '[No answer: ';
const UNANSWERED_PROMPT_NOTE_SUFFIX = ' This prompt is kept in the session but is not sent to the model again.]';

/**
 * The text of the assistant note stored after a prompt that got no answer (the run failed or
 * was aborted before the model answered, or the process stopped), saying why.
 */
export function unansweredPromptNote(reason: string): string {
  const why = reason.replace(/\s+/g, ' ').trim().slice(0, 500) || 'the run ended before the model answered';
  return `${UNANSWERED_PROMPT_NOTE_PREFIX}${why.endsWith('.') ? why : `${why}.`}${UNANSWERED_PROMPT_NOTE_SUFFIX}`;
}

/** True for the note of {@link unansweredPromptNote}. */
export function isUnansweredPromptNote(m: SessionMessage): boolean {
  return (
    m.role === 'assistant' &&
    m.toolCalls.length === 0 &&
    m.content.startsWith(UNANSWERED_PROMPT_NOTE_PREFIX) &&
    m.content.endsWith(UNANSWERED_PROMPT_NOTE_SUFFIX)
  );
}

/** A prompt from the user: a user message that is not a batch of tool results. */
function isPrompt(m: SessionMessage): boolean {
  return m.role === 'user' && m.toolResults.length === 0 && !m.blocks?.some((b) => b.type === 'tool_result');
}

/** The history without prompts that got no answer and their notes (what the model is sent), with their stored positions. */
function answeredOnly(messages: readonly SessionMessage[]): { m: SessionMessage; i: number }[] {
  const out: { m: SessionMessage; i: number }[] = [];
  messages.forEach((m, i) => {
    if (isUnansweredPromptNote(m)) {
      if (out.length && isPrompt(out[out.length - 1]!.m)) out.pop();
      return;
    }
    out.push({ m, i });
  });
  return out;
}

/**
 * Provider messages of stored messages, and for each the stored count once it is included
 * (its end in the stored session), so windows and summaries can be mapped back to the store.
 * `tokens` (by stored position from `start`, when the store keeps estimates) are recorded on
 * the provider messages, so the window does not count them again.
 */
function toHistory(
  items: readonly { m: SessionMessage; i: number }[],
  start: number,
  tokens?: readonly number[],
): { messages: Message[]; ends: number[] } {
  const messages: Message[] = [];
  const ends: number[] = [];
  // Per provider message: the known estimates of its parts (undefined once one part is unknown).
  const known: (number[] | undefined)[] = [];
  for (const { m, i } of items) {
    // The store gave fresh objects that only this session holds: blocks are shared, not cloned
    // (arrays are copied when messages merge, so the stored messages never change).
    const parts: Message[] =
      m.blocks && m.blocks.length > 0 ? [{ role: m.role === 'assistant' ? 'assistant' : 'user', content: m.blocks }] : seedMessages(m);
    const t = parts.length === 1 ? tokens?.[i] : undefined;
    for (const part of parts) {
      const last = messages[messages.length - 1];
      if (last && last.role === part.role) {
        messages[messages.length - 1] = { role: last.role, content: [...last.content, ...part.content] };
        ends[ends.length - 1] = start + i + 1;
        const k = known[known.length - 1];
        known[known.length - 1] = k && t !== undefined ? [...k, t] : undefined;
      } else {
        messages.push(part);
        ends.push(start + i + 1);
        known.push(t !== undefined ? [t] : undefined);
      }
    }
  }
  if (tokens) known.forEach((k, j) => k && rememberMessageTokens(messages[j]!, k.length === 1 ? k[0]! : mergedMessageTokens(k)));
  return { messages, ends };
}

/** Window settings a session needs to load only the tail a run uses. */
export interface SessionWindow {
  manager: ConversationManager;
  /** The model's context window, in tokens. */
  contextWindow: number;
}

/** What loading a session produced. */
export interface LoadedSession {
  id: string;
  createdAt: Date;
  messages: Message[];
  /** Messages in the store after the repair. */
  storedCount: number;
  repaired: boolean;
  /** Index in the stored session of the first loaded message (0 unless only the tail was loaded). */
  start: number;
  /** Summary of older messages, when one is stored. */
  summary?: ConversationSummary;
  /**
   * The last stored message when it is a prompt that got no answer (a run that failed or
   * stopped before the model answered). It is not in `messages`; the next prompt appended
   * closes it with a note. A resume that continues that run puts it back.
   */
  unansweredPrompt?: Message;
}

/** Session state of one agent. */
export class SessionSync {
  private session?: Session;
  /** Messages known to be stored. */
  count = 0;
  /** The last stored message is a prompt that got no answer. */
  private unanswered = false;
  /** Why, when this process saw its run fail. */
  private failure: string | undefined;
  /** Stored summary of the oldest messages, if any. */
  summary?: ConversationSummary;
  /** For each message of the agent's history, the stored count once it is included. */
  private ends: number[] = [];
  /** Stored index of the first message of the agent's history. */
  private start = 0;

  constructor(
    private readonly store: SessionStore,
    private sessionId?: string,
    private fresh = false,
    private readonly window?: SessionWindow,
  ) {}

  /** The session's stored usage totals as of the last load (for session budgets). */
  get usageAtLoad(): Session['usage'] {
    return this.session?.usage;
  }

  get id(): string | undefined {
    return this.session?.id;
  }

  info(): { id: string; messageCount: number; createdAt: Date; title?: string } | null {
    if (!this.session) return null;
    return {
      id: this.session.id,
      messageCount: this.count,
      createdAt: this.session.createdAt,
      ...(this.session.title !== undefined ? { title: this.session.title } : {}),
    };
  }

  /**
   * Loads (or creates) the session, repairs a broken history and saves the repair. When
   * `keepOpenCalls(id)` resolves true (a paused or crashed run owns the open tool calls), the
   * history is returned as stored, unrepaired.
   */
  async load(opts: { keepOpenCalls?: (sessionId: string) => Promise<boolean> } = {}): Promise<LoadedSession> {
    let session: Session | null;
    let start = 0;
    let count: number | undefined;
    let converted: { messages: Message[]; ends: number[] } | undefined;
    let tokens: number[] | undefined;
    let id = this.session?.id ?? this.sessionId;
    // Resuming the directory's newest session: find its id without loading it, then load the tail.
    if (id === undefined && !this.fresh && this.store.getOrCreateSessionId && this.store.loadTail && this.window?.manager.coversWindow)
      id = await this.store.getOrCreateSessionId();
    // Asked before the messages are read: a run that finishes in between is then seen as still
    // open (harmless), never the other way round (which would close calls another process owns).
    const keepEarly = id !== undefined ? (await opts.keepOpenCalls?.(id)) === true : undefined;
    this.summary = undefined;
    if (id !== undefined) {
      const tail = await this.loadTail(id);
      if (tail) ({ session, start, count, history: converted, tokens } = tail);
      else session = await this.store.getSession(id);
      if (!session) {
        if (!this.store.createSession)
          throw new Error(`Session ${id} does not exist and this store cannot create sessions with a given id.`);
        session = await this.store.createSession({ id });
      }
    } else if (this.fresh && this.store.createSession) {
      session = await this.store.createSession();
    } else {
      session = await this.store.getOrCreateSession();
    }
    const keep = keepEarly ?? (await opts.keepOpenCalls?.(session.id)) === true;
    let repair = keep
      ? { repaired: false, messages: session.messages, appended: [] as SessionMessage[] | null }
      : repairSessionMessages(session.messages, new Date(), { partial: start > 0 });
    if (repair.repaired && start > 0 && !repair.appended) {
      // A repair inside the tail needs the whole session rewritten: load it whole.
      session = (await this.store.getSession(session.id)) ?? session;
      start = 0;
      count = undefined;
      tokens = undefined;
      repair = repairSessionMessages(session.messages);
    }
    let stored = count ?? session.messages.length;
    if (repair.repaired) {
      if (repair.appended && this.store.appendMessages) {
        await this.store.appendMessages(session.id, repair.appended, { expectedCount: stored });
        stored += repair.appended.length;
      } else {
        await this.store.saveSession({ ...session, messages: repair.messages });
        stored = repair.messages.length;
      }
      session = { ...session, messages: repair.messages };
    }
    this.session = session;
    this.count = stored;
    const last = session.messages[session.messages.length - 1];
    this.unanswered = last !== undefined && isPrompt(last);
    // The tail's conversion is reused when nothing changed (its token counts are cached on it).
    const history =
      converted && !repair.repaired && !this.unanswered
        ? converted
        : toHistory(answeredOnly(this.unanswered ? session.messages.slice(0, -1) : session.messages), start, tokens);
    this.ends = history.ends;
    this.start = start;
    const loaded: LoadedSession = {
      id: session.id,
      createdAt: session.createdAt,
      messages: history.messages,
      storedCount: this.count,
      repaired: repair.repaired,
      start,
    };
    if (this.summary) loaded.summary = this.summary;
    if (this.unanswered) loaded.unansweredPrompt = fromSessionMessages([last!])[0]!;
    return loaded;
  }

  /**
   * The newest messages the window can use, when the store reads tails and the conversation
   * manager can tell when a tail covers its window; else null (the caller loads it whole).
   */
  private async loadTail(id: string): Promise<{
    session: Session;
    start: number;
    count: number;
    history: { messages: Message[]; ends: number[] };
    tokens?: number[];
  } | null> {
    const manager = this.window?.manager;
    if (!this.store.loadTail || !this.store.appendMessages || !manager?.coversWindow) return null;
    const budget = { maxContextTokens: this.window!.contextWindow, fixedTokens: 0 };
    let limit = INITIAL_TAIL_MESSAGES;
    const maxTokens = manager.tailTokens ? Math.ceil(manager.tailTokens(budget) * TAIL_TOKEN_MARGIN) : undefined;
    for (;;) {
      // A store keeping per-message estimates returns the tail that reaches the window's tokens
      // (plus a margin for the first unit, which the window may drop) in one read.
      const tail = await this.store.loadTail(id, { limit, ...(maxTokens !== undefined ? { maxTokens } : {}) });
      if (!tail) return null;
      if (tail.summary) this.summary = tail.summary;
      const estimates = tail.tokens?.length === tail.session.messages.length ? tail.tokens : undefined;
      const history = toHistory(answeredOnly(tail.session.messages), tail.start, estimates);
      const { messages } = history;
      if (
        tail.start === 0 ||
        manager.coversWindow(messages, budget, { start: tail.start, ...(this.summary ? { summary: this.summary } : {}) })
      )
        return { session: tail.session, start: tail.start, count: tail.messageCount, history, ...(estimates ? { tokens: estimates } : {}) };
      // Grow towards what the window holds (estimated from what was read), at least doubling.
      let tokens = 0;
      for (const m of messages) tokens += messageTokens(m);
      const wanted = Math.ceil((limit * budget.maxContextTokens * 1.25) / Math.max(1, tokens)) + 16;
      limit = Math.min(tail.messageCount, Math.max(limit * 2, wanted));
    }
  }

  /** Appends one message (O(1) with stores that support appendMessages). */
  async append(message: Message): Promise<void> {
    if (!this.session) return;
    const stored: SessionMessage = toSessionMessage(message);
    // The failed-run rule: a new prompt after one that got no answer first closes that one.
    if (this.unanswered && isPrompt(stored)) {
      await this.write(
        noteMessage(this.failure ?? 'the run ended before the model answered (it failed, was aborted, or its process stopped)'),
      );
      this.failure = undefined;
    }
    await this.write(stored);
    this.ends.push(this.count);
    this.unanswered = isPrompt(stored);
  }

  /**
   * The failed-run rule, for a run that ended with an error before the model answered its
   * prompt: remembers why, for the note that closes the prompt when the next one comes (see
   * {@link append}). Nothing is written now: every completed step is already stored.
   */
  noteUnansweredPrompt(reason: string): void {
    if (!this.unanswered) return;
    this.failure = reason;
    this.ends.pop(); // the prompt left the agent's history
  }

  /** A resume continues the run of the unanswered prompt: it is part of the agent's history again. */
  keepUnansweredPrompt(): void {
    if (this.unanswered) this.ends.push(this.count);
  }

  private async write(stored: SessionMessage): Promise<void> {
    if (!this.session) return;
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

  /** The stored summary mapped onto the agent's history: where it ends there. */
  localSummary(): { text: string; throughMessage: number } | undefined {
    const s = this.summary;
    if (!s) return undefined;
    let through = 0;
    while (through < this.ends.length && this.ends[through]! <= s.throughIndex) through++;
    return { text: s.text, throughMessage: through };
  }

  /** Stores a summary of the agent's history up to `throughMessage` (and all older stored messages). */
  async saveSummary(summary: { text: string; throughMessage: number; model?: string }): Promise<void> {
    const throughIndex = summary.throughMessage === 0 ? this.start : (this.ends[summary.throughMessage - 1] ?? this.count);
    this.summary = {
      text: summary.text,
      throughIndex,
      createdAt: new Date(),
      ...(summary.model !== undefined ? { model: summary.model } : {}),
    };
    if (this.session && this.store.saveConversationSummary) await this.store.saveConversationSummary(this.session.id, this.summary);
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
    this.unanswered = false;
    this.summary = undefined;
    this.ends = [];
    this.start = 0;
  }
}

/**
 * Runs the conversation manager's `prepare` step before a model call (e.g. a summary of what the
 * window drops), with the session's stored summary, and counts what it cost: added to the run's
 * `usage` and cost (`addCost`) and to the session's totals.
 */
export async function prepareWindow(
  manager: ConversationManager,
  history: readonly Message[],
  budget: ContextBudget,
  ctx: { model: Model; signal: AbortSignal; session: SessionSync | undefined; usage: Usage; addCost: (costUsd: number) => void },
): Promise<void> {
  if (!manager.prepare) return;
  const summary = ctx.session?.localSummary();
  const done = await manager.prepare(history, budget, {
    model: ctx.model,
    signal: ctx.signal,
    ...(summary ? { summary } : {}),
    saveSummary: async (s) => {
      if (ctx.session) await ctx.session.saveSummary(s);
    },
  });
  if (!done) return;
  addUsage(ctx.usage, done.usage);
  if (done.costUsd !== undefined) ctx.addCost(done.costUsd);
  await ctx.session?.recordUsage(done.usage, done.costUsd);
}

function noteMessage(reason: string): SessionMessage {
  return toSessionMessage({ role: 'assistant', content: [{ type: 'text', text: unansweredPromptNote(reason) }] });
}

/**
 * The failed-run rule for a run that ended with an error: when its prompt got no answer (it is
 * the last message), drops it from the in-memory history (so it is never sent again, with or
 * without a session store) and tells the session why, for the note that closes it in the store
 * before the next prompt (see {@link SessionSync.append}).
 */
export async function closeUnansweredPrompt(history: Message[], session: SessionSync | undefined, error: unknown): Promise<void> {
  const last = history[history.length - 1];
  if (!last || last.role !== 'user' || last.content.some((b) => b.type === 'tool_result')) return;
  history.pop();
  session?.noteUnansweredPrompt(
    error instanceof Error ? `the run failed before the model answered (${error.message})` : 'the run failed before the model answered',
  );
}
