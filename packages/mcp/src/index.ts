/**
 * @mixtape/mcp — tools of MCP servers (stdio, Streamable HTTP, HTTP+SSE) as Mixtape agent tools,
 * and Claude Desktop / Claude Code config files.
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
export { DEFAULT_MCP_EXIT_WAIT_MS, McpClient, type McpCallOptions, type McpClientOptions, type McpToolInfo, type McpTransportKind } from './client.js';
export { McpTool } from './mcp-tool.js';
export { McpToolset, mcpTools, type McpServerFailure, type McpToolsetOptions } from './toolset.js';
export { expandEnvVars, expandHome, loadMcpConfigFile, parseMcpConfig, type LoadMcpConfigOptions } from './config-file.js';
export { mapCallToolResult } from './result.js';
export { MAX_TOOL_NAME_LENGTH, namespacePrefix, sanitizeToolName } from './names.js';
export { McpConfigError, McpConnectionError, McpToolError, type McpConfigErrorKind } from './errors.js';
