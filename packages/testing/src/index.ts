/**
 * @mixtape/testing: loopback servers that speak the providers' wire protocols, scripted like
 * `ScriptedModel`, with fault injection; and cassettes of scripted responses.
 * @module
 */
export * from './script.js';
export {
  type FakeServer,
  type FakeServerOptions,
  type RecordedRequest,
  MAX_FAKE_REQUEST_BYTES,
  startLoopbackServer,
  SseWriter,
  sse,
  startSse,
  writeJson,
} from './server.js';
export { startFakeAnthropic, anthropicErrorType } from './anthropic.js';
export { startFakeOpenAI, openaiFinishReason } from './openai.js';
export * from './cassette.js';
export * from './bedrock/index.js';
