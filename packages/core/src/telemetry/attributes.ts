/**
 * Attribute, span and metric names of the OpenTelemetry GenAI semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/) that Mixtape emits. Written out here
 * because @opentelemetry/semantic-conventions publishes the GenAI names only from its
 * `incubating` entry point, which is not meant to be depended on by libraries.
 * @module
 */

/** `gen_ai.operation.name` values Mixtape emits. */
export const GenAiOperation = {
  invokeAgent: 'invoke_agent',
  chat: 'chat',
  executeTool: 'execute_tool',
} as const;

/** GenAI attribute keys. */
export const GenAiAttr = {
  operationName: 'gen_ai.operation.name',
  /** The provider (the conventions' newer name). */
  providerName: 'gen_ai.provider.name',
  /** The provider (the conventions' older name, still read by most back ends). */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cacheReadTokens: 'gen_ai.usage.cache_read.input_tokens',
  cacheCreationTokens: 'gen_ai.usage.cache_creation.input_tokens',
  conversationId: 'gen_ai.conversation.id',
  agentName: 'gen_ai.agent.name',
  agentId: 'gen_ai.agent.id',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolType: 'gen_ai.tool.type',
  toolArguments: 'gen_ai.tool.call.arguments',
  toolResult: 'gen_ai.tool.call.result',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  tokenType: 'gen_ai.token.type',
  errorType: 'error.type',
} as const;

/** Mixtape's own attributes (outside the gen_ai namespace, as the conventions ask). */
export const MixtapeAttr = {
  costUsd: 'mixtape.cost.usd',
  runId: 'mixtape.run.id',
  steps: 'mixtape.run.steps',
  outcome: 'mixtape.run.outcome',
  step: 'mixtape.step',
} as const;

/** Metric names. */
export const GenAiMetric = {
  tokenUsage: 'gen_ai.client.token.usage',
  operationDuration: 'gen_ai.client.operation.duration',
} as const;
