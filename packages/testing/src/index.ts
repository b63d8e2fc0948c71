/**
 * @mixtape/testing: loopback servers that speak the providers' wire protocols, scripted like
 * `ScriptedModel`, with fault injection; and cassettes of scripted responses.
 * @module
 */
export {
  defaultUsage,
  FakeScript,
  splitJson,
  splitText,
  stopReasonOf,
  toolInputJson,
  type ErrorOptions,
  type FakeBlock,
  type FakeStopReason,
  type FakeUsage,
  type ResponseOptions,
  type ScriptedResponse,
  type StreamFault,
} from './script.js';
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
export {
  CASSETTE_VERSION,
  CassetteError,
  loadCassette,
  recordCassette,
  recordingModel,
  scriptedFromModelResponse,
  type Cassette,
} from './cassette.js';
export {
  bedrockErrorType,
  bedrockStopReason,
  corruptFrame,
  decodeFrame,
  eventFrame,
  exceptionFrame,
  startFakeBedrock,
  type BedrockRecordedRequest,
  type ConverseStreamEventType,
  type ConverseStreamExceptionType,
  type FakeBedrockServer,
} from './bedrock/index.js';
