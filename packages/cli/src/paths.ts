/**
 * Where the CLI keeps its state in a folder (no imports: the REPL reads these before anything
 * heavy is loaded).
 * @module
 */

/** Folder (under the working directory) holding sessions, grants and input history. */
export const STATE_DIR = '.mixtape';
/** Session database, relative to the working directory. */
export const SESSIONS_DB = `${STATE_DIR}/sessions.db`;
/** Grant database, relative to the working directory. */
export const GRANTS_DB = `${STATE_DIR}/grants.db`;
/** Input history file, relative to the working directory. */
export const HISTORY_FILE = `${STATE_DIR}/history.jsonl`;
