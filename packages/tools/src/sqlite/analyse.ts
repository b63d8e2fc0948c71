/**
 * Which tables an SQL statement reads and writes.
 *
 * better-sqlite3 does not expose sqlite3_set_authorizer, so two sources are combined:
 * - node-sql-parser (SQLite dialect) names the tables of SELECT/INSERT/UPDATE/DELETE and of
 *   CREATE/ALTER/DROP TABLE, including subqueries, joins and INSERT … SELECT sources;
 * - SQLite itself: `EXPLAIN` of the prepared statement lists the b-trees the bytecode opens
 *   (OpenRead → read; OpenWrite, Clear, Destroy → write), mapped to tables through
 *   sqlite_schema's root pages. This sees what the parser cannot: the tables behind a view, and
 *   the tables triggers write.
 * DDL whose target the parser misses (CREATE INDEX/TRIGGER, DROP INDEX/TRIGGER/VIEW) is checked
 * after it runs inside a savepoint by comparing sqlite_schema before and after
 * ({@link schemaChanges}); the savepoint is rolled back when a change is not allowed.
 * @module
 */
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import type { Parser as SqlParser } from 'node-sql-parser';
import { ToolError } from '../errors.js';

let parser: SqlParser | undefined;
/** node-sql-parser, loaded on first use (it takes most of a second to load). */
function sqlParser(): SqlParser {
  parser ??= new (createRequire(import.meta.url)('node-sql-parser') as { Parser: new () => SqlParser }).Parser();
  return parser;
}

/** Tables a statement touches. */
export interface TableAccess {
  reads: Set<string>;
  writes: Set<string>;
  /** SQLite says the statement does not write the database (sqlite3_stmt_readonly). */
  readonly: boolean;
  /** First keyword, upper-case (SELECT, INSERT, CREATE, PRAGMA, …). */
  keyword: string;
  /** node-sql-parser understood the statement. */
  parsed: boolean;
}

/** Parameters bound to a statement: positional or named. */
export type SqlParams = unknown[] | Record<string, unknown>;

const DDL = new Set(['CREATE', 'DROP', 'ALTER']);

/** The first keyword of `sql`, skipping comments and whitespace. */
export function firstKeyword(sql: string): string {
  const stripped = sql.replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/, '');
  return (/^[A-Za-z]+/.exec(stripped)?.[0] ?? '').toUpperCase();
}

/** True for CREATE/DROP/ALTER. */
export function isDdl(keyword: string): boolean {
  return DDL.has(keyword);
}

/** Tables named by node-sql-parser, or null when it cannot parse the SQL. */
export function parserTables(sql: string): { reads: string[]; writes: string[] } | null {
  let list: string[];
  try {
    list = sqlParser().tableList(sql, { database: 'sqlite' });
  } catch {
    return null;
  }
  const reads: string[] = [];
  const writes: string[] = [];
  for (const entry of list) {
    const [op, , table] = entry.split('::');
    if (!op || !table) continue;
    if (op.toLowerCase() === 'select') reads.push(table);
    else writes.push(table);
  }
  return { reads, writes };
}

interface SchemaObject {
  type: string;
  name: string;
  tbl_name: string;
  rootpage: number;
  sql: string | null;
}

/** sqlite_schema of the main and temp databases. */
export function readSchema(db: Database.Database): { main: SchemaObject[]; temp: SchemaObject[] } {
  const main = db.prepare('SELECT type, name, tbl_name, rootpage, sql FROM main.sqlite_schema').all() as SchemaObject[];
  const temp = db.prepare('SELECT type, name, tbl_name, rootpage, sql FROM temp.sqlite_schema').all() as SchemaObject[];
  return { main, temp };
}

function bindArgs(params: SqlParams | undefined): unknown[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? params : [params];
}

/** Tables opened by the statement's bytecode, from `EXPLAIN`. */
function explainTables(db: Database.Database, sql: string, params: SqlParams | undefined): { reads: string[]; writes: string[] } {
  const rows = db.prepare(`EXPLAIN ${sql}`).all(...bindArgs(params)) as {
    opcode: string;
    p1: number;
    p2: number;
    p3: number;
    p4: unknown;
  }[];
  const schema = readSchema(db);
  const byRoot = (dbIndex: number, root: number): string | undefined => {
    if (root <= 1) return undefined; // 1 is sqlite_schema itself: every DDL writes it
    const objects = dbIndex === 1 ? schema.temp : dbIndex === 0 ? schema.main : [];
    return objects.find((o) => o.rootpage === root)?.tbl_name;
  };
  const byName = (name: unknown): string | undefined => {
    if (typeof name !== 'string') return undefined;
    return [...schema.main, ...schema.temp].find((o) => o.name.toLowerCase() === name.toLowerCase())?.tbl_name;
  };
  const reads: string[] = [];
  const writes: string[] = [];
  const push = (list: string[], table: string | undefined): void => {
    if (table !== undefined) list.push(table);
  };
  for (const row of rows) {
    switch (row.opcode) {
      case 'OpenRead':
      case 'ReopenIdx':
        push(reads, byRoot(row.p3, row.p2));
        break;
      case 'OpenWrite':
        push(writes, byRoot(row.p3, row.p2));
        break;
      case 'Clear':
        push(writes, byRoot(row.p2, row.p1));
        break;
      case 'Destroy':
        push(writes, byRoot(row.p3, row.p1));
        break;
      case 'DropTable':
      case 'DropIndex':
      case 'DropTrigger':
        push(writes, byName(row.p4));
        break;
      default:
        break;
    }
  }
  return { reads, writes };
}

/**
 * Prepares `sql` (one statement) and works out which tables it reads and writes.
 * @throws ToolError kind 'sql' when SQLite rejects the statement.
 */
export function analyseStatement(
  db: Database.Database,
  sql: string,
  params?: SqlParams,
): { statement: Database.Statement; access: TableAccess } {
  let statement: Database.Statement;
  try {
    statement = db.prepare(sql);
  } catch (error) {
    throw new ToolError('sql', `SQLite error: ${(error as Error).message}`, { cause: error });
  }
  const keyword = firstKeyword(sql);
  const fromParser = parserTables(sql);
  const existing = new Set([...readSchema(db).main, ...readSchema(db).temp].map((o) => o.name.toLowerCase()));
  const reads = new Set<string>();
  const writes = new Set<string>();
  if (fromParser) {
    // A read of a name that is no schema object is a CTE name; SQLite would reject a missing table.
    for (const t of fromParser.reads) if (existing.has(t.toLowerCase()) || /^sqlite_(master|schema)$/i.test(t)) reads.add(t);
    for (const t of fromParser.writes) writes.add(t);
  }
  let fromExplain: { reads: string[]; writes: string[] };
  try {
    fromExplain = explainTables(db, sql, params);
  } catch (error) {
    throw new ToolError('sql', `SQLite error: ${(error as Error).message}`, { cause: error });
  }
  for (const t of fromExplain.reads) reads.add(t);
  for (const t of fromExplain.writes) writes.add(t);
  if (isDdl(keyword)) {
    // Changing a table's schema (an index on it, …) is a write of that table.
    for (const t of reads) writes.add(t);
  }
  return { statement, access: { reads, writes, readonly: statement.readonly, keyword, parsed: fromParser !== null } };
}

/** Tables whose schema objects differ between two snapshots of sqlite_schema. */
export function schemaChanges(before: ReturnType<typeof readSchema>, after: ReturnType<typeof readSchema>): Set<string> {
  const key = (o: SchemaObject): string => `${o.type}\u0000${o.name.toLowerCase()}`;
  const changed = new Set<string>();
  for (const [b, a] of [
    [before.main, after.main],
    [before.temp, after.temp],
  ] as const) {
    const beforeMap = new Map(b.map((o) => [key(o), o]));
    const afterMap = new Map(a.map((o) => [key(o), o]));
    for (const [k, o] of afterMap) {
      const old = beforeMap.get(k);
      if (!old || old.sql !== o.sql || old.tbl_name !== o.tbl_name) {
        changed.add(o.tbl_name);
        if (old) changed.add(old.tbl_name);
      }
    }
    for (const [k, o] of beforeMap) if (!afterMap.has(k)) changed.add(o.tbl_name);
  }
  return changed;
}
