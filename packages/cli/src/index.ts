/**
 * @mixtape/cli: the `mixtape` command — an interactive REPL and one-shot runs on the Mixtape
 * agent, with sessions per folder, approvals, Markdown output and replays of recorded
 * conversations. The building blocks are exported for programs that embed the REPL.
 * @module
 */
export { main, buildProgram, cliVersion, type CliIO } from './cli.js';
export { CliUsageError, ConfigError, EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED } from './errors.js';
export {
  CONFIG_FILE_NAMES,
  DEFAULT_CONTEXT_FILES,
  DEFAULT_TOOL_GROUPS,
  DEFAULT_TRUSTED_TOOLS,
  loadConfig,
  parseConfig,
  type LoadedConfig,
  type MixtapeConfig,
} from './config.js';
export {
  createModel,
  lazyModel,
  NO_PROVIDER_MESSAGE,
  NoProviderError,
  PROVIDERS,
  ProviderLoadError,
  providerFromEnv,
  resolveProvider,
  type ProviderChoice,
  type ProviderName,
  type ProviderRequest,
} from './provider.js';
export { builtinTools, groupExportName, mcpTools, type McpLoaded } from './tools.js';
export {
  createCliAgent,
  defaultSystemPrompt,
  GRANTS_DB,
  HISTORY_FILE,
  SESSIONS_DB,
  STATE_DIR,
  type CliAgent,
  type CliAgentOptions,
  type CliFlags,
  type ReplayInfo,
} from './setup.js';
export { runRepl, type ReplOptions } from './repl/repl.js';
export { runOnce, readStdin, eventToJson, MAX_STDIN_PROMPT_BYTES, type RunOnceOptions } from './run.js';
export { runTurn, type TurnOptions, type TurnOutcome } from './turn.js';
export { ApprovalPrompter, describeResponse, responseForKey, MAX_DENY_REASON_CHARS } from './repl/approval.js';
export { LineEditor, HISTORY_SIZE, CRLF_DELAY_MS, type LineResult, type LineEditorOptions } from './repl/line-editor.js';
export { COMMAND_NAMES, DEFAULT_HISTORY_COUNT, MAX_SESSIONS_LISTED, runCommand, type CommandContext } from './repl/commands.js';
export { MarkdownBlockSplitter } from './render/blocks.js';
export { createMarkdownRenderer, preloadMarkdown, DEFAULT_MARKDOWN_WIDTH, type MarkdownRenderer } from './render/markdown.js';
export * from './render/format.js';
export { colorEnabled, createTheme, type Theme } from './render/theme.js';
export { TurnView, type TurnViewOptions } from './render/turn-view.js';
export { LiveRegion, SPINNER_INTERVAL_MS } from './render/live.js';
