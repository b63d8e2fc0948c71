export {
  tool,
  toolResult,
  normalizeToolResult,
  jsonTypeName,
  ToolDefinitionError,
  DEFAULT_TOOL_TIMEOUT_MS,
  type Tool,
  type ToolContext,
  type ToolProgress,
  type ToolOptions,
  type ToolResult,
  type ThreadState,
} from './tool.js';
export { limitToolResult, DEFAULT_MAX_TOOL_RESULT_CHARS } from './result-limit.js';
export { describeThrown, MAX_THROWN_DESCRIPTION_CHARS } from './thrown.js';
