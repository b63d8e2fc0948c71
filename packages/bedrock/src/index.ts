/**
 * @mixtape/bedrock: Mixtape's provider for AWS Bedrock (ConverseStream) on the official
 * @aws-sdk/client-bedrock-runtime.
 * @module
 */
export {
  bedrock,
  BedrockModel,
  resolveBedrockModel,
  DEFAULT_BEDROCK_MAX_TOKENS,
  BEDROCK_PROVIDER,
  CONTEXT_1M_BETA,
  CONTEXT_1M_TOKENS,
  type BedrockOptions,
  type ResolvedBedrockModel,
} from './provider.js';
export {
  toBedrockMessages,
  toBedrockSystem,
  toBedrockTools,
  cachePlacement,
  additionalFields,
  vendorOfBedrockId,
  imageFormat,
  documentFormat,
  documentName,
  CACHING_VENDORS,
  DEFAULT_DOCUMENT_NAME,
  type PromptCachingConfig,
  type ConvertOptions,
} from './convert.js';
export { ConverseStreamAssembler, mapStopReason, parseToolInput } from './stream.js';
export { toBedrockError, BEDROCK_CREDENTIAL_HINT } from './errors.js';
