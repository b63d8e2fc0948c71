/**
 * @mixtape/openai: OpenAI chat completions and OpenAI-compatible servers (Ollama, vLLM,
 * llama.cpp server, LM Studio) on the official openai SDK.
 * @module
 */
export {
  ChunkAccumulator,
  mapFinishReason,
  openai,
  OPENAI_COMPATIBLE_PROVIDER,
  OPENAI_PROVIDER,
  OpenAIChatModel,
  openaiCompatible,
  PLACEHOLDER_API_KEY,
  type OpenAICompatibleOptions,
  type OpenAIOptions,
} from './provider.js';
export { toOpenAIMessages, toOpenAITools, dataUrl, type OpenAIConvertOptions } from './convert.js';
export { toOpenAIProviderError, OPENAI_CREDENTIAL_HINT } from './errors.js';
