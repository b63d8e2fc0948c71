/**
 * `@mixtape/server`: an HTTP server speaking the AG-UI protocol (SSE or protobuf), built on Hono.
 *
 * ```ts
 * const sessionStore = new PostgresSessionStore({ connectionString });
 * const server = createServer({
 *   agentFactory: (sessionId) => new Agent({ model, tools, sessionStore, sessionId, grantStore, interactive: true }),
 *   sessionStore,
 *   auth: { token: process.env.MIXTAPE_TOKEN! },
 * });
 * const running = await serve(server, { port: 8080 });
 * process.on('SIGTERM', () => running.close());
 * ```
 * @module
 */
export { createServer, approvalBodySchema, ServerShutdownError, ClientDisconnectedError, type MixtapeServer } from './app.js';
export { serve, DEFAULT_HOST, type ServeOptions, type RunningServer } from './serve.js';
export {
  DEFAULT_AGENT_PATH,
  DEFAULT_ALLOWED_HOSTS,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_MAX_CLIENT_TOOLS,
  DEFAULT_MAX_MESSAGE_CHARS,
  DEFAULT_MAX_RUN_MESSAGES,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_SSE_HEARTBEAT_MS,
  MAX_THREAD_ID_LENGTH,
  ServerConfigError,
  type AgentFactory,
  type AgentFactoryContext,
  type Authenticate,
  type Principal,
  type RunInputLimits,
  type ServerAuth,
  type ServerErrorLogger,
  type ServerOptions,
} from './options.js';
export { MemoryRunCoordinator, type RunCoordinator, type RunLease, type PendingApprovalInfo } from './coordinator.js';
export {
  AguiMapper,
  CLIENT_TOOL_INTERRUPT_REASON,
  PERMISSION_REQUIRED_EVENT,
  PERMISSION_RESOLVED_EVENT,
  ResumeInputError,
  resumeAnswers,
  toAguiInterrupt,
  tokenUsage,
  type AguiMapperOptions,
  type PermissionRequiredValue,
} from './agui.js';
export {
  parseRunInput,
  RunInputError,
  ATTACHMENTS_ONLY_PROMPT,
  type ClientTool,
  type ClientToolResult,
  type ParsedRunInput,
  type RunRequest,
} from './run-input.js';
export { executeRun, type EventSink, type RunContext, type RunExecutor, type RunParking } from './run.js';
export {
  DEFAULT_MAX_PARKED_EVENTS,
  DEFAULT_QUESTION_WAIT_MS,
  QUESTION_INTERRUPT_PREFIX,
  QuestionDesk,
  toAguiQuestion,
  type ToolQuestion,
  type ToolQuestionSource,
} from './questions.js';
export { RunChannel } from './run-channel.js';
export { negotiateEncoding, PROTO_MEDIA_TYPE, SSE_MEDIA_TYPE } from './wire.js';
export { toAguiMessages } from './messages.js';
export { chatPageHtml, type ChatPageOptions } from './chat-page.js';
