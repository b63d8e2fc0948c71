/**
 * `bedrock(model, opts)`: a {@link Model} on AWS Bedrock's ConverseStream API through the official
 * @aws-sdk/client-bedrock-runtime.
 * @module
 */
import {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  type BedrockRuntimeClientConfig,
  type ConverseStreamCommandInput,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  applyInferenceProfile,
  baseBedrockId,
  findModel,
  INFERENCE_PROFILES,
  providerError,
  streamModelCall,
  type InferenceProfile,
  type Model,
  type ModelInfo,
  type ModelRequest,
  type ModelStreamEvent,
  type ModelVendor,
  type RetryInfo,
  type RetryPolicy,
  type ThinkingConfig,
  answerFromOutputTool,
  outputTool,
} from '@mixtape/core';
import {
  additionalFields,
  cachePlacement,
  toBedrockMessages,
  toBedrockSystem,
  toBedrockTools,
  vendorOfBedrockId,
  type PromptCachingConfig,
} from './convert.js';
import { toBedrockError } from './errors.js';
import { ConverseStreamAssembler } from './stream.js';

/** Provider name in errors, events and `Model.provider`. */
export const BEDROCK_PROVIDER = 'bedrock';

/** Max output tokens of a call when neither the request nor the options say (the Rust original's default). */
export const DEFAULT_BEDROCK_MAX_TOKENS = 4096;

/** The Anthropic beta that enables Claude's 1M-token context window. */
export const CONTEXT_1M_BETA = 'context-1m-2025-08-07';

/** Context window with {@link BedrockOptions.context1m}. */
export const CONTEXT_1M_TOKENS = 1_000_000;

/** Options of {@link bedrock}. Everything is optional: region and credentials follow the standard AWS chain. */
export interface BedrockOptions {
  /** AWS region; default from AWS_REGION / AWS_DEFAULT_REGION / the profile. */
  region?: string;
  /** Static credentials or a credential provider; default: the standard AWS credential chain. */
  credentials?: BedrockRuntimeClientConfig['credentials'];
  /** Endpoint URL (VPC endpoint, proxy, a fake server). `http://` endpoints use HTTP/1.1 unless `requestHandler` says otherwise. */
  endpoint?: string;
  /**
   * Cross-region inference profile prefix for catalogue entries; default: the entry's own
   * (`global` for recent Claude models); `null` sends the base model id.
   */
  inferenceProfile?: InferenceProfile | null;
  /** Max output tokens per call when the request gives none (default {@link DEFAULT_BEDROCK_MAX_TOKENS}). */
  maxTokens?: number;
  /** Extended thinking (Claude): a token budget, or `{ budgetTokens }`. The request's own setting wins. */
  thinking?: number | ThinkingConfig;
  temperature?: number;
  topP?: number;
  /** Sent in `additionalModelRequestFields` (`top_k`; Nova: `inferenceConfig.topK`). */
  topK?: number;
  stopSequences?: string[];
  /** Extra `additionalModelRequestFields`, merged last (e.g. `{ anthropic_beta: [...] }`). */
  additionalFields?: Record<string, unknown>;
  /**
   * Claude's 1M-token context window (beta; long prompts cost more): adds the
   * `context-1m-2025-08-07` beta to `anthropic_beta` and reports a 1,000,000-token context window
   * in `info`. Ignored for other models.
   */
  context1m?: boolean;
  /**
   * Prompt caching with cache points (Claude and Nova only; ignored for other models). `true`
   * caches the system prompt, the tools (Claude) and the conversation so far. Default off.
   */
  promptCaching?: boolean | PromptCachingConfig;
  /** Retry policy of the shared `withRetry` (the SDK's own retries are turned off). */
  retry?: Partial<RetryPolicy>;
  /** Called before each retry. */
  onRetry?: (info: RetryInfo) => void;
  /** Longest silence (no headers, no stream event) before the call counts as stalled; default `DEFAULT_STREAM_IDLE_TIMEOUT_MS` of `@mixtape/core`; 0 disables. */
  idleTimeoutMs?: number;
  /** The SDK's HTTP handler (e.g. `new NodeHttpHandler({ connectionTimeout })`). */
  requestHandler?: BedrockRuntimeClientConfig['requestHandler'];
  /** A ready client; region, credentials, endpoint and requestHandler are then ignored. */
  client?: BedrockRuntimeClient;
}

/** A resolved Bedrock model: which id goes on the wire and who makes it. */
export interface ResolvedBedrockModel {
  modelId: string;
  info?: ModelInfo;
  vendor?: ModelVendor;
}

/** Resolves a catalogue entry or id string to the model id sent to Bedrock. */
export function resolveBedrockModel(model: ModelInfo | string, profile?: InferenceProfile | null): ResolvedBedrockModel {
  if (profile && !INFERENCE_PROFILES.includes(profile)) {
    throw providerError({
      provider: 'bedrock',
      kind: 'invalid_request',
      retryable: false,
      detail: `unknown inference profile '${profile}' (use ${INFERENCE_PROFILES.join(', ')} or null)`,
    });
  }
  if (typeof model === 'string') {
    const id = model.trim();
    if (!id) {
      throw providerError({
        provider: 'bedrock',
        kind: 'invalid_request',
        retryable: false,
        detail: 'the model id is empty; pass a catalogue entry (e.g. ClaudeSonnet4_6) or a Bedrock model id',
      });
    }
    const info = findModel(id);
    const base = baseBedrockId(id);
    const hasPrefix = base !== id;
    const modelId = profile && !hasPrefix && !id.startsWith('arn:') ? applyInferenceProfile(id, profile) : id;
    const vendor = info?.vendor ?? vendorOfBedrockId(base);
    return { modelId, ...(info && { info }), ...(vendor && { vendor }) };
  }
  if (!model.bedrockId) {
    throw providerError({
      provider: 'bedrock',
      kind: 'invalid_request',
      retryable: false,
      detail: `${model.name} has no Bedrock model id in the catalogue; pass its Bedrock model id as a string, e.g. bedrock('anthropic.…')`,
    });
  }
  const chosen = profile === undefined ? model.bedrockProfile : (profile ?? undefined);
  const vendor = model.vendor ?? vendorOfBedrockId(model.bedrockId);
  return { modelId: applyInferenceProfile(model.bedrockId, chosen), info: model, ...(vendor && { vendor }) };
}

/**
 * A model on AWS Bedrock (ConverseStream). Takes a catalogue entry (`bedrock(ClaudeSonnet4_6)`,
 * `bedrock(NovaPro)`) or any Bedrock model id, inference-profile id or ARN.
 *
 * ```ts
 * const agent = new Agent({ model: bedrock(ClaudeSonnet4_6, { region: 'us-east-1', promptCaching: true }) });
 * ```
 */
export function bedrock(model: ModelInfo | string, options: BedrockOptions = {}): BedrockModel {
  return new BedrockModel(model, options);
}

/** The {@link Model} returned by {@link bedrock}. */
export class BedrockModel implements Model {
  readonly provider = BEDROCK_PROVIDER;
  readonly modelId: string;
  readonly info?: ModelInfo;
  /** Who makes the model (decides cache points, thinking and top-k fields). */
  readonly vendor?: ModelVendor;
  /** The SDK client (shared by every call of this model). */
  readonly client: BedrockRuntimeClient;
  private readonly options: BedrockOptions;

  constructor(model: ModelInfo | string, options: BedrockOptions = {}) {
    const resolved = resolveBedrockModel(model, options.inferenceProfile);
    this.modelId = resolved.modelId;
    if (resolved.vendor) this.vendor = resolved.vendor;
    const long = options.context1m === true && resolved.vendor === 'anthropic';
    if (resolved.info) this.info = long ? { ...resolved.info, contextWindow: CONTEXT_1M_TOKENS } : resolved.info;
    if (long) {
      const extra = options.additionalFields ?? {};
      const betas = Array.isArray(extra.anthropic_beta) ? (extra.anthropic_beta as unknown[]) : [];
      options = {
        ...options,
        additionalFields: { ...extra, anthropic_beta: betas.includes(CONTEXT_1M_BETA) ? betas : [...betas, CONTEXT_1M_BETA] },
      };
    }
    this.options = options;
    this.client = options.client ?? createClient(options);
  }

  /** The ConverseStream input for a request (what goes on the wire, before signing). */
  buildInput(request: ModelRequest): ConverseStreamCommandInput {
    const o = this.options;
    if (request.tools.length > 0 && this.info?.supportsTools === false) {
      throw providerError({
        provider: 'bedrock',
        kind: 'invalid_request',
        retryable: false,
        detail: `${this.info.name} (${this.modelId}) does not support tool use; give the agent no tools or pick another model`,
      });
    }
    const cache = cachePlacement(o.promptCaching, this.vendor);
    const thinking = request.thinking ?? (typeof o.thinking === 'number' ? { budgetTokens: o.thinking } : o.thinking);
    let maxTokens = request.maxTokens ?? o.maxTokens ?? DEFAULT_BEDROCK_MAX_TOKENS;
    if (thinking && maxTokens <= thinking.budgetTokens) {
      // Claude needs max_tokens above the thinking budget; leave room for the answer.
      maxTokens = thinking.budgetTokens + DEFAULT_BEDROCK_MAX_TOKENS;
      if (this.info) maxTokens = Math.min(maxTokens, this.info.maxOutputTokens);
    }
    const system = toBedrockSystem(request.system, cache.system);
    // No native JSON-schema answers on Converse: the output schema is a tool the model must call.
    const tools = toBedrockTools(request.output ? [...request.tools, outputTool(request.output)] : request.tools, cache.tools);
    const fields = additionalFields({
      vendor: this.vendor,
      ...(thinking && { thinkingBudget: thinking.budgetTokens }),
      ...(o.topK !== undefined && { topK: o.topK }),
      ...(o.additionalFields && { extra: o.additionalFields }),
    });
    return {
      modelId: this.modelId,
      messages: toBedrockMessages(request.messages, {
        ...(this.vendor && { vendor: this.vendor }),
        cacheLastMessage: cache.messages,
      }),
      ...(system && { system }),
      inferenceConfig: {
        maxTokens,
        // Claude rejects temperature/top_p other than defaults while thinking.
        ...(o.temperature !== undefined && !thinking && { temperature: o.temperature }),
        ...(o.topP !== undefined && !thinking && { topP: o.topP }),
        ...(o.stopSequences?.length && { stopSequences: o.stopSequences }),
      },
      ...(tools && { toolConfig: { tools, ...(request.output && { toolChoice: { any: {} } }) } }),
      ...(fields && { additionalModelRequestFields: fields as never }),
    };
  }

  /**
   * Streams one ConverseStream call through core's shared stream loop (`streamModelCall`):
   * retries before the first output, the idle timeout, and cancellation of the HTTP request on
   * abort, timeout, error or when the caller stops early.
   */
  async *stream(request: ModelRequest): AsyncGenerator<ModelStreamEvent> {
    const { signal } = request;
    const { modelId, client, options } = this;
    const input = this.buildInput(request);
    const events = streamModelCall<ConverseStreamOutput>({
      provider: BEDROCK_PROVIDER,
      ...(signal && { signal }),
      ...(options.retry && { retry: options.retry }),
      ...(options.onRetry && { onRetry: options.onRetry }),
      ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
      open: async (abortSignal) => {
        const response = await client.send(new ConverseStreamCommand(input), { abortSignal });
        if (!response.stream)
          throw providerError({ provider: BEDROCK_PROVIDER, kind: 'server', detail: `${modelId} answered without a stream` });
        const iterator = response.stream[Symbol.asyncIterator]();
        return {
          events: endedEarlyIsRetryable(iterator, modelId),
          cancel: () =>
            void iterator.return?.().catch(() => {
              // The stream is being abandoned (its request is aborted too); its own error was already reported.
            }),
        };
      },
      assembler: () => new ConverseStreamAssembler(modelId),
      toError: (error, beforeOutput) => toBedrockError(error, { modelId, streamStarted: !beforeOutput, ...(signal && { signal }) }),
    });
    yield* request.output ? answerFromOutputTool(events, request.output) : events;
  }
}

/**
 * Passes the SDK's events through; a stream that ends before any content and without
 * messageStop (a connection cut right after the headers) becomes a retryable network error, so
 * the shared loop tries the call again instead of reporting a response that never came.
 */
async function* endedEarlyIsRetryable(events: AsyncIterator<ConverseStreamOutput>, modelId: string): AsyncGenerator<ConverseStreamOutput> {
  let content = false;
  let stopped = false;
  for (;;) {
    const next = await events.next();
    if (next.done) break;
    const event = next.value;
    if (event.contentBlockStart || event.contentBlockDelta) content = true;
    if (event.messageStop) stopped = true;
    yield event;
  }
  if (!content && !stopped) {
    throw providerError({
      provider: BEDROCK_PROVIDER,
      kind: 'network',
      retryable: true,
      detail: `the response stream of ${modelId} ended before any output`,
    });
  }
}

function createClient(o: BedrockOptions): BedrockRuntimeClient {
  const requestHandler = o.requestHandler ?? (o.endpoint?.startsWith('http://') ? new NodeHttpHandler() : undefined);
  return new BedrockRuntimeClient({
    // The shared withRetry is the only retry policy (it also retries failures inside the stream's first event).
    maxAttempts: 1,
    ...(o.region !== undefined && { region: o.region }),
    ...(o.credentials !== undefined && { credentials: o.credentials }),
    ...(o.endpoint !== undefined && { endpoint: o.endpoint }),
    ...(requestHandler !== undefined && { requestHandler }),
  });
}
