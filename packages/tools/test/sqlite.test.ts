import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_TABLE, SqliteConfigError, sqliteTools, type SqliteToolsConfig } from '../src/index.js';
import { byName, call, tempDir } from './helpers.js';

let db: Database.Database;
let cleanup: () => Promise<void>;
let file: string;

beforeEach(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  file = path.join(t.dir, 'app.db');
  db = new Database(file);
  db.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, avatar BLOB);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), total REAL);
    CREATE TABLE secrets (id INTEGER PRIMARY KEY, value TEXT);
    CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);
    CREATE VIEW user_secrets AS SELECT u.name, s.value FROM users u JOIN secrets s ON s.id = u.id;
    CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN INSERT INTO audit (what) VALUES ('order'); END;
    INSERT INTO users (name, email, avatar) VALUES ('ada', 'ada@example.com', x'0102'), ('bob', 'bob@example.com', NULL);
    INSERT INTO secrets (value) VALUES ('s1');
  `);
});
afterEach(async () => {
  db.close();
  await cleanup();
});

const tools = (config?: SqliteToolsConfig) => sqliteTools(db, config);
const run = (config: SqliteToolsConfig | undefined, name: string, input: unknown) => call(byName(tools(config), name), input);

describe('sqlite tools without restrictions', () => {
  it('query returns columns and rows as JSON, blobs as base64, with params and limits', async () => {
    expect(await run(undefined, 'sqlite_query', { sql: 'SELECT id, name, avatar FROM users WHERE id = ?', params: [1] })).toEqual({
      columns: ['id', 'name', 'avatar'],
      rows: [[1, 'ada', 'AQI=']],
      row_count: 1,
    });
    expect(await run(undefined, 'sqlite_query', { sql: 'SELECT name FROM users ORDER BY id', limit: 1 })).toEqual({
      columns: ['name'],
      rows: [['ada']],
      row_count: 1,
      truncated: true,
      next_offset: 1,
    });
    expect(await run(undefined, 'sqlite_query', { sql: 'SELECT name FROM users WHERE name = :n', params: { n: 'bob' } })).toMatchObject({
      rows: [['bob']],
    });
  });

  it('query refuses statements that would write (SQLite decides, not a prefix check)', async () => {
    for (const sql of ["INSERT INTO users (name) VALUES ('x')", 'WITH x AS (SELECT 1) DELETE FROM users', 'DROP TABLE users']) {
      await expect(run(undefined, 'sqlite_query', { sql })).rejects.toThrow(/only runs read-only statements/);
    }
    expect((db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n).toBe(2);
  });

  it('execute runs writes and DDL, binding JSON values', async () => {
    expect(
      await run(undefined, 'sqlite_execute', { sql: 'INSERT INTO users (name, email) VALUES (?, ?)', params: ['cy', { tags: [1] }] }),
    ).toEqual({ status: 'success', rows_affected: 1, last_insert_rowid: 3 });
    expect(db.prepare('SELECT email FROM users WHERE id = 3').get()).toEqual({ email: '{"tags":[1]}' });
    expect(await run(undefined, 'sqlite_execute', { sql: 'UPDATE users SET name = upper(name) RETURNING id, name' })).toMatchObject({
      row_count: 3,
    });
    expect(await run(undefined, 'sqlite_execute', { sql: 'CREATE INDEX users_name ON users(name)' })).toMatchObject({
      status: 'success',
      message: 'Schema changed',
    });
    await expect(run(undefined, 'sqlite_execute', { sql: 'SELECT 1; DROP TABLE users' })).rejects.toThrow(/more than one statement/);
    await expect(run(undefined, 'sqlite_execute', { sql: "ATTACH 'other.db' AS o" })).rejects.toThrow(/ATTACH statements are not allowed/);
    await expect(run(undefined, 'sqlite_execute', { sql: 'INSERT INTO nope VALUES (1)' })).rejects.toThrow(
      /SQLite error: no such table: nope/,
    );
  });

  it('list, describe and schema', async () => {
    expect(await run(undefined, 'sqlite_list_tables', {})).toEqual({
      tables: [
        { name: 'audit', type: 'table' },
        { name: 'orders', type: 'table' },
        { name: 'secrets', type: 'table' },
        { name: 'users', type: 'table' },
        { name: 'user_secrets', type: 'view' },
      ],
      count: 5,
    });
    const users = (await run(undefined, 'sqlite_describe_table', { table: 'users' })) as Record<string, unknown>;
    expect(users.columns).toEqual([
      { name: 'id', type: 'INTEGER', nullable: true, default: null, primary_key: true },
      { name: 'name', type: 'TEXT', nullable: false, default: null, primary_key: false },
      { name: 'email', type: 'TEXT', nullable: true, default: null, primary_key: false },
      { name: 'avatar', type: 'BLOB', nullable: true, default: null, primary_key: false },
    ]);
    expect(users.row_count).toBe(2);
    expect(users.indexes).toEqual([{ name: 'sqlite_autoindex_users_1', unique: true, columns: ['email'] }]);
    expect(((await run(undefined, 'sqlite_describe_table', { table: 'orders' })) as Record<string, unknown>).foreign_keys).toEqual([
      { column: 'user_id', references: 'users(id)' },
    ]);
    await expect(run(undefined, 'sqlite_describe_table', { table: 'nope' })).rejects.toThrow(/No table or view named 'nope'/);
    const schema = (await run(undefined, 'sqlite_schema', {})) as string;
    expect(schema).toContain('-- table users\nCREATE TABLE users');
    expect(schema).toContain('-- trigger orders_audit');
  });
});

describe('read-only mode', () => {
  it('offers only the reading tools and still refuses writes through query', async () => {
    const names = tools({ readOnly: true }).map((t) => t.name);
    expect(names).toEqual(['sqlite_query', 'sqlite_list_tables', 'sqlite_describe_table', 'sqlite_schema', 'sqlite_list_migrations']);
    await expect(run({ readOnly: true }, 'sqlite_query', { sql: 'DELETE FROM users' })).rejects.toThrow(/read-only/);
    expect(await run({ readOnly: true }, 'sqlite_list_migrations', {})).toMatchObject({ total: 0 });
    expect(db.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE name = '${MIGRATIONS_TABLE}'`).get()).toEqual({ n: 0 });
  });
});

describe('per-table permissions', () => {
  const denySecrets: SqliteToolsConfig = { read: { deny: ['secrets'] }, write: { deny: ['secrets'] } };

  it('refuses reading a denied table directly, in a join, a subquery, a CTE and through a view', async () => {
    for (const sql of [
      'SELECT * FROM secrets',
      'SELECT u.name FROM users u JOIN secrets s ON s.id = u.id',
      'SELECT name FROM users WHERE id IN (SELECT id FROM secrets)',
      'WITH s AS (SELECT * FROM SECRETS) SELECT * FROM s',
      'SELECT * FROM user_secrets',
    ]) {
      await expect(run(denySecrets, 'sqlite_query', { sql }), sql).rejects.toThrow(
        /Permission denied: cannot read table '(secrets|SECRETS)'/,
      );
    }
    expect(await run(denySecrets, 'sqlite_query', { sql: 'SELECT name FROM users' })).toMatchObject({ row_count: 2 });
  });

  it('refuses writes and DDL on a denied table, including indexes, triggers and drops', async () => {
    for (const sql of [
      "INSERT INTO secrets (value) VALUES ('x')",
      "UPDATE secrets SET value = 'x'",
      'DELETE FROM secrets',
      'DROP TABLE secrets',
      'ALTER TABLE secrets ADD COLUMN extra TEXT',
      'ALTER TABLE secrets RENAME TO public_now',
      'CREATE INDEX secrets_value ON secrets(value)',
      'CREATE TRIGGER t AFTER DELETE ON users BEGIN DELETE FROM secrets; END',
      'CREATE TRIGGER t2 AFTER INSERT ON secrets BEGIN SELECT 1; END',
    ]) {
      await expect(run(denySecrets, 'sqlite_execute', { sql }), sql).rejects.toThrow(/Permission denied/);
    }
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE tbl_name = 'secrets' ORDER BY name").all()).toEqual([{ name: 'secrets' }]);
    expect(db.prepare('SELECT value FROM secrets').all()).toEqual([{ value: 's1' }]);
  });

  it('sees writes that triggers make: inserting into orders writes audit', async () => {
    const config: SqliteToolsConfig = { write: { allow: ['orders'] } };
    await expect(run(config, 'sqlite_execute', { sql: 'INSERT INTO orders (user_id, total) VALUES (1, 9.5)' })).rejects.toThrow(
      /cannot write table 'audit'/,
    );
    expect(
      await run({ write: { allow: ['orders', 'audit'] } }, 'sqlite_execute', {
        sql: 'INSERT INTO orders (user_id, total) VALUES (1, 9.5)',
      }),
    ).toMatchObject({ rows_affected: 1 });
  });

  it('DDL on an index or trigger of a denied table is refused even when the parser cannot read the statement', async () => {
    db.exec('CREATE INDEX secrets_idx ON secrets(value)');
    await expect(run(denySecrets, 'sqlite_execute', { sql: 'DROP INDEX secrets_idx' })).rejects.toThrow(/cannot write table 'secrets'/);
    await expect(run(denySecrets, 'sqlite_execute', { sql: 'DROP VIEW user_secrets' })).resolves.toMatchObject({ status: 'success' });
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'secrets_idx'").get()).toEqual({ n: 1 });
  });

  it('an allow list hides other tables from list/describe/schema', async () => {
    const config: SqliteToolsConfig = { read: { allow: ['users'] } };
    expect(await run(config, 'sqlite_list_tables', {})).toEqual({ tables: [{ name: 'users', type: 'table' }], count: 1 });
    await expect(run(config, 'sqlite_describe_table', { table: 'secrets' })).rejects.toThrow(/cannot read table 'secrets'/);
    expect(await run(config, 'sqlite_schema', {})).not.toContain('secrets');
    await expect(run(config, 'sqlite_query', { sql: 'SELECT sql FROM sqlite_schema' })).rejects.toThrow(
      /cannot read table 'sqlite_schema'/,
    );
  });

  it('rejects an empty deny list', () => {
    expect(() => tools({ write: { deny: [] } })).toThrow(SqliteConfigError);
  });
});

describe('migrations', () => {
  it('adds, lists and runs migrations in order, each in a transaction, with checksums', async () => {
    const add = (name: string, sql: string, version: string) => run(undefined, 'sqlite_add_migration', { name, sql, version });
    expect(await add('tags', 'CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);', '001')).toMatchObject({
      status: 'pending',
      version: '001',
    });
    await add('seed tags', "INSERT INTO tags (label) VALUES ('a'), ('b');", '002');
    expect(await run(undefined, 'sqlite_list_migrations', { filter: 'pending' })).toMatchObject({
      total: 2,
      pending_count: 2,
      migrations: [{ version: '001' }, { version: '002' }],
    });
    expect(await run(undefined, 'sqlite_run_migrations', {})).toEqual({ status: 'success', applied: ['001', '002'], applied_count: 2 });
    expect(db.prepare('SELECT count(*) AS n FROM tags').get()).toEqual({ n: 2 });
    expect(await run(undefined, 'sqlite_run_migrations', {})).toEqual({ status: 'success', applied: [], applied_count: 0 });
    await expect(add('dup', 'SELECT 1', '001')).rejects.toThrow(/already exists/);
  });

  it('stops at a failing migration and rolls it back', async () => {
    const add = (sql: string, version: string) => run(undefined, 'sqlite_add_migration', { name: `m${version}`, sql, version });
    await add('CREATE TABLE a (x);', '1');
    await add('CREATE TABLE b (x); INSERT INTO nope VALUES (1);', '2');
    await add('CREATE TABLE c (x);', '3');
    await expect(run(undefined, 'sqlite_run_migrations', {})).rejects.toThrow(
      /Migration '2' \(m2\) failed and was rolled back: SQLite error: no such table: nope.*Applied before it: 1/,
    );
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE name IN ('a','b','c') ORDER BY name").all()).toEqual([{ name: 'a' }]);
  });

  it('refuses to run when a stored migration was changed after it was added', async () => {
    await run(undefined, 'sqlite_add_migration', { name: 'x', sql: 'CREATE TABLE x (a);', version: '1' });
    db.prepare(`UPDATE ${MIGRATIONS_TABLE} SET sql = 'DROP TABLE users;'`).run();
    await expect(run(undefined, 'sqlite_run_migrations', {})).rejects.toThrow(/checksum mismatch for '1'/);
    expect(await run(undefined, 'sqlite_list_migrations', {})).toMatchObject({ migrations: [{ checksum_ok: false }] });
  });

  it('applies table permissions to migrations, DDL included', async () => {
    const config: SqliteToolsConfig = { write: { deny: ['secrets'] } };
    await expect(run(config, 'sqlite_add_migration', { name: 'drop', sql: 'DROP TABLE secrets;' })).rejects.toThrow(
      /cannot write table 'secrets'/,
    );
    await run(undefined, 'sqlite_add_migration', { name: 'idx', sql: 'CREATE INDEX si ON secrets(value);', version: '9' });
    await expect(run(config, 'sqlite_run_migrations', {})).rejects.toThrow(/cannot write table 'secrets'/);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'si'").get()).toEqual({ n: 0 });
    await expect(run(undefined, 'sqlite_execute', { sql: `DELETE FROM ${MIGRATIONS_TABLE}` })).rejects.toThrow(
      /managed by the migration tools/,
    );
  });

  it('opens a database from a path', async () => {
    const fromPath = sqliteTools(file);
    expect(await call(byName(fromPath, 'sqlite_query'), { sql: 'SELECT count(*) AS n FROM users' })).toMatchObject({ rows: [[2]] });
  });
});
