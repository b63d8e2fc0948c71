/**
 * `@mixtape/server`: an HTTP server speaking the AG-UI protocol over SSE (Hono).
 *
 * ```ts
 * const sessionStore = new PostgresSessionStore({ connectionString });
 * const server = createServer({
 *   agentFactory: (threadId) => new Agent({ model, tools, sessionStore, sessionId: threadId }),
 *   sessionStore,
 *   auth: { token: process.env.MIXTAPE_TOKEN! },
 *   coordinator: new PostgresRunCoordinator({ connectionString }),   // several instances
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
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_SSE_HEARTBEAT_MS,
  MAX_THREAD_ID_LENGTH,
  ServerConfigError,
  type AgentFactory,
  type ServerAuth,
  type ServerOptions,
} from './options.js';
export { MemoryRunCoordinator, type RunCoordinator, type RunLease, type PendingApprovalInfo } from './coordinator.js';
export { AguiTranslator, promptOf, tokenUsage, RunInputError, PERMISSION_REQUIRED_EVENT, PERMISSION_RESOLVED_EVENT, type PermissionRequiredValue } from './agui.js';
export { toAguiMessages } from './messages.js';
export { chatPageHtml, type ChatPageOptions } from './chat-page.js';
