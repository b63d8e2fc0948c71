/**
 * `@mixtape/postgres`: PostgreSQL stores for Mixtape (`pg`), for many processes on many hosts.
 * @module
 */
export { PostgresSessionStore, MAX_MESSAGES_PER_INSERT, type PostgresSessionStoreOptions } from './session-store.js';
export { SESSION_MIGRATIONS, SESSION_SCHEMA_COMPONENT } from './session-schema.js';
export {
  runMigrations,
  postgresAdvice,
  describePgError,
  tableName,
  SchemaTooNewError,
  DEFAULT_POOL_SIZE,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_SCHEMA,
  TABLE_PREFIX,
  type PostgresConnection,
  type PostgresMigration,
  type PostgresStoreOptions,
} from './database.js';
export {
  PostgresRunCoordinator,
  CoordinatorError,
  COORDINATION_MIGRATIONS,
  COORDINATION_SCHEMA_COMPONENT,
  type PostgresPendingApproval,
  type PostgresRunCoordinatorOptions,
} from './run-coordinator.js';
export { PostgresGrantStore, GRANT_MIGRATIONS, GRANT_SCHEMA_COMPONENT, type PostgresGrantStoreOptions } from './grant-store.js';
