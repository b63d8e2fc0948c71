/**
 * SQLite tools on a better-sqlite3 database: query (read-only), execute, list tables,
 * describe a table, schema, and migrations — all checked against {@link TablePermissions}.
 * @module
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { tool, type Tool } from '@mixtape/core';
import { z } from 'zod';
import { ToolError } from '../errors.js';
import { analyseStatement, firstKeyword, isDdl, parserTables, readSchema, schemaChanges, type SqlParams } from './analyse.js';
import { TablePermissions, type SqliteToolsConfig } from './permissions.js';

/** Default (and largest default) number of rows `sqlite_query` returns. */
export const DEFAULT_SQLITE_MAX_ROWS = 1_000;
/** Name of the table that records migrations. */
export const MIGRATIONS_TABLE = '_mixtape_migrations';
/** Statements `sqlite_execute` refuses: they reach other files or the connection's settings. */
export const REFUSED_KEYWORDS: readonly string[] = ['ATTACH', 'DETACH'];

const paramsSchema = z
  .union([z.array(z.unknown()), z.record(z.string(), z.unknown())])
  .optional()
  .describe('Values for ? (array) or :name (object) placeholders');

/** JSON input value → SQLite value: booleans become 0/1, arrays and objects their JSON text. */
function toSqlValue(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}

function bindParams(params: SqlParams | undefined): SqlParams | undefined {
  if (params === undefined) return undefined;
  if (Array.isArray(params)) return params.map(toSqlValue);
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k.replace(/^[:@$]/, ''), toSqlValue(v)]));
}

function args(params: SqlParams | undefined): unknown[] {
  return params === undefined ? [] : Array.isArray(params) ? params : [params];
}

/** SQLite value → JSON: blobs become base64 text, big integers stay exact as text. */
function toJsonValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint')
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  return value;
}

function sqlError(error: unknown): ToolError {
  if (error instanceof ToolError) return error;
  return new ToolError('sql', `SQLite error: ${(error as Error).message}`, { cause: error });
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** SHA-256 (hex) of a migration's SQL. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** The database the tools work on: an open better-sqlite3 database or a file path. */
export type SqliteDatabase = Database.Database | string;

/**
 * The SQLite tools for one database. With `config.readOnly` only the reading tools are
 * returned; per-table `read`/`write` rules apply to every tool, DDL included.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a group holds tools of different input types
export function sqliteTools(database: SqliteDatabase, config: SqliteToolsConfig = {}): Tool<any>[] {
  const permissions = new TablePermissions(config);
  const db = typeof database === 'string' ? new (createRequire(import.meta.url)('better-sqlite3') as typeof Database)(database) : database;
  if (typeof database === 'string') db.pragma('foreign_keys = ON');
  const maxRows = config.maxRows ?? DEFAULT_SQLITE_MAX_ROWS;

  const visibleObjects = (): { name: string; type: string; tbl_name: string; sql: string | null }[] =>
    readSchema(db)
      .main.filter((o) => !o.name.startsWith('sqlite_') && o.name !== MIGRATIONS_TABLE && o.tbl_name !== MIGRATIONS_TABLE)
      .filter((o) => permissions.canRead(o.tbl_name));

  const query = tool({
    name: 'sqlite_query',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description: `Run one read-only SQL statement (SELECT, WITH … SELECT, read-only PRAGMA, EXPLAIN) and return the rows as JSON, at most ${maxRows} rows (limit/offset page through more).`,
    input: z.object({
      sql: z.string().min(1),
      params: paramsSchema,
      limit: z.number().int().min(1).max(maxRows).default(maxRows),
      offset: z.number().int().min(0).default(0),
    }),
    formatInput: (input) => input.sql,
    execute(input) {
      const params = bindParams(input.params);
      const { statement, access } = analyseStatement(db, input.sql, params);
      if (!access.readonly) {
        throw new ToolError(
          'permission_denied',
          `sqlite_query only runs read-only statements; this ${access.keyword || 'statement'} would change the database.${permissions.readOnly ? '' : ' Use sqlite_execute.'}`,
        );
      }
      if (permissions.restricted && !access.parsed && access.keyword !== 'SELECT' && access.keyword !== 'WITH') {
        throw new ToolError(
          'permission_denied',
          `Permission denied: this ${access.keyword} statement cannot be checked against the table permissions.`,
        );
      }
      permissions.check(access);
      if (!statement.reader) return { columns: [], rows: [], row_count: 0 };
      try {
        statement.raw(true).safeIntegers(true);
        const columns = statement.columns().map((c) => c.name);
        const rows: unknown[][] = [];
        let index = 0;
        let more = false;
        for (const row of statement.iterate(...args(params)) as Iterable<unknown[]>) {
          if (index++ < input.offset) continue;
          if (rows.length >= input.limit) {
            more = true;
            break;
          }
          rows.push(row.map(toJsonValue));
        }
        return { columns, rows, row_count: rows.length, ...(more ? { truncated: true, next_offset: input.offset + rows.length } : {}) };
      } catch (error) {
        throw sqlError(error);
      }
    },
  });

  const execute = tool({
    name: 'sqlite_execute',
    description:
      'Run one SQL statement that changes the database (INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, …). Returns rows_affected and last_insert_rowid, or the rows of a RETURNING clause.',
    input: z.object({ sql: z.string().min(1), params: paramsSchema }),
    formatInput: (input) => input.sql,
    execute(input) {
      if (permissions.readOnly) throw new ToolError('permission_denied', 'Permission denied: the database is read-only for this agent.');
      const keyword = firstKeyword(input.sql);
      if (REFUSED_KEYWORDS.includes(keyword))
        throw new ToolError('permission_denied', `Permission denied: ${keyword} statements are not allowed.`);
      if (keyword === 'VACUUM' && /\bINTO\b/i.test(input.sql))
        throw new ToolError('permission_denied', 'Permission denied: VACUUM INTO writes another file and is not allowed.');
      const params = bindParams(input.params);
      const { statement, access } = analyseStatement(db, input.sql, params);
      if (permissions.restricted && !access.parsed && !isDdl(access.keyword)) {
        throw new ToolError(
          'permission_denied',
          `Permission denied: this ${access.keyword || 'statement'} cannot be checked against the table permissions.`,
        );
      }
      if ([...access.writes].some((t) => t.toLowerCase() === MIGRATIONS_TABLE)) {
        throw new ToolError('permission_denied', `Permission denied: ${MIGRATIONS_TABLE} is managed by the migration tools.`);
      }
      permissions.check(access);
      const run = (): Record<string, unknown> => {
        if (statement.reader) {
          statement.safeIntegers(true);
          const rows = (statement.all(...args(params)) as Record<string, unknown>[]).map((r) =>
            Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toJsonValue(v)])),
          );
          return { status: 'success', rows, row_count: rows.length };
        }
        const info = statement.run(...args(params));
        return {
          status: 'success',
          rows_affected: info.changes,
          last_insert_rowid: access.keyword === 'INSERT' || access.keyword === 'REPLACE' ? toJsonValue(info.lastInsertRowid) : null,
        };
      };
      try {
        if (!isDdl(access.keyword)) return run();
        // DDL: run inside a savepoint and check which tables' schema changed.
        const before = readSchema(db);
        db.exec('SAVEPOINT mixtape_ddl');
        try {
          const result = run();
          const changed = schemaChanges(before, readSchema(db));
          if ([...changed].some((t) => t.toLowerCase() === MIGRATIONS_TABLE))
            throw new ToolError('permission_denied', `Permission denied: ${MIGRATIONS_TABLE} is managed by the migration tools.`);
          permissions.check({ reads: [], writes: changed });
          db.exec('RELEASE mixtape_ddl');
          return { ...result, message: 'Schema changed' };
        } catch (error) {
          db.exec('ROLLBACK TO mixtape_ddl; RELEASE mixtape_ddl');
          throw error;
        }
      } catch (error) {
        throw sqlError(error);
      }
    },
  });

  const listTables = tool({
    name: 'sqlite_list_tables',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description: 'List the tables and views of the database (those this agent may read).',
    input: z.object({}),
    formatInput: () => '',
    execute() {
      const tables = visibleObjects()
        .filter((o) => o.type === 'table' || o.type === 'view')
        .map((o) => ({ name: o.name, type: o.type }))
        .sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
      return { tables, count: tables.length };
    },
  });

  const describeTable = tool({
    name: 'sqlite_describe_table',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description: 'Describe a table or view: columns (name, type, nullable, default, primary key), indexes, foreign keys and row count.',
    input: z.object({ table: z.string().min(1) }),
    formatInput: (input) => input.table,
    execute(input) {
      const object = visibleObjects().find(
        (o) => o.name.toLowerCase() === input.table.toLowerCase() && (o.type === 'table' || o.type === 'view'),
      );
      if (!object) {
        if (!permissions.canRead(input.table))
          throw new ToolError('permission_denied', `Permission denied: cannot read table '${input.table}'.`);
        throw new ToolError('not_found', `No table or view named '${input.table}'. Use sqlite_list_tables to see them.`);
      }
      try {
        const columns = (
          db.prepare(`PRAGMA table_xinfo(${quoteIdent(object.name)})`).all() as {
            name: string;
            type: string;
            notnull: number;
            dflt_value: unknown;
            pk: number;
            hidden: number;
          }[]
        )
          .filter((c) => c.hidden === 0 || c.hidden === 2 || c.hidden === 3)
          .map((c) => ({ name: c.name, type: c.type, nullable: c.notnull === 0, default: c.dflt_value ?? null, primary_key: c.pk > 0 }));
        const indexes = (db.prepare(`PRAGMA index_list(${quoteIdent(object.name)})`).all() as { name: string; unique: number }[]).map(
          (i) => ({
            name: i.name,
            unique: i.unique === 1,
            columns: (db.prepare(`PRAGMA index_info(${quoteIdent(i.name)})`).all() as { name: string }[]).map((c) => c.name),
          }),
        );
        const foreignKeys = (
          db.prepare(`PRAGMA foreign_key_list(${quoteIdent(object.name)})`).all() as { table: string; from: string; to: string }[]
        ).map((f) => ({ column: f.from, references: `${f.table}(${f.to})` }));
        const rowCount =
          object.type === 'table'
            ? (db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(object.name)}`).get() as { n: number }).n
            : undefined;
        return {
          name: object.name,
          type: object.type,
          columns,
          indexes,
          foreign_keys: foreignKeys,
          ...(rowCount !== undefined ? { row_count: rowCount } : {}),
          sql: object.sql,
        };
      } catch (error) {
        throw sqlError(error);
      }
    },
  });

  const schema = tool({
    name: 'sqlite_schema',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description: 'The CREATE statements of the tables, views, indexes and triggers this agent may read.',
    input: z.object({ tables: z.array(z.string()).optional().describe('Only these tables (default all)') }),
    formatInput: (input) => (input.tables ?? []).join(', '),
    execute(input) {
      const wanted = input.tables ? new Set(input.tables.map((t) => t.toLowerCase())) : null;
      const order = ['table', 'view', 'index', 'trigger'];
      const objects = visibleObjects()
        .filter((o) => o.sql !== null && (wanted === null || wanted.has(o.tbl_name.toLowerCase())))
        .sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type) || a.name.localeCompare(b.name));
      if (objects.length === 0) return 'No schema objects.';
      return objects.map((o) => `-- ${o.type} ${o.name}\n${o.sql};`).join('\n\n');
    },
  });

  // Migrations -----------------------------------------------------------------------------

  const ensureMigrationsTable = (): void => {
    db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
      version TEXT PRIMARY KEY, name TEXT NOT NULL, sql TEXT NOT NULL, checksum TEXT NOT NULL,
      created_at TEXT NOT NULL, applied_at TEXT)`);
  };
  interface MigrationRow {
    version: string;
    name: string;
    sql: string;
    checksum: string;
    created_at: string;
    applied_at: string | null;
  }
  const allMigrations = (): MigrationRow[] => {
    const exists = db.prepare("SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE);
    if (!exists) return [];
    return db.prepare(`SELECT * FROM ${MIGRATIONS_TABLE} ORDER BY version`).all() as MigrationRow[];
  };
  /** Checks a migration script against the permissions before it runs (fails closed when unparsable). */
  const checkScript = (sql: string): void => {
    const tables = parserTables(sql);
    if (tables === null) {
      if (permissions.restricted)
        throw new ToolError(
          'permission_denied',
          'Permission denied: this migration cannot be checked against the table permissions (the SQL could not be parsed).',
        );
      return;
    }
    const writes = new Set(tables.writes);
    if ([...writes].some((t) => t.toLowerCase() === MIGRATIONS_TABLE))
      throw new ToolError('permission_denied', `Permission denied: migrations cannot change ${MIGRATIONS_TABLE}.`);
    permissions.check({
      reads: tables.reads.filter((t) => readSchema(db).main.some((o) => o.name.toLowerCase() === t.toLowerCase())),
      writes,
    });
  };
  let lastVersion = '';
  const nextVersion = (): string => {
    const stamp = new Date()
      .toISOString()
      .replace(/[-:T]/g, '')
      .replace(/\.(\d{3})Z$/, '_$1');
    let version = stamp;
    for (let n = 1; version <= lastVersion || allMigrations().some((m) => m.version === version); n++)
      version = `${stamp}_${String(n).padStart(3, '0')}`;
    lastVersion = version;
    return version;
  };

  const addMigration = tool({
    name: 'sqlite_add_migration',
    description: 'Record a schema migration (SQL script) as pending, with its SHA-256 checksum. Run it with sqlite_run_migrations.',
    input: z.object({
      name: z.string().min(1),
      sql: z.string().min(1),
      version: z
        .string()
        .regex(/^[\w.-]+$/)
        .optional()
        .describe('Sortable version; default a UTC timestamp'),
    }),
    formatInput: (input) => `${input.name}: ${input.sql}`,
    execute(input) {
      checkScript(input.sql);
      const version = input.version ?? nextVersion();
      ensureMigrationsTable();
      try {
        db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, sql, checksum, created_at) VALUES (?, ?, ?, ?, ?)`).run(
          version,
          input.name,
          input.sql,
          migrationChecksum(input.sql),
          new Date().toISOString(),
        );
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
          throw new ToolError('migration', `A migration with version '${version}' already exists.`);
        throw sqlError(error);
      }
      return { status: 'pending', version, name: input.name, checksum: migrationChecksum(input.sql) };
    },
  });

  const runMigrations = tool({
    name: 'sqlite_run_migrations',
    description:
      'Apply the pending migrations in version order, each in its own transaction. Checksums are verified first; the first failure stops the run.',
    input: z.object({}),
    formatInput: () => '',
    execute() {
      const migrations = allMigrations();
      for (const m of migrations) {
        const actual = migrationChecksum(m.sql);
        if (actual !== m.checksum)
          throw new ToolError(
            'migration',
            `Migration checksum mismatch for '${m.version}' (${m.name}): expected ${m.checksum}, got ${actual}. Nothing was applied.`,
          );
      }
      const applied: string[] = [];
      for (const m of migrations.filter((x) => x.applied_at === null)) {
        const before = readSchema(db);
        try {
          checkScript(m.sql);
          db.transaction(() => {
            db.exec(m.sql);
            const changed = schemaChanges(before, readSchema(db));
            if ([...changed].some((t) => t.toLowerCase() === MIGRATIONS_TABLE))
              throw new ToolError('permission_denied', `Permission denied: migrations cannot change ${MIGRATIONS_TABLE}.`);
            permissions.check({ reads: [], writes: changed });
            db.prepare(`UPDATE ${MIGRATIONS_TABLE} SET applied_at = ? WHERE version = ?`).run(new Date().toISOString(), m.version);
          })();
          applied.push(m.version);
        } catch (error) {
          const reason = error instanceof ToolError ? error.message : `SQLite error: ${(error as Error).message}`;
          throw new ToolError(
            'migration',
            `Migration '${m.version}' (${m.name}) failed and was rolled back: ${reason}. Applied before it: ${applied.length ? applied.join(', ') : 'none'}.`,
            { cause: error },
          );
        }
      }
      return { status: 'success', applied, applied_count: applied.length };
    },
  });

  const listMigrations = tool({
    name: 'sqlite_list_migrations',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description: 'List migrations (all, pending or applied) with version, name, checksum and when they were applied.',
    input: z.object({ filter: z.enum(['all', 'pending', 'applied']).default('all') }),
    formatInput: (input) => input.filter,
    execute(input) {
      const migrations = allMigrations();
      const rows = migrations
        .filter((m) => input.filter === 'all' || (input.filter === 'pending' ? m.applied_at === null : m.applied_at !== null))
        .map((m) => ({
          version: m.version,
          name: m.name,
          status: m.applied_at === null ? 'pending' : 'applied',
          applied_at: m.applied_at,
          checksum: m.checksum,
          checksum_ok: migrationChecksum(m.sql) === m.checksum,
        }));
      const pending = migrations.filter((m) => m.applied_at === null).length;
      return { total: migrations.length, pending_count: pending, applied_count: migrations.length - pending, migrations: rows };
    },
  });

  const readTools = [query, listTables, describeTable, schema, listMigrations];
  if (permissions.readOnly) return readTools;
  return [...readTools, execute, addMigration, runMigrations];
}
