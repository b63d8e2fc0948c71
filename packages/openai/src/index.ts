/**
 * @mixtape/openai: OpenAI chat completions and OpenAI-compatible servers (Ollama, vLLM,
 * llama.cpp server, LM Studio) on the official openai SDK.
 * @module
 */
export * from './provider.js';
export { toOpenAIMessages, toOpenAITools, dataUrl, type OpenAIConvertOptions } from './convert.js';
export { toOpenAIProviderError, OPENAI_CREDENTIAL_HINT } from './errors.js';
