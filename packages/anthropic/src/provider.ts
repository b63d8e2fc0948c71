/**
 * The Anthropic provider: `anthropic(model, options)` returns a {@link Model} that streams the
 * Messages API through the official @anthropic-ai/sdk.
 * @module
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Stream } from '@anthropic-ai/sdk/streaming';
import {
  findModel,
  providerError,
  streamModelCall,
  type ContentBlock,
  type Model,
  type ModelInfo,
  type ModelRequest,
  type ModelResponse,
  type ModelStreamEvent,
  type RetryInfo,
  type RetryPolicy,
  type StopReason,
  type StreamAssembler,
  type ThinkingConfig,
  type Usage,
} from '@mixtape/core';
import { toAnthropicMessages, toAnthropicSystem, toAnthropicTools, type CacheMarks } from './convert.js';
import { ANTHROPIC_CREDENTIAL_HINT, toProviderError } from './errors.js';

/** Provider name in errors, events and `Model.provider`. */
export const ANTHROPIC_PROVIDER = 'anthropic';
/** max_tokens when neither the request nor the options set one: the catalogue's max output, capped at this. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 16_384;
/** max_tokens for a model id the catalogue does not know. */
export const FALLBACK_ANTHROPIC_MAX_TOKENS = 4_096;
/** Room for the answer kept above the thinking budget when max_tokens is raised to fit it. */
export const THINKING_ANSWER_TOKENS = 4_096;

/** Options of {@link anthropic}. */
export interface AnthropicOptions {
  /** API key; defaults to ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN). */
  apiKey?: string;
  /** API base URL; defaults to ANTHROPIC_BASE_URL or https://api.anthropic.com. */
  baseURL?: string;
  /** Default max_tokens; see {@link DEFAULT_ANTHROPIC_MAX_TOKENS}. A request's maxTokens wins. */
  maxTokens?: number;
  /** Extended thinking for every call (a request's `thinking` wins). */
  thinking?: ThinkingConfig;
  /**
   * Prompt caching: `true` (default) puts cache breakpoints on the system prompt and the last
   * tool; an object picks them, `messages: true` also marks the end of the conversation.
   */
  promptCaching?: boolean | Partial<CacheMarks>;
  retry?: Partial<RetryPolicy>;
  /** Called before each retry (for logs). */
  onRetry?: (info: RetryInfo) => void;
  temperature?: number;
  topK?: number;
  topP?: number;
  stopSequences?: string[];
  /** Extra HTTP headers on every request (e.g. `anthropic-beta`). */
  headers?: Record<string, string>;
  /** Per-request timeout of the SDK in ms (SDK default: 10 minutes). */
  timeoutMs?: number;
  /** Longest silence (no headers, no event) before the call counts as stalled; default `DEFAULT_STREAM_IDLE_TIMEOUT_MS` of @mixtape/core. */
  idleTimeoutMs?: number;
  /** A ready SDK client to use instead of building one (its own retries should be off). */
  client?: Anthropic;
}

function cacheMarks(option: AnthropicOptions['promptCaching']): CacheMarks {
  if (option === false) return { system: false, tools: false, messages: false };
  if (option === undefined || option === true) return { system: true, tools: true, messages: false };
  return { system: option.system ?? true, tools: option.tools ?? true, messages: option.messages ?? false };
}

/** Maps Anthropic's stop_reason. */
export function mapAnthropicStopReason(reason: string | null | undefined): StopReason {
  switch (reason) {
    case 'end_turn':
    case 'tool_use':
    case 'max_tokens':
    case 'stop_sequence':
    case 'pause_turn':
      return reason;
    case 'refusal':
      return 'content_filtered';
    case 'model_context_window_exceeded':
      return 'max_tokens';
    default:
      return 'unknown';
  }
}

/**
 * A Model on the Anthropic Messages API. `model` is a catalogue entry (e.g. `ClaudeSonnet4_6`)
 * or a model id; ids the catalogue knows get its limits and prices.
 *
 * @example
 * const agent = new Agent({ model: anthropic(ClaudeSonnet4_6) });
 */
export function anthropic(model: ModelInfo | string, options: AnthropicOptions = {}): Model {
  return new AnthropicModel(model, options);
}

/** The Model behind {@link anthropic}. */
export class AnthropicModel implements Model {
  readonly provider = ANTHROPIC_PROVIDER;
  readonly modelId: string;
  readonly info?: ModelInfo;
  private client?: Anthropic;
  private readonly cache: CacheMarks;

  constructor(
    model: ModelInfo | string,
    private readonly options: AnthropicOptions = {},
  ) {
    const info = typeof model === 'string' ? findModel(model) : model;
    if (info) this.info = info;
    const id =
      typeof model === 'string'
        ? info?.anthropicId && info.anthropicId.toLowerCase() === model.toLowerCase()
          ? info.anthropicId
          : model
        : model.anthropicId;
    if (!id) {
      throw new TypeError(`${(model as ModelInfo).name} has no Anthropic model id; use bedrock() or pass an Anthropic model id string`);
    }
    this.modelId = id;
    this.cache = cacheMarks(options.promptCaching);
    if (options.client) this.client = options.client;
  }

  private getClient(): Anthropic {
    if (this.client) return this.client;
    const apiKey = this.options.apiKey ?? process.env['ANTHROPIC_API_KEY'];
    const authToken = apiKey ? undefined : process.env['ANTHROPIC_AUTH_TOKEN'];
    if (!apiKey && !authToken) {
      throw providerError({
        provider: ANTHROPIC_PROVIDER,
        kind: 'authentication',
        retryable: false,
        detail: 'no API key',
        credentialHint: ANTHROPIC_CREDENTIAL_HINT,
      });
    }
    this.client = new Anthropic({
      ...(apiKey ? { apiKey, authToken: null } : { authToken: authToken!, apiKey: null }),
      ...(this.options.baseURL && { baseURL: this.options.baseURL }),
      maxRetries: 0, // our retry policy is the only one
      logLevel: 'off', // errors reach the caller as ProviderErrors; the SDK must not print them
      ...(this.options.timeoutMs !== undefined && { timeout: this.options.timeoutMs }),
      ...(this.options.headers && { defaultHeaders: this.options.headers }),
    });
    return this.client;
  }

  /** The request body sent for `request` (exposed for tests and debugging). */
  buildParams(request: ModelRequest): Anthropic.Messages.MessageCreateParamsStreaming {
    const thinking = request.thinking ?? this.options.thinking;
    let maxTokens =
      request.maxTokens ??
      this.options.maxTokens ??
      (this.info ? Math.min(this.info.maxOutputTokens, DEFAULT_ANTHROPIC_MAX_TOKENS) : FALLBACK_ANTHROPIC_MAX_TOKENS);
    if (thinking && maxTokens <= thinking.budgetTokens) {
      maxTokens = thinking.budgetTokens + THINKING_ANSWER_TOKENS;
      if (this.info) maxTokens = Math.min(maxTokens, this.info.maxOutputTokens);
    }
    const system = toAnthropicSystem(request.system, this.cache.system);
    const tools = toAnthropicTools(request.tools, this.cache.tools);
    const o = this.options;
    return {
      model: this.modelId,
      max_tokens: maxTokens,
      messages: toAnthropicMessages(request.messages, this.cache.messages),
      stream: true,
      ...(system && { system }),
      ...(tools && { tools }),
      ...(thinking && { thinking: { type: 'enabled', budget_tokens: thinking.budgetTokens } }),
      // Structured outputs: the answer's text is JSON matching the schema (tools stay usable).
      ...(request.output && { output_config: { format: { type: 'json_schema', schema: request.output.schema } } }),
      ...(o.temperature !== undefined && { temperature: o.temperature }),
      ...(o.topK !== undefined && { top_k: o.topK }),
      ...(o.topP !== undefined && { top_p: o.topP }),
      ...(o.stopSequences?.length && { stop_sequences: o.stopSequences }),
    };
  }

  async *stream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
    const signal = request.signal;
    let params: Anthropic.Messages.MessageCreateParamsStreaming;
    try {
      params = this.buildParams(request);
    } catch (error) {
      throw providerError({
        provider: ANTHROPIC_PROVIDER,
        kind: 'invalid_request',
        retryable: false,
        detail: error instanceof Error ? error.message : String(error),
        cause: error,
      });
    }
    const client = this.getClient();
    yield* streamModelCall<Anthropic.Messages.RawMessageStreamEvent>({
      provider: ANTHROPIC_PROVIDER,
      ...(signal && { signal }),
      ...(this.options.retry && { retry: this.options.retry }),
      ...(this.options.onRetry && { onRetry: this.options.onRetry }),
      ...(this.options.idleTimeoutMs !== undefined && { idleTimeoutMs: this.options.idleTimeoutMs }),
      open: async (attemptSignal) => {
        const stream: Stream<Anthropic.Messages.RawMessageStreamEvent> = await client.messages.create(params, { signal: attemptSignal });
        return { events: stream[Symbol.asyncIterator](), cancel: () => stream.controller.abort() };
      },
      assembler: () => new MessageAccumulator(),
      toError: (error, beforeOutput) => toProviderError(error, signal, beforeOutput),
    });
  }
}

interface PartialBlock {
  block: ContentBlock;
  /** Tool input JSON received so far. */
  json?: string;
}

/** Assembles the streamed events of one answer into a ModelResponse. */
export class MessageAccumulator implements StreamAssembler<Anthropic.Messages.RawMessageStreamEvent> {
  private readonly blocks = new Map<number, PartialBlock>();
  private usage: Usage = { inputTokens: 0, outputTokens: 0 };
  private stopReason: string | null = null;
  private stopSequence: string | null = null;
  private stopped = false;

  /** Applies one raw event; pushes the deltas worth emitting to `out`. */
  handle(event: Anthropic.Messages.RawMessageStreamEvent, out: ModelStreamEvent[]): void {
    switch (event.type) {
      case 'message_start':
        this.applyUsage(event.message.usage);
        return;
      case 'content_block_start': {
        const b = event.content_block;
        if (b.type === 'text') this.blocks.set(event.index, { block: { type: 'text', text: b.text ?? '' } });
        else if (b.type === 'thinking')
          this.blocks.set(event.index, { block: { type: 'thinking', thinking: b.thinking ?? '', signature: b.signature ?? '' } });
        else if (b.type === 'redacted_thinking') this.blocks.set(event.index, { block: { type: 'redacted_thinking', data: b.data } });
        else if (b.type === 'tool_use') {
          this.blocks.set(event.index, { block: { type: 'tool_use', id: b.id, name: b.name, input: {} }, json: '' });
          out.push({ type: 'tool_use_start', id: b.id, name: b.name });
        }
        // Server tools (web search etc.) are not part of Mixtape's neutral messages; skipped.
        return;
      }
      case 'content_block_delta': {
        const p = this.blocks.get(event.index);
        if (!p) return;
        const d = event.delta;
        if (d.type === 'text_delta' && p.block.type === 'text') {
          p.block.text += d.text;
          if (d.text) out.push({ type: 'text_delta', text: d.text });
        } else if (d.type === 'thinking_delta' && p.block.type === 'thinking') {
          p.block.thinking += d.thinking;
          if (d.thinking) out.push({ type: 'thinking_delta', thinking: d.thinking });
        } else if (d.type === 'signature_delta' && p.block.type === 'thinking') {
          p.block.signature = (p.block.signature ?? '') + d.signature;
        } else if (d.type === 'input_json_delta' && p.block.type === 'tool_use') {
          p.json += d.partial_json;
          if (d.partial_json) out.push({ type: 'tool_input_delta', id: p.block.id, json: d.partial_json });
        }
        return;
      }
      case 'content_block_stop':
        return;
      case 'message_delta':
        this.stopReason = event.delta.stop_reason ?? this.stopReason;
        this.stopSequence = event.delta.stop_sequence ?? this.stopSequence;
        this.applyUsage(event.usage);
        return;
      case 'message_stop':
        this.stopped = true;
        return;
    }
  }

  private applyUsage(u: {
    input_tokens?: number | null;
    output_tokens?: number | null;
    cache_read_input_tokens?: number | null;
    cache_creation_input_tokens?: number | null;
  }): void {
    if (u.input_tokens != null) this.usage.inputTokens = u.input_tokens;
    if (u.output_tokens != null) this.usage.outputTokens = u.output_tokens;
    if (u.cache_read_input_tokens != null) this.usage.cacheReadTokens = u.cache_read_input_tokens;
    if (u.cache_creation_input_tokens != null) this.usage.cacheWriteTokens = u.cache_creation_input_tokens;
  }

  /** The assembled response; throws a 'stream' ProviderError when the stream ended early or a tool input is broken. */
  finish(): ModelResponse {
    if (!this.stopped) {
      throw providerError({
        provider: ANTHROPIC_PROVIDER,
        kind: 'stream',
        retryable: false,
        detail: 'the response stream ended before message_stop',
      });
    }
    const stopReason = mapAnthropicStopReason(this.stopReason);
    const content: ContentBlock[] = [];
    for (const index of [...this.blocks.keys()].sort((a, b) => a - b)) {
      const p = this.blocks.get(index)!;
      if (p.block.type === 'tool_use') {
        const json = p.json ?? '';
        try {
          // An empty input streams no JSON at all: it is {}, never null.
          p.block.input = json.trim() === '' ? {} : JSON.parse(json);
        } catch {
          // Cut off by max_tokens: the call is incomplete; drop it and keep stop reason max_tokens.
          if (stopReason === 'max_tokens') continue;
          // Otherwise keep the raw text: the agent tells the model its input was not a JSON
          // object and the run goes on (the model can retry), as with any invalid input.
          p.block.input = json;
        }
      }
      content.push(p.block);
    }
    const response: ModelResponse = { content, stopReason, usage: this.usage };
    if (this.stopSequence != null) response.stopSequence = this.stopSequence;
    return response;
  }
}
