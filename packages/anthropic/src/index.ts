/**
 * @mixtape/anthropic: the Anthropic Messages API provider on @anthropic-ai/sdk.
 * @module
 */
export * from './provider.js';
export { toAnthropicBlock, toAnthropicMessages, toAnthropicSystem, toAnthropicTools, type CacheMarks } from './convert.js';
export { toProviderError as anthropicProviderError, ANTHROPIC_CREDENTIAL_HINT } from './errors.js';
