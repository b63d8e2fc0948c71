/**
 * Questions a running tool call asks a person — an MCP server's elicitation, a sampling request
 * waiting for approval — as AG-UI interrupts. Unlike approvals (which wait in the session
 * store), the tool call waits in this process: the run's response ends with the interrupt, the
 * run stays parked in memory, and the resume that answers it continues the same run.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Interrupt as AguiInterrupt } from '@ag-ui/core';

/** Prefix of the interrupt ids of questions (approvals' ids start with `int_`). */
export const QUESTION_INTERRUPT_PREFIX = 'question_';
/** Longest a run stays parked on an unanswered question; then the question is cancelled. */
export const DEFAULT_QUESTION_WAIT_MS = 600_000;
/** Most AG-UI events kept for a parked run while it waits (the rest of its batch of tool calls); past it the run is cancelled. */
export const DEFAULT_MAX_PARKED_EVENTS = 10_000;

/**
 * A question a running tool call asks a person. `@mixtape/mcp`'s `elicitationBroker` makes them
 * (its `McpQuestion`); any tool can, through a {@link ToolQuestionSource}.
 */
export interface ToolQuestion {
  /** AG-UI interrupt reason (namespaced, e.g. `mixtape:mcp_elicitation`). */
  reason: string;
  /** The session of the run whose tool call asks (`ToolContext.sessionId`): the run it parks. */
  sessionId: string | undefined;
  /** The agent tool call that asks (`ToolContext.toolUseId`). */
  toolCallId: string | undefined;
  message: string;
  /** JSON Schema of the resume payload. */
  responseSchema: Record<string, unknown>;
  /** When the asker stops waiting (ISO). */
  expiresAt?: string;
  /** What the client shows (server name, requested schema, URL…): the interrupt's `metadata.mixtape`. */
  metadata: Record<string, unknown>;
  /** What is wrong with a resume payload, or undefined when it fits. */
  check(payload: unknown): string | undefined;
  /** Delivers a payload {@link ToolQuestion.check} accepted. */
  answer(payload: unknown): void;
  /** No answer will come (resume `cancelled`, the run ended, the wait limit passed). */
  cancel(reason: string): void;
  /** Aborted once the question is settled (answered, cancelled, or withdrawn by the asker). */
  readonly signal: AbortSignal;
}

/** Where questions come from (`@mixtape/mcp`'s `elicitationBroker()` is one). */
export interface ToolQuestionSource {
  /** `listener` is offered each new question and returns true when it takes it; returns a function that stops the offers. */
  onQuestion(listener: (question: ToolQuestion) => boolean): () => void;
}

const ANSWERED = 'it was answered';

/** A question of a run, with the interrupt id it has on the wire. */
interface OpenQuestion {
  id: string;
  question: ToolQuestion;
  createdAt: string;
  expiresAt: string;
  announced: boolean;
}

/** The AG-UI interrupt of a question. */
export function toAguiQuestion(open: { id: string; question: ToolQuestion; createdAt: string; expiresAt: string }): AguiInterrupt {
  const q = open.question;
  return {
    id: open.id,
    reason: q.reason,
    message: q.message,
    ...(q.toolCallId !== undefined ? { toolCallId: q.toolCallId } : {}),
    responseSchema: q.responseSchema,
    expiresAt: open.expiresAt,
    metadata: { mixtape: { ...q.metadata, createdAt: open.createdAt } },
  };
}

/**
 * The questions of one run: which are open, which the client was shown, and the wait limit.
 * `whenReady()` wakes the run when there is a question to show and a response to show it in.
 */
export class QuestionDesk {
  readonly #open = new Map<string, OpenQuestion>();
  /** Ids of questions that ended without an answer from a resume, with why. */
  readonly #ended = new Map<string, string>();
  readonly #waitMs: number;
  #wake: (() => void) | undefined;
  #attached = true;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Set while a resume's answers are applied (their settling is not an abandonment). */
  #resuming = false;
  /** Called when every open question ended without an answer while the run was parked. */
  onAbandoned: ((why: string) => void) | undefined;

  constructor(waitMs = DEFAULT_QUESTION_WAIT_MS) {
    this.#waitMs = waitMs;
  }

  /** Whether the run can take no more questions (it ended). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Takes a question of this run. */
  add(question: ToolQuestion): void {
    const now = Date.now();
    const limit = now + this.#waitMs;
    const asked = question.expiresAt !== undefined ? Date.parse(question.expiresAt) : NaN;
    const open: OpenQuestion = {
      id: `${QUESTION_INTERRUPT_PREFIX}${randomUUID()}`,
      question,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(Number.isFinite(asked) ? Math.min(asked, limit) : limit).toISOString(),
      announced: false,
    };
    this.#open.set(open.id, open);
    question.signal.addEventListener('abort', () => this.#settled(open.id, 'the tool call stopped waiting for it'), { once: true });
    this.#poke();
  }

  /** Open questions not yet shown to the client. */
  get unannounced(): number {
    return [...this.#open.values()].filter((o) => !o.announced).length;
  }

  /** Calls `wake` once, as soon as a question waits to be shown and a response is attached (replaces an earlier `wake`). */
  whenReady(wake: () => void): void {
    this.#wake = wake;
    this.#poke();
  }

  #poke(): void {
    if (!this.#wake || !this.#attached || this.unannounced === 0) return;
    const wake = this.#wake;
    this.#wake = undefined;
    wake();
  }

  /**
   * Marks every open question as shown and returns them all as AG-UI interrupts; the response
   * detaches and the wait limit starts. Empty (and nothing changes) when no question is open.
   */
  announce(): AguiInterrupt[] {
    if (this.#open.size === 0) return []; // withdrawn before it could be shown: nothing to park on
    for (const o of this.#open.values()) o.announced = true;
    this.#attached = false;
    clearTimeout(this.#timer);
    const first = Math.min(...[...this.#open.values()].map((o) => Date.parse(o.expiresAt)));
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, first - Date.now()));
    this.#timer.unref();
    return [...this.#open.values()].map(toAguiQuestion);
  }

  /** A response is attached again (after a resume): questions that arrived meanwhile are shown in it. */
  attached(): void {
    clearTimeout(this.#timer);
    this.#attached = true;
    this.#resuming = false;
    this.#poke();
  }

  #expire(): void {
    const now = Date.now();
    for (const o of [...this.#open.values()])
      if (Date.parse(o.expiresAt) <= now) o.question.cancel(`No answer came within the wait limit (${this.#waitMs} ms).`);
    if (this.#open.size > 0 && !this.#attached) {
      const next = Math.min(...[...this.#open.values()].map((o) => Date.parse(o.expiresAt)));
      this.#timer = setTimeout(() => this.#expire(), Math.max(0, next - now));
      this.#timer.unref();
    }
  }

  #settled(id: string, why: string): void {
    const open = this.#open.get(id);
    if (!open) return;
    this.#open.delete(id);
    if (!this.#ended.has(id)) this.#ended.set(id, why);
    if (this.#open.size === 0 && !this.#attached && !this.#resuming) this.onAbandoned?.(why);
  }

  /**
   * Checks the resume entries for the open questions: every shown question answered once,
   * every payload fitting its schema. Returns a problem (with the RUN_ERROR code) or the
   * answers to apply.
   */
  check(
    resume: ReadonlyArray<{ interruptId: string; status: string; payload?: unknown }>,
  ): { code: 'unknown' | 'unanswered' | 'invalid_answer' | 'expired'; message: string } | { apply: () => void } {
    const seen = new Set<string>();
    for (const entry of resume) {
      if (seen.has(entry.interruptId)) return { code: 'invalid_answer', message: `resume answers interrupt ${entry.interruptId} twice.` };
      seen.add(entry.interruptId);
      const why = this.#ended.get(entry.interruptId);
      if (why === ANSWERED) return { code: 'unknown', message: `The question ${entry.interruptId} was already answered.` };
      if (why !== undefined)
        return { code: 'expired', message: `The question ${entry.interruptId} no longer waits for an answer: ${why}.` };
      const open = this.#open.get(entry.interruptId);
      if (!open || !open.announced)
        return {
          code: 'unknown',
          message: `This thread's run waits for answers to ${this.#describe()}; ${entry.interruptId} is not one of them.`,
        };
      if (entry.status !== 'cancelled') {
        const problem = open.question.check(entry.payload);
        if (problem !== undefined)
          return {
            code: 'invalid_answer',
            message: `The answer to question ${entry.interruptId} does not fit its responseSchema: ${problem}.`,
          };
      }
    }
    const missing = [...this.#open.values()].filter((o) => o.announced && !seen.has(o.id));
    if (missing.length)
      return {
        code: 'unanswered',
        message: `Answer every open question of this run in one resume; missing: ${missing.map((o) => o.id).join(', ')}.`,
      };
    return {
      apply: () => {
        this.#resuming = true;
        for (const entry of resume) {
          const open = this.#open.get(entry.interruptId)!;
          this.#ended.set(open.id, ANSWERED);
          if (entry.status === 'cancelled') open.question.cancel('The person cancelled the question.');
          else open.question.answer(entry.payload);
        }
      },
    };
  }

  /** The open questions the client was shown, as AG-UI interrupts (`GET /threads/:id/interrupts`). */
  shown(): AguiInterrupt[] {
    return [...this.#open.values()].filter((o) => o.announced).map(toAguiQuestion);
  }

  /** Why a question of this run ended without a resume's answer, if it did. */
  endedWhy(id: string): string | undefined {
    const why = this.#ended.get(id);
    return why === ANSWERED ? undefined : why;
  }

  #describe(): string {
    const ids = [...this.#open.values()].filter((o) => o.announced).map((o) => o.id);
    return ids.length ? ids.join(', ') : 'no question';
  }

  /** The run ended: questions still open are cancelled. */
  close(reason: string): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const o of [...this.#open.values()]) o.question.cancel(reason);
  }
}
