/**
 * @mixtape/tools: filesystem, edit, search, process, fetch and SQLite tools for Mixtape agents.
 *
 * Filesystem, edit and search tools are confined to a root folder (`{ root }`, default the
 * working directory). Fetch refuses private network addresses unless allowed. SQLite tools
 * honour read-only mode and per-table permissions, DDL included.
 * @module
 */
import type { Tool } from '@mixtape/core';
import { editTools, type EditOptions } from './edit/edit-block.js';
import { fetchTools, type FetchToolOptions } from './fetch/fetch-tool.js';
import { filesystemTools, type FilesystemToolsOptions } from './filesystem/index.js';
import { processTools, type ProcessToolsOptions } from './process/tools.js';
import { searchTools, type SearchOptions } from './search/search.js';

export { errorMessage, fsError, PathOutsideRootError, ToolError, type ToolErrorKind } from './errors.js';
export { displayPath, isInsideRoot, resolveInRoot, rootOf, type RootOptions } from './confine.js';
export {
  DEFAULT_MAX_BINARY_BYTES,
  DEFAULT_MAX_CHARS_PER_FILE,
  DEFAULT_MAX_READ_CHARS,
  DEFAULT_READ_CONCURRENCY,
  MAX_FILES_PER_CALL,
  type ReadFileOptions,
  readFileTool,
  readMultipleFilesTool,
} from './filesystem/read-file.js';
export { createDirectoryTool, DEFAULT_MAX_WRITE_CHARS, moveFileTool, writeFileAtomic, writeFileTool } from './filesystem/write-file.js';
export {
  DEFAULT_LIST_DEPTH,
  DEFAULT_LIST_LIMIT,
  fileInfoTool,
  formatSize,
  LIST_SKIPPED_NAMES,
  listDirectoryTool,
  MAX_LIST_LIMIT,
} from './filesystem/list-directory.js';
export { editBlockTool, type EditOptions, editTools } from './edit/edit-block.js';
export {
  DEFAULT_FUZZY_MAX_FILE_CHARS,
  DEFAULT_FUZZY_THRESHOLD,
  findBestFuzzyMatch,
  FUZZY_EXHAUSTIVE_WORK,
  FUZZY_LENGTH_SLACK,
  type FuzzyMatch,
  similarity,
} from './edit/fuzzy.js';
export {
  compileSearchPattern,
  DEFAULT_SEARCH_MAX_FILE_BYTES,
  DEFAULT_SEARCH_MAX_FILES,
  DEFAULT_SEARCH_MAX_RESULTS,
  DEFAULT_SEARCH_TIMEOUT_MS,
  MAX_CONTEXT_LINES,
  MAX_LINE_CHARS,
  MAX_SEARCH_RESULTS,
  SEARCH_SLICE_MS,
  type SearchOptions,
  searchTool,
  searchTools,
} from './search/search.js';
export { DEFAULT_WALK_MAX_DEPTH, walkFiles, type WalkOptions } from './search/walk.js';
export {
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_FINISHED_SESSIONS,
  DEFAULT_OUTPUT_BUFFER_CHARS,
  type OutputChunk,
  ProcessManager,
  type ProcessManagerOptions,
  type ProcessSession,
  type ProcessStatus,
  PROMPT_PATTERN,
} from './process/manager.js';
export {
  DEFAULT_LIST_PROCESSES_LIMIT,
  DEFAULT_MAX_OUTPUT_CHARS,
  DEFAULT_OUTPUT_WAIT_MS,
  DEFAULT_START_WAIT_MS,
  MAX_OUTPUT_WAIT_MS,
  processTools,
  type ProcessToolsOptions,
} from './process/tools.js';
export {
  BLOCKED_IPV4_RANGES,
  BLOCKED_IPV6_RANGES,
  BlockedAddressError,
  checkAddress,
  hostIsAllowed,
  isBlockedAddress,
  type NetworkPolicy,
} from './fetch/address-policy.js';
export {
  DEFAULT_FETCH_MAX_BYTES,
  DEFAULT_MAX_REDIRECTS,
  type Resolver,
  safeGet,
  type SafeGetOptions,
  type SafeResponse,
} from './fetch/safe-http.js';
export {
  DEFAULT_FETCH_MAX_LENGTH,
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_ROBOTS_TIMEOUT_MS,
  DEFAULT_USER_AGENT,
  fetchTool,
  type FetchToolOptions,
  fetchTools,
  MAX_FETCH_MAX_LENGTH,
} from './fetch/fetch-tool.js';
export { SqliteConfigError, type SqliteToolsConfig, TablePermissions, type TableRule } from './sqlite/permissions.js';
export {
  analyseStatement,
  firstKeyword,
  isDdl,
  parserTables,
  readSchema,
  schemaChanges,
  type SqlParams,
  type TableAccess,
} from './sqlite/analyse.js';
export {
  DEFAULT_SQLITE_MAX_ROWS,
  migrationChecksum,
  MIGRATIONS_TABLE,
  REFUSED_KEYWORDS,
  type SqliteDatabase,
  sqliteTools,
} from './sqlite/tools.js';
export {
  filesystemTools,
  mutativeFilesystemTools,
  readOnlyFilesystemTools,
  type FilesystemToolsOptions,
  mediaTypeOf,
} from './filesystem/index.js';
export {
  allowAllPaths,
  pathGuard,
  PathDeniedError,
  READING_TOOLS,
  type PathDeny,
  type PathDenyPolicy,
  type PathGuard,
} from './path-guard.js';
export {
  descriptorPath,
  openConfinedDir,
  openConfinedFile,
  PROC_FD_AVAILABLE,
  withConfinedFile,
  writeConfined,
  type ConfinedFile,
  type WriteConfinedOptions,
} from './confined-fs.js';
export {
  DEFAULT_BWRAP_PATH,
  SandboxUnavailableError,
  sandboxProblem,
  type SandboxOptions,
  type SandboxSetting,
} from './sandbox/bubblewrap.js';
export { htmlToMarkdown, HTML_SLICE_CHARS, MAX_MARKDOWN_NESTING, MAX_TITLE_CHARS, type HtmlPage } from './fetch/html-to-markdown.js';

/** Options of {@link allTools}. */
export interface AllToolsOptions extends FilesystemToolsOptions, EditOptions, SearchOptions {
  /** Options of the process tools; their working folder defaults to `root`. */
  process?: ProcessToolsOptions;
  /** Options of the fetch tool (SSRF policy, user agent, robots). */
  fetch?: FetchToolOptions;
}

/**
 * Every tool of this package except the SQLite ones (which need a database: {@link sqliteTools}):
 * filesystem, edit_block, search, the process tools and fetch.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a group holds tools of different input types
export function allTools(options: AllToolsOptions = {}): Tool<any>[] {
  const { process: processOptions, fetch: fetchOptions, ...rootOptions } = options;
  return [
    ...filesystemTools(rootOptions),
    ...editTools(rootOptions),
    ...searchTools(rootOptions),
    ...processTools({ ...(rootOptions.root !== undefined ? { cwd: rootOptions.root } : {}), ...processOptions }),
    ...fetchTools(fetchOptions),
  ];
}
