/**
 * The interface every model provider implements, and the events it streams.
 * @module
 */
import type { ContentBlock, Message } from './messages.js';
import type { ModelInfo } from './models/catalogue.js';

/** Why the model stopped. */
export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'content_filtered' | 'pause_turn' | 'unknown';

/** Token usage of one model call (or a sum of calls). */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Tokens read from the provider's prompt cache. */
  cacheReadTokens?: number;
  /** Tokens written to the provider's prompt cache. */
  cacheWriteTokens?: number;
}

/** A tool as the model sees it. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the tool's input (an object schema). */
  inputSchema: Record<string, unknown>;
}

/** Extended thinking configuration. */
export interface ThinkingConfig {
  /** Token budget for thinking (Anthropic requires >= 1024 and < maxTokens). */
  budgetTokens: number;
}

/** What the agent sends to a model for one call. */
export interface ModelRequest {
  messages: Message[];
  system?: string;
  tools: ToolDefinition[];
  /** Maximum output tokens; providers default to their own (see each provider). */
  maxTokens?: number;
  thinking?: ThinkingConfig;
  /**
   * The final answer must be JSON matching this schema (structured output). Providers use their
   * native mechanism (Anthropic `output_config.format`, OpenAI `response_format` json_schema) or,
   * where there is none (Bedrock), a tool named `name` the model is made to call, whose input they
   * return as the answer's text. Tools stay usable in the same request.
   */
  output?: OutputSpec;
  signal?: AbortSignal;
}

/** The shape a structured final answer must have (see {@link ModelRequest.output}). */
export interface OutputSpec {
  /** A name for the schema (also the tool name where a provider answers through a tool). */
  name: string;
  description?: string;
  /** JSON Schema (draft 2020-12 as zod writes it) of the answer. */
  schema: Record<string, unknown>;
}

/** The complete answer of one model call. */
export interface ModelResponse {
  content: ContentBlock[];
  stopReason: StopReason;
  usage: Usage;
  /** The stop sequence that ended the answer, when stopReason is 'stop_sequence'. */
  stopSequence?: string;
}

/**
 * Events a model streams. The last event is always `response`, which carries the assembled
 * message; deltas before it are for display only.
 */
export type ModelStreamEvent =
  | { type: 'text_delta'; text: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'tool_use_start'; id: string; name: string }
  | { type: 'tool_input_delta'; id: string; json: string }
  | { type: 'response'; response: ModelResponse };

/** A model the agent can talk to: a provider bound to one model id. */
export interface Model {
  /** Provider name, e.g. 'anthropic', 'bedrock', 'openai', 'scripted'. */
  readonly provider: string;
  /** The model id sent to the provider. */
  readonly modelId: string;
  /** Catalogue entry (context window, prices), when known. */
  readonly info?: ModelInfo;
  /** Streams one model call. Must honour `request.signal`. */
  stream(request: ModelRequest): AsyncIterable<ModelStreamEvent>;
}

/** Adds usage `b` to `a` in place and returns `a`. */
export function addUsage(a: Usage, b: Usage): Usage {
  a.inputTokens += b.inputTokens;
  a.outputTokens += b.outputTokens;
  if (b.cacheReadTokens) a.cacheReadTokens = (a.cacheReadTokens ?? 0) + b.cacheReadTokens;
  if (b.cacheWriteTokens) a.cacheWriteTokens = (a.cacheWriteTokens ?? 0) + b.cacheWriteTokens;
  return a;
}

/** A zero usage record. */
export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0 };
}
