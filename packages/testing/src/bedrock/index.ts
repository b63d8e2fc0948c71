/** The fake AWS Bedrock runtime (ConverseStream binary event stream). @module */
export { startFakeBedrock, bedrockErrorType, bedrockStopReason, type BedrockRecordedRequest, type FakeBedrockServer } from './server.js';
export {
  eventFrame,
  exceptionFrame,
  corruptFrame,
  decodeFrame,
  type ConverseStreamEventType,
  type ConverseStreamExceptionType,
} from './event-stream.js';
