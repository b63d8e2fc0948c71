import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Agent, GrantStoreError, PermissionAuthorizer, hashParams, tool } from '@mixtape/core';
import { ScriptedModel, runGrantStoreConformance } from '@mixtape/core/testing';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteGrantStore, SqliteSessionStore } from '../src/index.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'mixtape-sqlite-grants-'));
const opened: SqliteGrantStore[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
  rmSync(root, { recursive: true, force: true });
});
let counter = 0;
const freshPath = () => path.join(root, `case-${++counter}`, 'grants.db');
const open = (file: string) => {
  const store = new SqliteGrantStore(file);
  opened.push(store);
  return store;
};

runGrantStoreConformance('SqliteGrantStore', () => open(freshPath()));

describe('SqliteGrantStore', () => {
  it('persists grants and the audit log across store instances', async () => {
    const file = freshPath();
    const first = open(file);
    const grant = await first.save({
      tool: 'bash',
      scope: 'project',
      project: '/p',
      match: { kind: 'command', prefix: ['git', 'status'] },
      expiresAt: new Date('2030-01-01T00:00:00.000Z'),
    });
    await first.audit({
      at: new Date(),
      tool: 'bash',
      toolUseId: 'u1',
      paramsHash: 'h',
      decision: 'granted',
      scope: 'project',
      by: 'user',
      grantId: grant.id,
    });
    await first.close();
    const second = open(file);
    expect(await second.list()).toEqual([grant]);
    expect((await second.auditLog()).map((e) => [e.toolUseId, e.grantId])).toEqual([['u1', grant.id]]);
  });

  it('lets an authorizer in a later run use the grant a person gave in an earlier run', async () => {
    const file = freshPath();
    const project = path.join(root, 'project');
    const input = { path: 'README.md' };
    const request = { toolName: 'read_file', toolUseId: 'u1', input, paramsHash: hashParams(input) };
    const run1 = new PermissionAuthorizer({ store: open(file), project, interactive: true });
    expect((await run1.check(request)).decision).toBe('ask');
    await run1.record(request, { action: 'exact', scope: 'project' });
    const run2 = new PermissionAuthorizer({ store: open(file), project, interactive: true });
    expect(await run2.check({ ...request, toolUseId: 'u2' })).toMatchObject({ decision: 'granted', scope: 'project' });
    expect(
      (await run2.check({ ...request, toolUseId: 'u3', input: { path: 'other' }, paramsHash: hashParams({ path: 'other' }) })).decision,
    ).toBe('ask');
    expect((await run2.auditLog()).map((e) => [e.toolUseId, e.decision, e.by])).toEqual([
      ['u1', 'ask', 'policy'],
      ['u1', 'granted', 'user'],
      ['u2', 'granted', 'grant'],
      ['u3', 'ask', 'policy'],
    ]);
  });

  it('sees writes of another connection at once (two processes on one file)', async () => {
    const file = freshPath();
    const a = open(file);
    const b = open(file);
    const saved = await a.save({ tool: 'x', scope: 'user' });
    expect((await b.list()).map((g) => g.id)).toEqual([saved.id]);
    expect(await b.delete(saved.id)).toBe(true);
    expect(await a.list()).toEqual([]);
  });

  it('uses WAL, creates indexes, and can share one database file with the session store', async () => {
    const file = freshPath();
    const sessions = new SqliteSessionStore(file);
    const grants = open(file);
    await grants.save({ tool: 'x', scope: 'user' });
    const session = await sessions.getOrCreateSession();
    expect(session.id).toBeTruthy();
    await sessions.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const indexes = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('grants', 'grant_audit')").all() as {
          name: string;
        }[]
      ).map((r) => r.name);
      expect(indexes).toEqual(expect.arrayContaining(['grants_tool', 'grant_audit_at', 'grant_audit_tool']));
      expect((db.prepare('SELECT COUNT(*) AS n FROM grants').get() as { n: number }).n).toBe(1);
    } finally {
      db.close();
    }
  });

  it('accepts an open database and leaves closing it to the caller', async () => {
    const db = new Database(':memory:');
    const store = new SqliteGrantStore(db);
    await store.save({ tool: 'x', scope: 'user' });
    await store.close();
    expect(db.open).toBe(true);
    expect((await new SqliteGrantStore(db).list()).length).toBe(1);
    db.close();
  });

  it('reports a file that is not a database with a clear error', () => {
    const file = path.join(root, 'not-a-db.db');
    writeFileSync(file, 'this is not a SQLite database, just text that is long enough to have a header........');
    expect(() => new SqliteGrantStore(file)).toThrow(GrantStoreError);
    expect(() => new SqliteGrantStore(file)).toThrow(/not a SQLite database|move it away/);
  });

  it('refuses a database written by a newer schema', () => {
    const file = freshPath();
    open(file);
    const db = new Database(file);
    db.prepare("INSERT INTO schema_migrations (component, version, name, applied_at) VALUES ('grants', 99, 'future', 0)").run();
    db.close();
    expect(() => new SqliteGrantStore(file)).toThrow(/newer than this/);
  });
});

describe('SqliteGrantStore with an Agent and a SQLite session store in one file', () => {
  const echo = tool({ name: 'echo', description: 'Echoes', input: z.object({ text: z.string() }), execute: ({ text }) => text });

  it("binds a person's session grant to the agent's session: resumed sessions keep it, other sessions ask", async () => {
    const file = freshPath();
    const sessions = new SqliteSessionStore(file);
    const grants = open(file);
    const asked: string[] = [];
    const makeAgent = (sessionId: string | undefined, answer: 'tool' | 'deny') => {
      const agent = new Agent({
        model: new ScriptedModel().toolUse('echo', { text: 'hi' }).text('done'),
        tools: [echo],
        sessionStore: sessions,
        ...(sessionId ? { sessionId } : {}),
        grantStore: grants,
        interactive: true,
      });
      agent.addHook((e) => {
        if (e.type === 'permission_required') {
          asked.push(sessionId ?? 'first');
          agent.respondToPermission(e.proposalId, answer === 'tool' ? { action: 'tool' } : { action: 'deny', reason: 'not here' });
        }
      });
      return agent;
    };

    const first = makeAgent(undefined, 'tool');
    const run1 = await first.run('say hi');
    expect(run1.toolCalls[0]?.success).toBe(true);
    const sessionId = first.sessionInfo()!.id;
    const [grant] = await grants.list();
    expect(grant).toMatchObject({ tool: 'echo', scope: 'session', sessionId, createdBy: 'user' });

    // A new Agent (a later process) resuming the same session runs the tool without asking.
    expect((await makeAgent(sessionId, 'deny').run('again')).toolCalls[0]?.success).toBe(true);
    // Another session is asked, and the person's denial reaches the model.
    const other = await makeAgent('another-session', 'deny').run('elsewhere');
    expect(other.toolCalls[0]?.success).toBe(false);
    expect(asked).toEqual(['first', 'another-session']);

    const log = await grants.auditLog();
    expect(log.map((e) => [e.decision, e.by, e.sessionId === sessionId ? 'same' : e.sessionId])).toEqual([
      ['ask', 'policy', 'same'],
      ['granted', 'user', 'same'],
      ['granted', 'grant', 'same'],
      ['ask', 'policy', 'another-session'],
      ['denied', 'user', 'another-session'],
    ]);
    await sessions.close();
  });
});
