/**
 * `@mixtape/sqlite`: SQLite stores for Mixtape (better-sqlite3).
 * @module
 */
export { SqliteSessionStore, DEFAULT_SESSIONS_DB_PATH, LAYOUT_BACKUP_SUFFIX, type SqliteSessionStoreOptions } from './session-store.js';
export { SESSION_MIGRATIONS, SESSION_SCHEMA_COMPONENT } from './session-schema.js';
export {
  openSqliteDatabase,
  runMigrations,
  sqliteAdvice,
  SchemaTooNewError,
  DEFAULT_BUSY_TIMEOUT_MS,
  type Migration,
  type OpenSqliteOptions,
  type SqliteDatabase,
} from './database.js';
export {
  DEFAULT_GRANTS_DB_PATH,
  GRANT_MIGRATIONS,
  GRANT_SCHEMA_COMPONENT,
  SqliteGrantStore,
  type SqliteGrantStoreOptions,
} from './grant-store.js';
