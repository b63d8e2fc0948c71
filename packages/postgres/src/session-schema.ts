/**
 * The session tables and their migrations, oldest first.
 * @module
 */
import { type PostgresMigration, tableName } from './database.js';

/** The `component` name of the session tables in `mixtape_schema_migrations`. */
export const SESSION_SCHEMA_COMPONENT = 'sessions';

const v1: PostgresMigration = {
  version: 1,
  name: 'sessions-and-messages',
  sql: (schema) => {
    const sessions = tableName(schema, 'sessions');
    const messages = tableName(schema, 'messages');
    const seq = tableName(schema, 'session_update_seq');
    return `
      CREATE SEQUENCE ${seq};
      CREATE TABLE ${sessions} (
        id TEXT PRIMARY KEY,
        directory TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        update_seq BIGINT NOT NULL DEFAULT nextval('${seq.replace(/'/g, "''")}'), -- increases on every change: exact newest-first order
        message_count INTEGER NOT NULL DEFAULT 0,  -- kept by the store: appends never count rows
        title TEXT,
        forked_from TEXT,
        input_tokens BIGINT NOT NULL DEFAULT 0,
        output_tokens BIGINT NOT NULL DEFAULT 0,
        cache_read_tokens BIGINT NOT NULL DEFAULT 0,
        cache_write_tokens BIGINT NOT NULL DEFAULT 0,
        cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0
      );
      CREATE INDEX ON ${sessions} (directory, update_seq DESC);
      CREATE INDEX ON ${sessions} (update_seq DESC);
      CREATE TABLE ${messages} (
        session_id TEXT NOT NULL REFERENCES ${sessions}(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,                      -- 0, 1, 2… without gaps within a session
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
        content TEXT NOT NULL,
        tool_calls JSON NOT NULL DEFAULT '[]',     -- [{id, name, input}]; JSON (not JSONB) keeps the text exactly
        tool_results JSON NOT NULL DEFAULT '[]',   -- [{toolUseId, success, content}]
        blocks JSON,                               -- content blocks, bytes as {"$bytes": base64}; NULL when absent
        timestamp TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (session_id, idx)
      );
    `;
  },
};

const v2: PostgresMigration = {
  version: 2,
  name: 'conversation-summaries',
  sql: (schema) => `
    CREATE TABLE ${tableName(schema, 'conversation_summaries')} (
      session_id TEXT PRIMARY KEY REFERENCES ${tableName(schema, 'sessions')}(id) ON DELETE CASCADE,
      through_idx INTEGER NOT NULL,               -- messages 0 … through_idx - 1 are summarized
      text TEXT NOT NULL,
      created_at TIMESTAMPTZ NOT NULL,
      model TEXT
    );
  `,
};

/** Each message's estimated tokens (`sessionMessageTokens`), filled by the first resume that reads it; picks a resume's tail in SQL. */
const v3: PostgresMigration = {
  version: 3,
  name: 'message-token-estimates',
  sql: (schema) => `ALTER TABLE ${tableName(schema, 'messages')} ADD COLUMN tokens INTEGER;`,
};

/** The session migrations, oldest first. Append new ones at the end; never change old ones. */
export const SESSION_MIGRATIONS: readonly PostgresMigration[] = [v1, v2, v3];

/** How the PostgreSQL store writes rows (lowercase roles, as its CHECK constraint requires; `toolUseId`). */
export const POSTGRES_ROW_STYLE = { roleStyle: 'lower', resultKeys: 'camel' } as const;
