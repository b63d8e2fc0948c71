/**
 * @mixtape/anthropic: the Anthropic Messages API provider on @anthropic-ai/sdk.
 * @module
 */
export {
  anthropic,
  ANTHROPIC_PROVIDER,
  AnthropicModel,
  DEFAULT_ANTHROPIC_MAX_TOKENS,
  FALLBACK_ANTHROPIC_MAX_TOKENS,
  mapAnthropicStopReason,
  MessageAccumulator,
  THINKING_ANSWER_TOKENS,
  type AnthropicOptions,
} from './provider.js';
export { toAnthropicBlock, toAnthropicMessages, toAnthropicSystem, toAnthropicTools, type CacheMarks } from './convert.js';
export { toProviderError as anthropicProviderError, ANTHROPIC_CREDENTIAL_HINT } from './errors.js';
