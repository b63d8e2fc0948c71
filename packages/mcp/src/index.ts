/**
 * @mixtape/mcp — tools of MCP servers (stdio, Streamable HTTP, HTTP+SSE) as Mixtape agent tools,
 * the client features servers ask for (roots, sampling, elicitation, logging, progress),
 * resources and prompts, OAuth 2.1 for remote servers, Claude Desktop / Claude Code config
 * files, and Mixtape itself as an MCP server.
 * @module
 */
export {
  DEFAULT_MCP_CONNECT_TIMEOUT_MS,
  DEFAULT_MCP_STDERR_TAIL_BYTES,
  DEFAULT_MCP_TOOL_TIMEOUT_MS,
  toolSelected,
  validateServerConfig,
  type McpHttpTransportConfig,
  type McpServerConfig,
  type McpSseTransportConfig,
  type McpStdioTransportConfig,
  type McpTransportConfig,
} from './config.js';
export {
  DEFAULT_MCP_EXIT_WAIT_MS,
  McpClient,
  type McpCallOptions,
  type McpClientOptions,
  type McpToolInfo,
  type McpTransportKind,
} from './client.js';
export {
  clientCapabilities,
  rootUri,
  type McpClientFeatures,
  type McpElicitationHandler,
  type McpElicitationRequest,
  type McpElicitationResult,
  type McpListKind,
  type McpLogMessage,
  type McpProgress,
  type McpRequestContext,
  type McpRoot,
  type McpRootsSource,
  type McpSamplingHandler,
  type McpSamplingRequest,
} from './client-features.js';
export { McpTool, toolAnnotationsResolver } from './mcp-tool.js';
export { McpToolset, mcpTools, type McpHiddenTool, type McpServerFailure, type McpToolsetOptions } from './toolset.js';
export {
  DEFAULT_MCP_SAMPLING_MAX_MESSAGES,
  DEFAULT_MCP_SAMPLING_MAX_TOKENS,
  McpSamplingError,
  modelSamplingHandler,
  type McpSamplingDecision,
  type McpSamplingUsage,
  type ModelSamplingHandler,
  type ModelSamplingOptions,
} from './sampling.js';
export { terminalElicitation, type TerminalElicitationOptions } from './elicitation-prompt.js';
export {
  DEFAULT_MCP_ELICITATION_WAIT_MS,
  DEFAULT_MCP_SAMPLING_PREVIEW_CHARS,
  ElicitationAnswerError,
  MCP_ELICITATION_REASON,
  MCP_SAMPLING_REASON,
  elicitationBroker,
  type ElicitationBroker,
  type McpQuestion,
  type McpSamplingRule,
  type PendingElicitation,
} from './elicitation-broker.js';
export {
  DEFAULT_MCP_RESOURCE_MAX_CHARS,
  attachResource,
  resourceContent,
  resourceContext,
  resourceTools,
  watchResources,
  type McpContextItem,
} from './resources.js';
export { McpPromptArgumentError, mcpPromptCommands, parsePromptArguments, promptText, type McpPromptCommand } from './prompts.js';
export {
  FileOAuthTokenStore,
  MemoryOAuthTokenStore,
  OAuthTokenStoreError,
  defaultOAuthTokenFile,
  userConfigDir,
  type OAuthRecord,
  type OAuthTokenStore,
} from './oauth/token-store.js';
export {
  OAUTH_TOKEN_TABLE,
  PostgresOAuthTokenStore,
  SqliteOAuthTokenStore,
  type PostgresLike,
  type SqliteLike,
} from './oauth/sql-token-stores.js';
export { StoredOAuthProvider, type McpAuthorizeCallback, type McpOAuthOptions } from './oauth/provider.js';
export {
  DEFAULT_MCP_OAUTH_CALLBACK_PORT,
  DEFAULT_MCP_OAUTH_WAIT_MS,
  McpAuthorizationError,
  loopbackAuthorization,
  type LoopbackAuthorizationOptions,
} from './oauth/loopback.js';
export {
  DEFAULT_MCP_AGENT_TOOL_NAME,
  createMixtapeMcpServer,
  type McpAgentOption,
  type MixtapeMcpServerOptions,
} from './server/mixtape-server.js';
export {
  DEFAULT_MCP_HTTP_MAX_BODY_BYTES,
  DEFAULT_MCP_HTTP_MAX_SESSIONS,
  serveMcpHttp,
  serveMcpStdio,
  type ServeMcpHttpOptions,
} from './server/serve.js';
export { expandEnvVars, expandHome, loadMcpConfigFile, parseMcpConfig, type LoadMcpConfigOptions } from './config-file.js';
export { mapCallToolResult } from './result.js';
export { MAX_TOOL_NAME_LENGTH, namespacePrefix, sanitizeToolName } from './names.js';
export { McpConfigError, McpConnectionError, McpToolError, type McpConfigErrorKind, type McpToolErrorKind } from './errors.js';
