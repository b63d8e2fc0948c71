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

export * from './errors.js';
export * from './confine.js';
export * from './filesystem/index.js';
export * from './edit/edit-block.js';
export * from './edit/fuzzy.js';
export * from './search/search.js';
export * from './search/walk.js';
export * from './process/index.js';
export * from './fetch/index.js';
export * from './sqlite/index.js';
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
