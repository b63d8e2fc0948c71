/**
 * @mixtape/cli: the `mixtape` command — an interactive REPL and one-shot runs on the Mixtape
 * agent, with sessions per folder, approvals, Markdown output and replays of recorded
 * conversations. The building blocks are exported for programs that embed the REPL.
 * @module
 */
export { main, buildProgram, cliVersion, strayArgumentsError, type CliIO } from './cli.js';
export {
  type GlobalOptions,
  type ProgramContext,
  type ResolvedGlobals,
  type Subcommand,
  checkFolder,
  parseMaxCost,
  resolveGlobals,
  sessionChoiceOf,
} from './commands/context.js';
export { SUBCOMMANDS } from './commands/registry.js';
export {
  exitCodeFor,
  messageFor,
  providerAdvice,
  providerMessage,
  failureText,
  denialAdvice,
  budgetMessage,
  SANDBOX_ADVICE,
  sandboxUnavailable,
} from './advice.js';
export { CASSETTES_DIR, CASSETTE_SUFFIX, resolveCassette, shippedCassettes } from './cassettes.js';
export { DEBUG_LOG_FILE, debugLogPath, markdownUnavailable, routeWarnings, writeDebugLog } from './debug-log.js';
export { outputClosed, watchOutput } from './output.js';
export { findSessionId, startSession, type SessionChoice, type SessionStart } from './sessions.js';
export { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON, PasteChips, PasteCollector, normalizePaste } from './repl/paste.js';
export { permissionsCommand, MAX_AUDIT_ENTRIES_SHOWN } from './repl/permissions.js';
export { DEFAULT_WIDTH, MIN_WRAP_WIDTH, widthOf, wrapLine, wrapText } from './render/wrap.js';
export { CliUsageError, ConfigError, EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED } from './errors.js';
export {
  CONFIG_FILE_NAMES,
  KNOWN_TOOL_GROUPS,
  checkConfig,
  closestName,
  toolGroupProblems,
  DEFAULT_CONTEXT_FILES,
  DEFAULT_TOOL_GROUPS,
  DEFAULT_TRUSTED_TOOLS,
  loadConfig,
  parseConfig,
  type LoadedConfig,
  type MixtapeConfig,
} from './config.js';
export {
  awsRegion,
  checkCredentials,
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
  budgetsOf,
  createCliAgent,
  defaultSystemPrompt,
  sandboxSetting,
  GRANTS_DB,
  HISTORY_FILE,
  SESSIONS_DB,
  STATE_DIR,
  stderrNotices,
  type CliAgent,
  type CliAgentOptions,
  type CliFlags,
  type CliMcp,
  type ReplayInfo,
} from './setup.js';
export { McpUi, type McpAsker, type NoticeLevel, type NoticeSink, type SamplingDecision } from './mcp/ui.js';
export {
  DEFAULT_SAMPLING_RULE,
  SAMPLING_RULES,
  SHOWN_LOG_LEVELS,
  SamplingLedger,
  cliMcpClients,
  cliOAuth,
  cliServerSettings,
  sharedClientOptions,
  withCallSignal,
  type CliMcpInput,
  type CliServerSettings,
  type SamplingRule,
} from './mcp/client-options.js';
export {
  MAX_SAMPLING_MESSAGES_SHOWN,
  MAX_SAMPLING_TEXT_SHOWN,
  RegionQuestions,
  describeSampling,
  type RegionQuestionsOptions,
} from './mcp/questions.js';
export {
  MAX_FIELD_CHARS,
  choicesOf,
  defaultOf,
  fieldHint,
  parseField,
  showValue,
  type Choice,
  type FieldValue,
  type FormField,
} from './mcp/form.js';
export { browserCommand, openInBrowser } from './mcp/browser.js';
export {
  MAX_ATTACHMENTS,
  MAX_SERVER_WHERE_CHARS,
  MAX_PROMPT_ECHO_CHARS,
  MAX_RESOURCES_LISTED,
  McpCommands,
  resourceMentions,
  splitWords,
  type PreparedMessage,
} from './repl/mcp-commands.js';
export { mcpLoginAction, mcpLogoutAction } from './commands/mcp-auth-command.js';
export { completeCommand, runRepl, type ReplOptions } from './repl/repl.js';
export { runOnce, readStdin, eventToJson, MAX_STDIN_PROMPT_BYTES, type RunOnceOptions } from './run.js';
export { runTurn, type TurnOptions, type TurnOutcome } from './turn.js';
export { ApprovalPrompter, describeResponse, responseForKey, MAX_DENY_REASON_CHARS } from './repl/approval.js';
export { LineEditor, HISTORY_SIZE, CRLF_DELAY_MS, type LineResult, type LineEditorOptions } from './repl/line-editor.js';
export {
  COMMAND_NAMES,
  DEFAULT_HISTORY_COUNT,
  MAX_SESSIONS_LISTED,
  runCommand,
  type CommandContext,
  type CommandResult,
} from './repl/commands.js';
export { MarkdownBlockSplitter } from './render/blocks.js';
export { createMarkdownRenderer, preloadMarkdown, DEFAULT_MARKDOWN_WIDTH, type MarkdownRenderer } from './render/markdown.js';
export {
  COST_DECIMALS,
  CONTEXT_CRITICAL_RATIO,
  CONTEXT_WARNING_RATIO,
  MAX_HISTORY_LINE_CHARS,
  MAX_TOOL_INPUT_CHARS,
  MAX_TOOL_RESULT_CHARS,
  formatCost,
  formatTokens,
  formatToolInput,
  formatToolResult,
  plural,
  shortId,
  statusLine,
  timeAgo,
  truncate,
  type StatusInfo,
} from './render/format.js';
export { colorEnabled, createTheme, type Symbols, type Theme } from './render/theme.js';
export {
  MAX_PROGRESS_MESSAGE_CHARS,
  STALL_CHECK_MS,
  STALL_NOTICE_MS,
  progressLabel,
  thinkingChip,
  TurnView,
  withExtraUsage,
  type TurnViewOptions,
} from './render/turn-view.js';
export { LiveRegion, PlainRegion, SPINNER_INTERVAL_MS, stallText, type Region } from './render/live.js';
