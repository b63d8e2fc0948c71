/**
 * ScriptedModel: a model whose answers are queued in advance, for tests and demos.
 * @module
 */
import type { ContentBlock } from '../messages.js';
import type { Model, ModelRequest, ModelResponse, ModelStreamEvent, StopReason, Usage } from '../model.js';
import type { ModelInfo } from '../models/catalogue.js';
import { upperBoundMessageTokens } from '../tokens.js';

/** A queued turn. */
type Turn =
  | { kind: 'response'; content: ContentBlock[]; stopReason?: StopReason; usage?: Usage; delayMs?: number }
  | { kind: 'error'; error: unknown }
  | { kind: 'stall' };

/** A recorded request (a deep copy of what the agent sent). */
export type ScriptedRequest = Omit<ModelRequest, 'signal'>;

/** Thrown when the agent asks a ScriptedModel for more answers than were queued. */
export class ScriptExhaustedError extends Error {
  override name = 'ScriptExhaustedError';
}

let nextId = 0;

/**
 * A model that answers from a script. Chain `.text()`, `.toolUse()`, `.toolUses()`,
 * `.thinking()`, `.error()`; consecutive `.toolUse()` calls form one turn with parallel calls.
 *
 * @example
 * const model = new ScriptedModel().toolUse('add', { a: 2, b: 2 }).text('4');
 * const agent = new Agent({ model, tools: [add] });
 */
export class ScriptedModel implements Model {
  readonly provider = 'scripted';
  readonly modelId: string;
  readonly info?: ModelInfo;
  /** Every request received, in order. */
  readonly requests: ScriptedRequest[] = [];
  private readonly queue: Turn[] = [];
  private open?: Extract<Turn, { kind: 'response' }>;

  constructor(options: { modelId?: string; info?: ModelInfo } = {}) {
    this.modelId = options.modelId ?? 'scripted-model';
    if (options.info) this.info = options.info;
  }

  /** Turns still queued. */
  get remaining(): number {
    return this.queue.length;
  }

  private closeTurn(): void {
    this.open = undefined;
  }

  /** Queues a text answer (a final turn). Pending thinking joins it. */
  text(text: string, options: { delayMs?: number; stopReason?: StopReason; usage?: Usage } = {}): this {
    const turn = this.open && this.open.content.every((b) => b.type === 'thinking') ? this.open : this.push([]);
    turn.content.push({ type: 'text', text });
    if (options.delayMs !== undefined) turn.delayMs = options.delayMs;
    if (options.stopReason) turn.stopReason = options.stopReason;
    if (options.usage) turn.usage = options.usage;
    this.closeTurn();
    return this;
  }

  /** Queues a tool call; consecutive calls (and text before them) join one turn. */
  toolUse(name: string, input: unknown = {}, id?: string): this {
    const turn = this.open ?? this.push([]);
    turn.content.push({ type: 'tool_use', id: id ?? `toolu_scripted_${++nextId}`, name, input });
    turn.stopReason = 'tool_use';
    this.open = turn;
    return this;
  }

  /** Queues one turn with several parallel tool calls. */
  toolUses(calls: { name: string; input?: unknown; id?: string }[]): this {
    this.closeTurn();
    for (const c of calls) this.toolUse(c.name, c.input ?? {}, c.id);
    this.closeTurn();
    return this;
  }

  /** Queues a thinking block that starts the next turn. */
  thinking(thinking: string, signature = 'scripted-signature'): this {
    this.closeTurn();
    const turn = this.push([{ type: 'thinking', thinking, signature }]);
    this.open = turn;
    return this;
  }

  /** Queues a turn with exactly this content and stop reason. */
  respond(content: ContentBlock[], stopReason: StopReason, usage?: Usage): this {
    this.closeTurn();
    this.push(content, stopReason, usage);
    return this;
  }

  /** Queues an error thrown by the next call. */
  error(error: unknown): this {
    this.closeTurn();
    this.queue.push({ kind: 'error', error });
    return this;
  }

  /** Queues a call that never answers until the run is aborted. */
  stall(): this {
    this.closeTurn();
    this.queue.push({ kind: 'stall' });
    return this;
  }

  private push(content: ContentBlock[], stopReason?: StopReason, usage?: Usage): Extract<Turn, { kind: 'response' }> {
    const turn: Extract<Turn, { kind: 'response' }> = {
      kind: 'response',
      content,
      ...(stopReason ? { stopReason } : {}),
      ...(usage ? { usage } : {}),
    };
    this.queue.push(turn);
    return turn;
  }

  async *stream(request: ModelRequest): AsyncGenerator<ModelStreamEvent> {
    const { signal, ...rest } = request;
    this.requests.push(structuredClone(rest));
    const turn = this.queue.shift();
    if (turn === this.open) this.open = undefined;
    if (!turn) {
      throw new ScriptExhaustedError(
        `ScriptedModel has no more responses queued (it received ${this.requests.length} requests). Queue more with .text(), .toolUse() or .error().`,
      );
    }
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    if (turn.kind === 'error') throw turn.error;
    if (turn.kind === 'stall') {
      await new Promise<void>((_, reject) => {
        if (!signal) return;
        // The abort reason is whatever the caller aborted with, as fetch and the SDKs reject.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        signal.addEventListener('abort', () => reject(signal.reason ?? new Error('aborted')), { once: true });
      });
      return;
    }
    if (turn.delayMs) await sleep(turn.delayMs, signal);
    for (const block of turn.content) {
      if (block.type === 'text') {
        for (const piece of block.text.match(/\S+\s*|\s+/g) ?? []) {
          if (signal?.aborted) throw signal.reason ?? new Error('aborted');
          yield { type: 'text_delta', text: piece };
        }
      } else if (block.type === 'thinking') {
        yield { type: 'thinking_delta', thinking: block.thinking };
      } else if (block.type === 'tool_use') {
        yield { type: 'tool_use_start', id: block.id, name: block.name };
        yield { type: 'tool_input_delta', id: block.id, json: JSON.stringify(block.input) };
      }
    }
    const hasTools = turn.content.some((b) => b.type === 'tool_use');
    const response: ModelResponse = {
      content: structuredClone(turn.content),
      stopReason: turn.stopReason ?? (hasTools ? 'tool_use' : 'end_turn'),
      // Scripted usage: about four characters per token (cheap; no tokenizer load).
      usage: turn.usage ?? {
        inputTokens: request.messages.reduce((n, m) => n + upperBoundMessageTokens(m), request.system?.length ?? 0) >> 2,
        outputTokens: turn.content.reduce((n, b) => n + (b.type === 'text' ? b.text.length : 40), 0) >> 2,
      },
    };
    yield { type: 'response', response };
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        // The abort reason is whatever the caller aborted with, as fetch and the SDKs reject.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(signal.reason ?? new Error('aborted'));
      },
      { once: true },
    );
  });
}
