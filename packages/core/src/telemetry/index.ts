/**
 * OpenTelemetry GenAI tracing and metrics of agent runs.
 * @module
 */
export {
  AgentTelemetry,
  CAPTURE_CONTENT_ENV,
  DEFAULT_MAX_CAPTURED_CONTENT_CHARS,
  TELEMETRY_SCOPE,
  type TelemetryModel,
  type TelemetryOptions,
} from './agent-telemetry.js';
export { GenAiAttr, GenAiMetric, GenAiOperation, MixtapeAttr } from './attributes.js';
