/**
 * Table permissions of the SQLite tools: read-only mode, and per-table allow or deny lists for
 * reading and for writing (writing includes DDL: CREATE/ALTER/DROP of a table and of the
 * indexes, triggers and views on it).
 * @module
 */
import { ToolError } from '../errors.js';

/** Which tables a permission covers: only the listed ones, or all but the listed ones. */
export type TableRule = { allow: readonly string[] } | { deny: readonly string[] };

/** Configuration of {@link sqliteTools}. */
export interface SqliteToolsConfig {
  /** No writes at all: only the reading tools are provided (default false). */
  readOnly?: boolean;
  /** Tables that may be read (default: all). */
  read?: TableRule;
  /** Tables that may be written or changed by DDL (default: all). */
  write?: TableRule;
  /** Most rows `sqlite_query` returns (default DEFAULT_SQLITE_MAX_ROWS). */
  maxRows?: number;
}

/** Thrown for an invalid {@link SqliteToolsConfig}. */
export class SqliteConfigError extends Error {
  override name = 'SqliteConfigError';
}

/** Compiled permissions. Table names are compared case-insensitively, as SQLite does. */
export class TablePermissions {
  private readonly read?: { allow: boolean; names: Set<string> };
  private readonly write?: { allow: boolean; names: Set<string> };
  readonly readOnly: boolean;

  constructor(config: SqliteToolsConfig = {}) {
    this.readOnly = config.readOnly ?? false;
    const compile = (rule: TableRule | undefined, what: string): { allow: boolean; names: Set<string> } | undefined => {
      if (!rule) return undefined;
      if ('allow' in rule) return { allow: true, names: new Set(rule.allow.map((n) => n.toLowerCase())) };
      if (rule.deny.length === 0) throw new SqliteConfigError(`An empty deny list for ${what} allows every table; omit '${what}' instead.`);
      return { allow: false, names: new Set(rule.deny.map((n) => n.toLowerCase())) };
    };
    const read = compile(config.read, 'read');
    const write = compile(config.write, 'write');
    if (read) this.read = read;
    if (write) this.write = write;
  }

  /** True when any per-table rule is configured. */
  get restricted(): boolean {
    return this.read !== undefined || this.write !== undefined;
  }

  canRead(table: string): boolean {
    return permits(this.read, table);
  }

  canWrite(table: string): boolean {
    return !this.readOnly && permits(this.write, table);
  }

  /** Throws a permission_denied ToolError for the first table not allowed. */
  check(access: { reads: Iterable<string>; writes: Iterable<string> }): void {
    for (const table of access.writes) {
      if (this.readOnly)
        throw new ToolError(
          'permission_denied',
          `Permission denied: the database is read-only for this agent (statement writes table '${table}').`,
        );
      if (!this.canWrite(table)) throw new ToolError('permission_denied', `Permission denied: cannot write table '${table}'.`);
    }
    for (const table of access.reads) {
      if (!this.canRead(table)) throw new ToolError('permission_denied', `Permission denied: cannot read table '${table}'.`);
    }
  }
}

function permits(rule: { allow: boolean; names: Set<string> } | undefined, table: string): boolean {
  if (!rule) return true;
  return rule.names.has(table.toLowerCase()) === rule.allow;
}
