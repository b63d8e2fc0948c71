/**
 * `@mixtape/core`: the agent loop, messages, tools, events, the providers' interface, the models
 * catalogue, the conversation window, permissions and sessions. Every public name is listed here
 * by name (no `export *`), so internal helpers stay internal: add a new public name here, by name.
 * @module
 */
export {
  byteLength,
  messageText,
  toBase64,
  toolResultContentText,
  toolUses,
  userMessage,
  type ContentBlock,
  type Message,
  type TextBlock,
  type ThinkingBlock,
  type ToolResultBlock,
  type ToolResultContent,
  type ToolUseBlock,
} from './messages.js';
export {
  addUsage,
  emptyUsage,
  type Model,
  type ModelRequest,
  type OutputSpec,
  type ModelResponse,
  type ModelStreamEvent,
  type StopReason,
  type ThinkingConfig,
  type ToolDefinition,
  type Usage,
} from './model.js';
export { type AgentEvent, type AgentEventOf, type AgentEventType, type AgentHook } from './events.js';
export { Agent, alternateRoles, closeDanglingToolCalls, DEFAULT_CONTEXT_WINDOW, type SessionInfo } from './agent/agent.js';
export {
  DEFAULT_APPROVAL_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT_TOOLS,
  DEFAULT_MAX_STEPS,
  type AgentOptions,
  type AgentResult,
  type AgentResultWithOutput,
  type ApprovalMode,
  type ClientToolDefinition,
  type RunContextItem,
  type RunOptions,
  type ToolCallRecord,
} from './agent/options.js';
export { AgentAbortedError, AgentError, MaxStepsError, type AgentErrorKind } from './agent/errors.js';
export {
  APPROVAL_RESPONSE_SCHEMA,
  CLIENT_TOOL_RESPONSE_SCHEMA,
  DEFAULT_INTERRUPT_TTL_MS,
  InterruptError,
  MAX_RESUME_ANSWERS,
  type InterruptErrorCode,
} from './agent/interrupts.js';
export { decideAfterModel, type LoopDecision } from './agent/decision.js';
export { EventStream } from './agent/event-stream.js';
export { mapBounded } from './agent/tool-runner.js';
export {
  DEFAULT_TOOL_TIMEOUT_MS,
  jsonTypeName,
  normalizeToolResult,
  tool,
  ToolDefinitionError,
  toolResult,
  type ThreadState,
  type Tool,
  type ToolContext,
  type ToolProgress,
  type ToolOptions,
  type ToolResult,
} from './tools/tool.js';
export { DEFAULT_MAX_TOOL_RESULT_CHARS, limitToolResult } from './tools/result-limit.js';
export { describeThrown, MAX_THROWN_DESCRIPTION_CHARS } from './tools/thrown.js';
export {
  buildSystemPrompt,
  ContextError,
  DEFAULT_MAX_CONTEXT_FILE_BYTES,
  DEFAULT_MAX_CONTEXT_TOTAL_BYTES,
  expandContextPath,
  loadContext,
  type ContextLimits,
  type ContextLoadResult,
  type ContextSource,
  type ResolvedContext,
} from './context-files.js';
export {
  DEFAULT_RESPONSE_RESERVE,
  NoOpConversationManager,
  SimpleConversationManager,
  SlidingWindowConversationManager,
  type ContextBudget,
  type ContextUsage,
  type ConversationManager,
  type PrepareContext,
  type PrepareResult,
  type TailContext,
} from './conversation/managers.js';
export {
  DEFAULT_SUMMARY_INSTRUCTION,
  DEFAULT_SUMMARY_MAX_TOKENS,
  DEFAULT_SUMMARY_MESSAGE_CHARS,
  SummarizingConversationManager,
  type SummarizingConversationManagerOptions,
} from './conversation/summarizing.js';
export {
  INITIAL_TAIL_MESSAGES,
  isUnansweredPromptNote,
  UNANSWERED_PROMPT_NOTE_PREFIX,
  unansweredPromptNote,
} from './agent/session-sync.js';
export {
  Claude3_7Sonnet,
  CLAUDE_MODELS,
  ClaudeFable5,
  ClaudeFable5_1,
  ClaudeFable5_2,
  ClaudeHaiku4_5,
  ClaudeHaiku5_5,
  ClaudeMythos5,
  ClaudeMythos5_1,
  ClaudeMythos5_2,
  ClaudeMythosPreview,
  ClaudeOpus4,
  ClaudeOpus4_1,
  ClaudeOpus4_5,
  ClaudeOpus4_6,
  ClaudeOpus4_7,
  ClaudeOpus4_8,
  ClaudeOpus5,
  ClaudeOpus5_5,
  ClaudeSonnet4,
  ClaudeSonnet4_5,
  ClaudeSonnet4_6,
  ClaudeSonnet5,
  ClaudeSonnet5_5,
} from './models/anthropic-models.js';
export {
  BEDROCK_MODELS,
  CohereCommandRPlus,
  DeepSeekR1,
  DeepSeekV3_1,
  DeepSeekV3_2,
  Gemma3_12B,
  Gemma3_27B,
  Gemma3_4B,
  GLM4_7,
  GLM4_7Flash,
  KimiK2_5,
  KimiK2Thinking,
  Llama3_1_405B,
  Llama3_1_70B,
  Llama3_1_8B,
  Llama3_2_11B,
  Llama3_2_1B,
  Llama3_2_3B,
  Llama3_2_90B,
  Llama3_3_70B,
  Llama4Maverick17B,
  Llama4Scout17B,
  MagistralSmall,
  MiniMaxM2_1,
  Ministral14B,
  Ministral3B,
  Ministral8B,
  MistralLarge3,
  Nova2Lite,
  Nova2Sonic,
  NovaLite,
  NovaMicro,
  NovaPremier,
  NovaPro,
  PixtralLarge,
  Qwen3_235B,
  Qwen3_32B,
  Qwen3Coder30B,
  Qwen3Coder480B,
  Qwen3CoderNext,
  Qwen3Next80B,
  Qwen3VL235B,
  VoxtralMini3B,
  VoxtralSmall24B,
} from './models/bedrock-models.js';
export {
  applyInferenceProfile,
  costOf,
  daysUntilEndOfLife,
  DEFAULT_END_OF_LIFE_WARNING_DAYS,
  isNearEndOfLife,
  isRetired,
  type InferenceProfile,
  type ModelInfo,
  type ModelPricing,
  type ModelVendor,
} from './models/catalogue.js';
export { ALL_MODELS, baseBedrockId, DEFAULT_MODEL, findModel, INFERENCE_PROFILES, modelExportName } from './models/lookup.js';
export {
  describeAnnotations,
  matchesAnnotations,
  TOOL_ANNOTATION_DEFAULTS,
  toolAnnotationMatchSchema,
  type ToolAnnotationHint,
  type ToolAnnotationMatch,
  type ToolAnnotations,
} from './permissions/annotations.js';
export {
  ApprovalError,
  ApprovalQueue,
  parsePermissionResponse,
  permissionResponseSchema,
  type ApprovalRequest,
  type ApprovalRequestOptions,
  type PendingApproval,
} from './permissions/approval-queue.js';
export {
  defaultPolicy,
  isInteractiveTerminal,
  PermissionAuthorizer,
  type AuthorizationPolicy,
  type PermissionAuthorizerOptions,
} from './permissions/authorizer.js';
export { canonicalJson, CanonicalJsonError, hashParams } from './permissions/canonical-json.js';
export {
  AUDIT_COLUMNS,
  auditEntryFromRow,
  auditRowValues,
  GRANT_COLUMNS,
  grantFromRow,
  grantRowValues,
  NATIVE_BINDING,
  SQLITE_BINDING,
  type AuditRow,
  type GrantRow,
  type RowBinding,
} from './permissions/grant-rows.js';
export {
  auditMatchesFilter,
  describeGrant,
  filterAuditEntries,
  grantMatchesFilter,
  grantSchema,
  GrantStoreError,
  isExpired,
  isToolPattern,
  normalizeGrant,
  parsePermissionRules,
  PermissionConfigError,
  toolMatches,
  type AuditActor,
  type AuditDecision,
  type AuditEntry,
  type AuditFilter,
  type Grant,
  type GrantEffect,
  type GrantFilter,
  type GrantInput,
  type GrantStore,
  type GrantStoreErrorKind,
  type PermissionRule,
} from './permissions/grant.js';
export { auditLogPathFor, GRANT_FILE_VERSION, JsonFileGrantStore } from './permissions/json-file-store.js';
export {
  argumentMatcherSchema,
  commandSegments,
  MATCHER_CACHE_SIZE,
  matchesArguments,
  simpleArgv,
  type ArgumentMatcher,
  type MatchContext,
} from './permissions/matchers.js';
export {
  analyseShellCommand,
  COMMAND_EQUIVALENTS,
  MAX_SHELL_NESTING,
  MAX_WRAPPER_CHAIN,
  type ShellAnalysis,
} from './permissions/shell-command.js';
export { DEFAULT_MEMORY_AUDIT_LIMIT, MemoryGrantStore } from './permissions/memory-store.js';
export {
  type AuthorizationCheck,
  type GrantScope,
  type PermissionResponse,
  type ToolAuthorizer,
  type ToolCallRequest,
} from './permissions/types.js';
export {
  adviceFor,
  isAbortError,
  isRetryableStatus,
  kindForStatus,
  providerError,
  ProviderError,
  retryAfterMs,
  serverAllowsRetry,
  type ProviderErrorKind,
  type ProviderErrorOptions,
} from './providers/errors.js';
export {
  abortableSleep,
  abortedError,
  DEFAULT_BASE_DELAY_MS,
  DEFAULT_JITTER,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_DELAY_MS,
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_RETRY_POLICY,
  resolveRetryPolicy,
  retryDelayMs,
  withRetry,
  type RetryInfo,
  type RetryJitter,
  type RetryPolicy,
  type WithRetryOptions,
} from './providers/retry.js';
export { answerFromOutputTool, OUTPUT_TOOL_VALUE_KEY, outputTool } from './providers/output-tool.js';
export {
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  streamModelCall,
  type OpenedStream,
  type StreamAssembler,
  type StreamModelCallOptions,
} from './providers/stream.js';
export {
  fromSessionMessages,
  INTERRUPTED_TOOL_RESULT,
  repairSessionMessages,
  toSessionMessage,
  type RepairOptions,
  type SessionRepair,
} from './session/convert.js';
export { DEFAULT_MAX_MESSAGE_BYTES } from './session/rows.js';
export { MemorySessionStore } from './session/memory-store.js';
export {
  exportSession,
  forkSession,
  importSession,
  type ForkSessionOptions,
  type ImportSessionOptions,
  type SessionExport,
} from './session/portable.js';
export {
  SessionError,
  type AppendOptions,
  type CreateSessionOptions,
  type MessageRole,
  type Session,
  type SessionErrorKind,
  type SessionMessage,
  type SessionStore,
  type SessionSummary,
  type ToolCall as SessionToolCall,
  type ToolResult as SessionToolResult,
  type SessionUsage,
  type ConversationSummary,
  type LoadTailOptions,
  type SessionTail,
} from './session/types.js';
export {
  estimateBlockTokens,
  estimateMessageTokens,
  estimateTextTokens,
  forEachTokenPiece,
  MAX_EXACT_TOKEN_CHARS,
  MAX_IMAGE_TOKENS,
  MAX_TOKEN_RUN_CHARS,
  MESSAGE_OVERHEAD_TOKENS,
  TOKEN_CHUNK_CHARS,
  TOKEN_SAMPLE_CHARS,
  TOKEN_SAMPLE_COUNT,
  tokenEstimatorWork,
  upperBoundMessageTokens,
  type TokenEstimatorWork,
} from './tokens.js';
export {
  hasRunState,
  runStateFromJson,
  runStateToJson,
  type Interrupt,
  type InterruptAnswer,
  type InterruptResultContent,
  type JSONSchema,
  type RunCallState,
  type RunOutcome,
  type RunStateRecord,
  type RunStateStore,
  type SaveRunStateOptions,
  type StoredInterrupt,
} from './session/run-state.js';
export {
  AgentTelemetry,
  CAPTURE_CONTENT_ENV,
  DEFAULT_MAX_CAPTURED_CONTENT_CHARS,
  GenAiAttr,
  GenAiMetric,
  GenAiOperation,
  MixtapeAttr,
  TELEMETRY_SCOPE,
  type TelemetryModel,
  type TelemetryOptions,
} from './telemetry/index.js';
export { startTelemetryFromEnv, TelemetrySetupError, tracesExporterFromEnv, type EnvTelemetry } from './telemetry/from-env.js';
export { consoleLogger, describeError, silentLogger, type Logger } from './logger.js';
export { BudgetExceededError, DEFAULT_BUDGET_OUTPUT_TOKENS, type Budget, type Budgets } from './agent/budget.js';
export {
  answerJson,
  DEFAULT_MAX_PARTIAL_OUTPUT_CHARS,
  DEFAULT_OUTPUT_NAME,
  DEFAULT_OUTPUT_REPAIRS,
  StructuredOutputError,
  type OutputOf,
  type OutputOption,
  type OutputSchema,
} from './agent/structured-output.js';
