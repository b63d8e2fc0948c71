/**
 * OpenAI chat completions providers on the official openai SDK: {@link openai} for OpenAI itself
 * and {@link openaiCompatible} for any server that speaks the same API (Ollama, vLLM,
 * llama.cpp server, LM Studio, DeepSeek, ...).
 * @module
 */
import OpenAI from 'openai';
import type { Stream } from 'openai/streaming';
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
  type Usage,
} from '@mixtape/core';
import { toOpenAIMessages, toOpenAITools } from './convert.js';
import { OPENAI_CREDENTIAL_HINT, toOpenAIProviderError } from './errors.js';

/** Provider name of {@link openai}. */
export const OPENAI_PROVIDER = 'openai';
/** Provider name of {@link openaiCompatible} unless `provider` is given. */
export const OPENAI_COMPATIBLE_PROVIDER = 'openai-compatible';
/** API key sent to OpenAI-compatible servers when none is configured (local servers ignore it). */
export const PLACEHOLDER_API_KEY = 'not-needed';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

/** Options shared by {@link openai} and {@link openaiCompatible}. */
export interface OpenAIOptions {
  apiKey?: string;
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:11434/v1` for Ollama. */
  baseURL?: string;
  /** Default max output tokens (a request's maxTokens wins); unset: the server's default. */
  maxTokens?: number;
  /**
   * Which field carries max tokens: OpenAI's current `max_completion_tokens` (default for
   * {@link openai}) or the classic `max_tokens` most compatible servers know (default for
   * {@link openaiCompatible}).
   */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  temperature?: number;
  topP?: number;
  stop?: string[];
  /** `reasoning_effort` for reasoning models. */
  reasoningEffort?: 'minimal' | 'low' | 'medium' | 'high';
  /** Send thinking back as `reasoning_content` (DeepSeek needs it within tool-calling turns). Default false. */
  sendReasoning?: boolean;
  retry?: Partial<RetryPolicy>;
  onRetry?: (info: RetryInfo) => void;
  headers?: Record<string, string>;
  /** Per-request timeout of the SDK in ms (SDK default: 10 minutes). */
  timeoutMs?: number;
  /** Longest silence (no headers, no chunk) before the call counts as stalled; default `DEFAULT_STREAM_IDLE_TIMEOUT_MS` of @mixtape/core. */
  idleTimeoutMs?: number;
  /** Provider name in errors and `Model.provider`. */
  provider?: string;
  /** A ready SDK client (its own retries should be off). */
  client?: OpenAI;
}

/** Options of {@link openaiCompatible}. */
export interface OpenAICompatibleOptions extends OpenAIOptions {
  baseURL: string;
  /** Model id as the server knows it, e.g. 'llama3.2' or 'Qwen/Qwen3-8B'. */
  model: string;
  /** Catalogue entry for context window and prices (looked up by id when omitted). */
  info?: ModelInfo;
}

/** Maps finish_reason. */
export function mapFinishReason(reason: string | null | undefined): StopReason {
  switch (reason) {
    case 'stop':
      return 'end_turn';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'length':
      return 'max_tokens';
    case 'content_filter':
      return 'content_filtered';
    default:
      return 'unknown';
  }
}

/**
 * A Model on OpenAI's chat completions API. Key from OPENAI_API_KEY; base URL from
 * OPENAI_BASE_URL or the SDK's default.
 */
export function openai(model: ModelInfo | string, options: OpenAIOptions = {}): Model {
  const info = typeof model === 'string' ? findModel(model) : model;
  const id = typeof model === 'string' ? model : model.openaiId;
  if (!id) throw new TypeError(`${(model as ModelInfo).name} has no OpenAI model id; pass the id as a string`);
  const apiKey = options.apiKey ?? process.env['OPENAI_API_KEY'];
  return new OpenAIChatModel(id, info, {
    maxTokensField: 'max_completion_tokens',
    ...options,
    provider: options.provider ?? OPENAI_PROVIDER,
    ...(apiKey && { apiKey }),
    requireKey: true,
  });
}

/**
 * A Model on any OpenAI-compatible chat completions server. The API key defaults to
 * OPENAI_API_KEY, else a placeholder (Ollama, llama.cpp and vLLM need none).
 *
 * @example
 * const model = openaiCompatible({ baseURL: 'http://127.0.0.1:11434/v1', model: 'llama3.2' });
 */
export function openaiCompatible(options: OpenAICompatibleOptions): Model {
  const { model, info, ...rest } = options;
  const entry = info ?? findModel(model);
  return new OpenAIChatModel(model, entry, {
    maxTokensField: 'max_tokens',
    ...rest,
    provider: rest.provider ?? OPENAI_COMPATIBLE_PROVIDER,
    apiKey: rest.apiKey ?? process.env['OPENAI_API_KEY'] ?? PLACEHOLDER_API_KEY,
    requireKey: false,
  });
}

/** The Model behind {@link openai} and {@link openaiCompatible}. */
export class OpenAIChatModel implements Model {
  readonly provider: string;
  readonly info?: ModelInfo;
  private client?: OpenAI;

  constructor(
    readonly modelId: string,
    info: ModelInfo | undefined,
    private readonly options: OpenAIOptions & { requireKey: boolean },
  ) {
    this.provider = options.provider ?? OPENAI_PROVIDER;
    if (info) this.info = info;
    if (options.client) this.client = options.client;
  }

  private getClient(): OpenAI {
    if (this.client) return this.client;
    if (!this.options.apiKey) {
      throw providerError({
        provider: this.provider,
        kind: 'authentication',
        retryable: false,
        detail: 'no API key',
        credentialHint: `${OPENAI_CREDENTIAL_HINT}; for a local server use openaiCompatible({ baseURL, model })`,
      });
    }
    this.client = new OpenAI({
      apiKey: this.options.apiKey,
      ...(this.options.baseURL && { baseURL: this.options.baseURL }),
      maxRetries: 0, // our retry policy is the only one
      logLevel: 'off', // errors reach the caller as ProviderErrors; the SDK must not print them
      ...(this.options.timeoutMs !== undefined && { timeout: this.options.timeoutMs }),
      ...(this.options.headers && { defaultHeaders: this.options.headers }),
    });
    return this.client;
  }

  /** The request body sent for `request` (exposed for tests and debugging). */
  buildParams(request: ModelRequest): OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming {
    const o = this.options;
    const maxTokens = request.maxTokens ?? o.maxTokens;
    const tools = toOpenAITools(request.tools);
    return {
      model: this.modelId,
      messages: toOpenAIMessages(request.system, request.messages, { ...(o.sendReasoning && { sendReasoning: true }) }),
      stream: true,
      stream_options: { include_usage: true },
      ...(tools && { tools }),
      ...(maxTokens !== undefined && { [o.maxTokensField ?? 'max_tokens']: maxTokens }),
      ...(o.temperature !== undefined && { temperature: o.temperature }),
      ...(o.topP !== undefined && { top_p: o.topP }),
      ...(o.stop?.length && { stop: o.stop }),
      ...(o.reasoningEffort && { reasoning_effort: o.reasoningEffort }),
      // json_schema without `strict`: strict mode rejects schemas with optional properties or open objects.
      ...(request.output && {
        response_format: {
          type: 'json_schema' as const,
          json_schema: {
            name: request.output.name,
            schema: request.output.schema,
            ...(request.output.description !== undefined && { description: request.output.description }),
          },
        },
      }),
    };
  }

  async *stream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
    const signal = request.signal;
    const provider = this.provider;
    const params = this.buildParams(request);
    const client = this.getClient();
    yield* streamModelCall<Chunk>({
      provider,
      ...(signal && { signal }),
      ...(this.options.retry && { retry: this.options.retry }),
      ...(this.options.onRetry && { onRetry: this.options.onRetry }),
      ...(this.options.idleTimeoutMs !== undefined && { idleTimeoutMs: this.options.idleTimeoutMs }),
      open: async (attemptSignal) => {
        const stream: Stream<Chunk> = await client.chat.completions.create(params, { signal: attemptSignal });
        return { events: stream[Symbol.asyncIterator](), cancel: () => stream.controller.abort() };
      },
      assembler: () => new ChunkAccumulator(provider),
      toError: (error, beforeOutput) => toOpenAIProviderError(provider, error, signal, beforeOutput),
    });
  }
}

interface PartialCall {
  id: string;
  name: string;
  args: string;
}

/** Assembles chat completion chunks into a ModelResponse; tool calls by their index. */
export class ChunkAccumulator implements StreamAssembler<Chunk> {
  private text = '';
  private reasoning = '';
  private refusal = '';
  private readonly calls = new Map<number, PartialCall>();
  private finishReason: string | null = null;
  private usage: Usage = { inputTokens: 0, outputTokens: 0 };

  constructor(private readonly provider: string) {}

  /** Applies one chunk; pushes the deltas worth emitting to `out`. */
  handle(chunk: Chunk, out: ModelStreamEvent[]): void {
    if (chunk.usage) {
      const cached = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0;
      this.usage = { inputTokens: chunk.usage.prompt_tokens - cached, outputTokens: chunk.usage.completion_tokens };
      if (cached) this.usage.cacheReadTokens = cached;
    }
    const choice = chunk.choices?.[0];
    if (!choice) return;
    const delta = choice.delta as Chunk['choices'][number]['delta'] & { reasoning_content?: string | null; reasoning?: string | null };
    if (delta) {
      // DeepSeek and vLLM stream thinking as reasoning_content; Ollama and newer vLLM as reasoning.
      const thinking = delta.reasoning_content ?? delta.reasoning;
      if (thinking) {
        this.reasoning += thinking;
        out.push({ type: 'thinking_delta', thinking });
      }
      if (delta.content) {
        this.text += delta.content;
        out.push({ type: 'text_delta', text: delta.content });
      }
      if (delta.refusal) {
        this.refusal += delta.refusal;
        out.push({ type: 'text_delta', text: delta.refusal });
      }
      for (const tc of delta.tool_calls ?? []) {
        let call = this.calls.get(tc.index);
        if (!call) {
          call = { id: tc.id || `call_${tc.index}_${Math.random().toString(36).slice(2, 10)}`, name: tc.function?.name ?? '', args: '' };
          this.calls.set(tc.index, call);
          out.push({ type: 'tool_use_start', id: call.id, name: call.name });
        } else if (tc.function?.name) {
          call.name += tc.function.name;
        }
        const args = tc.function?.arguments;
        if (args) {
          call.args += args;
          out.push({ type: 'tool_input_delta', id: call.id, json: args });
        }
      }
    }
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
  }

  /** The assembled response; a 'stream' ProviderError when no finish_reason came or a tool input is broken. */
  finish(): ModelResponse {
    if (!this.finishReason) {
      throw providerError({
        provider: this.provider,
        kind: 'stream',
        retryable: false,
        detail: 'the response stream ended without a finish_reason',
      });
    }
    let stopReason = mapFinishReason(this.finishReason);
    if (this.refusal) stopReason = 'content_filtered';
    const content: ContentBlock[] = [];
    if (this.reasoning) content.push({ type: 'thinking', thinking: this.reasoning });
    if (this.text || this.refusal) content.push({ type: 'text', text: this.text + this.refusal });
    for (const index of [...this.calls.keys()].sort((a, b) => a - b)) {
      const call = this.calls.get(index)!;
      let input: unknown;
      try {
        input = call.args.trim() === '' ? {} : JSON.parse(call.args);
      } catch {
        if (stopReason === 'max_tokens') continue;
        // Keep the raw text: the agent returns "not a JSON object" to the model and goes on.
        input = call.args;
      }
      // Some servers send "null" for no arguments: the input is {} all the same.
      content.push({ type: 'tool_use', id: call.id, name: call.name, input: input ?? {} });
    }
    // Some servers answer tool calls with finish_reason 'stop'.
    if (stopReason === 'end_turn' && content.some((b) => b.type === 'tool_use')) stopReason = 'tool_use';
    return { content, stopReason, usage: this.usage };
  }
}
