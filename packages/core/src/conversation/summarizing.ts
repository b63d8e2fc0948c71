/**
 * `SummarizingConversationManager`: when the window drops old messages, a summary of what was
 * dropped is written by a model, persisted with the session, and sent in their place.
 * @module
 */
import { type Message, messageText } from '../messages.js';
import { addUsage, emptyUsage, type Model } from '../model.js';
import { costOf } from '../models/catalogue.js';
import { estimateTextTokens } from '../tokens.js';
import {
  type ContextBudget,
  type ConversationManager,
  type PrepareContext,
  type PrepareResult,
  SlidingWindowConversationManager,
  type TailContext,
} from './managers.js';

/** Most characters of one dropped message put into the summarizer's transcript. */
export const DEFAULT_SUMMARY_MESSAGE_CHARS = 4_000;
/** Most output tokens of one summary. */
export const DEFAULT_SUMMARY_MAX_TOKENS = 1_024;

/** The instruction given to the summarizing model. */
export const DEFAULT_SUMMARY_INSTRUCTION =
  'You summarize the beginning of a conversation between a user and an AI assistant that uses tools, so the assistant can carry on without it. ' +
  'Keep every fact, decision, file name, value, open question and promise that may matter later; say which tools were used and what they returned. ' +
  'Write plain, dense prose or bullet points, no preamble.';

/** Options of {@link SummarizingConversationManager}. */
export interface SummarizingConversationManagerOptions {
  /** Model that writes the summaries (default: the agent's model). A cheaper one is fine. */
  model?: Model;
  /** Share of the context window kept free for the answer (as the sliding window). */
  responseReserve?: number;
  /** See {@link DEFAULT_SUMMARY_INSTRUCTION}. */
  instruction?: string;
  /** See {@link DEFAULT_SUMMARY_MAX_TOKENS}. */
  maxSummaryTokens?: number;
}

/** Tokens of the frame around a summary's text. */
const SUMMARY_FRAME_TOKENS = 24;

/** The text sent to the model in place of the summarized messages. */
function summaryMessage(text: string): Message {
  return {
    role: 'user',
    content: [
      { type: 'text', text: `<conversation-summary>\nSummary of the earlier part of this conversation:\n${text}\n</conversation-summary>` },
    ],
  };
}

/** A plain-text transcript of messages, each cut to a bounded length (linear in the input). */
function transcript(messages: readonly Message[]): string {
  const lines: string[] = [];
  for (const m of messages) {
    for (const b of m.content) {
      let line: string;
      if (b.type === 'text') line = `${m.role}: ${b.text}`;
      else if (b.type === 'tool_use') line = `assistant called ${b.name}(${JSON.stringify(b.input ?? {})})`;
      else if (b.type === 'tool_result')
        line = `tool result${b.isError ? ' (error)' : ''}: ${messageText({ role: 'user', content: b.content.filter((c) => c.type === 'text') })}`;
      else if (b.type === 'image' || b.type === 'document') line = `${m.role} attached a ${b.type} (${b.mediaType})`;
      else continue;
      lines.push(line.length > DEFAULT_SUMMARY_MESSAGE_CHARS ? `${line.slice(0, DEFAULT_SUMMARY_MESSAGE_CHARS)} […]` : line);
    }
  }
  return lines.join('\n');
}

/**
 * Keeps the newest messages that fit (as {@link SlidingWindowConversationManager}) and, when
 * that drops messages, sends a summary of everything dropped in their place. The summary is
 * written by `model` (default: the agent's) before the model call that would lose them,
 * persisted in the session store (`saveConversationSummary`), and extended — never redone
 * from scratch — as more is dropped. Windows start at a user prompt, so a tool call is never
 * separated from its result. The summary call's tokens and cost are added to the run's usage
 * and cost (and so to the session's totals).
 */
export class SummarizingConversationManager implements ConversationManager {
  readonly #window: SlidingWindowConversationManager;
  readonly #options: SummarizingConversationManagerOptions;
  /** The summary in use: its text and where it ends in the agent's messages. */
  #summary?: { text: string; throughMessage: number };

  constructor(options: SummarizingConversationManagerOptions = {}) {
    this.#options = options;
    this.#window = new SlidingWindowConversationManager(
      options.responseReserve !== undefined ? { responseReserve: options.responseReserve } : {},
    );
  }

  /** The window covers a tail that starts where the stored summary ends (or before it). */
  coversWindow(_tail: readonly Message[], _budget: ContextBudget, context: TailContext): boolean {
    return context.summary !== undefined && context.start <= context.summary.throughIndex;
  }

  /** The budget left for messages once the summary is sent. */
  #budget(budget: ContextBudget, text: string | undefined): ContextBudget {
    return text === undefined ? budget : { ...budget, fixedTokens: budget.fixedTokens + estimateTextTokens(text) + SUMMARY_FRAME_TOKENS };
  }

  select(messages: readonly Message[], budget: ContextBudget): Message[] {
    const s = this.#summary;
    if (!s || s.throughMessage > messages.length) return this.#window.select(messages, budget);
    const kept = this.#window.select(messages.slice(s.throughMessage), this.#budget(budget, s.text));
    return [summaryMessage(s.text), ...kept];
  }

  async prepare(messages: readonly Message[], budget: ContextBudget, context: PrepareContext): Promise<PrepareResult | void> {
    if (context.summary) this.#summary = { ...context.summary };
    const s = this.#summary && this.#summary.throughMessage <= messages.length ? this.#summary : undefined;
    const from = s?.throughMessage ?? 0;
    const window = this.#window.select(messages.slice(from), this.#budget(budget, s?.text));
    const dropEnd = messages.length - window.length;
    if (dropEnd <= from) return;
    // The window drops messages[from … dropEnd - 1]: fold them into the summary.
    const model = this.#options.model ?? context.model;
    const request: Message[] = [
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text:
              (s ? `The summary so far:\n${s.text}\n\nWhat happened next:\n` : 'The conversation:\n') +
              transcript(messages.slice(from, dropEnd)) +
              '\n\nWrite the updated summary of all of it.',
          },
        ],
      },
    ];
    let text = '';
    const usage = emptyUsage();
    for await (const event of model.stream({
      messages: request,
      system: this.#options.instruction ?? DEFAULT_SUMMARY_INSTRUCTION,
      tools: [],
      maxTokens: this.#options.maxSummaryTokens ?? DEFAULT_SUMMARY_MAX_TOKENS,
      signal: context.signal,
    })) {
      if (event.type === 'response') {
        text = messageText({ role: 'assistant', content: event.response.content }).trim();
        addUsage(usage, event.response.usage);
      }
    }
    if (!text)
      throw new Error(`The summarizing model (${model.provider}/${model.modelId}) returned no text; the conversation was not shortened.`);
    this.#summary = { text, throughMessage: dropEnd };
    await context.saveSummary({ text, throughMessage: dropEnd, model: model.modelId });
    const cost = costOf(usage, model.info?.pricing);
    return { usage, ...(cost !== undefined ? { costUsd: cost } : {}) };
  }
}
