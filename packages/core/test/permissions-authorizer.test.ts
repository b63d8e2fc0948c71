import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AuthorizationCheck,
  type ToolCallRequest,
  JsonFileGrantStore,
  MemoryGrantStore,
  PermissionAuthorizer,
  PermissionConfigError,
  defaultPolicy,
  hashParams,
} from '../src/permissions/index.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'mixtape-authz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function call(toolName: string, input: unknown = {}, sessionId?: string): ToolCallRequest {
  return { toolName, toolUseId: `use_${++n}`, input, paramsHash: hashParams(input), ...(sessionId ? { sessionId } : {}) };
}
const decision = (c: AuthorizationCheck) => c.decision;

describe('default policy', () => {
  it('asks when a person is there and denies otherwise', async () => {
    expect(defaultPolicy(true)).toBe('interactive');
    expect(defaultPolicy(false)).toBe('deny');
    expect(await new PermissionAuthorizer({ interactive: true }).check(call('bash'))).toEqual({ decision: 'ask' });
    const denied = await new PermissionAuthorizer().check(call('bash'));
    expect(denied).toMatchObject({ decision: 'denied' });
    expect(denied.decision === 'denied' && denied.reason).toMatch(/^No grant for tool 'bash'\. Grant it with/);
  });

  it("lets everything run once with policy 'allow'", async () => {
    expect(await new PermissionAuthorizer({ policy: 'allow' }).check(call('bash'))).toMatchObject({ decision: 'granted', scope: 'once' });
  });

  it('rejects an unknown policy and invalid rules with errors naming the problem', () => {
    expect(() => new PermissionAuthorizer({ policy: 'sometimes' as never })).toThrow(PermissionConfigError);
    expect(
      () => new PermissionAuthorizer({ rules: [{ tool: 'bash', effect: 'allow', match: { kind: 'command', prefix: 'a; b' } }] }),
    ).toThrow(/rule 0: .*prefix/);
    expect(() => new PermissionAuthorizer({ rules: [{ tool: 'x', scope: 'forever' as never }] })).toThrow(/rule 0: .*scope/);
    expect(() => new PermissionAuthorizer({ trustedTools: [''] })).toThrow(/trustedTools/);
  });
});

describe('rules and grants', () => {
  it('lets deny rules win over allow rules, trusted tools and grants, and names the rule', async () => {
    const store = new MemoryGrantStore();
    const authorizer = new PermissionAuthorizer({
      store,
      trustedTools: ['bash'],
      rules: [
        { tool: 'bash', effect: 'allow' },
        { id: 'no-rm', tool: 'bash', effect: 'deny', match: { kind: 'command', prefix: 'rm' }, reason: 'Deleting files is not allowed' },
      ],
    });
    await authorizer.grant({ tool: 'bash', scope: 'user' });
    const denied = await authorizer.check(call('bash', { command: 'ls && rm -rf /' }));
    expect(denied).toMatchObject({ decision: 'denied', grantId: 'no-rm' });
    expect(denied.decision === 'denied' && denied.reason).toMatch(
      /Deleting files is not allowed — denied by rule no-rm \(deny tool 'bash' where command starts with "rm"\)/,
    );
    expect(decision(await authorizer.check(call('bash', { command: 'ls' })))).toBe('granted');
  });

  it('lets a stored deny grant win over an allow rule', async () => {
    const authorizer = new PermissionAuthorizer({ rules: [{ tool: '*', effect: 'allow' }] });
    const g = await authorizer.grant({ tool: 'write_file', effect: 'deny', scope: 'user' });
    expect(await authorizer.check(call('write_file'))).toMatchObject({ decision: 'denied', grantId: g.id });
    expect(decision(await authorizer.check(call('read_file')))).toBe('granted');
  });

  it('grants an exact call only for the same input, in any key order', async () => {
    const authorizer = new PermissionAuthorizer();
    await authorizer.grant({ tool: 'read_file', paramsHash: hashParams({ path: 'a', lines: { from: 1, to: 2 } }), scope: 'user' });
    expect(decision(await authorizer.check(call('read_file', { lines: { to: 2, from: 1 }, path: 'a' })))).toBe('granted');
    expect(decision(await authorizer.check(call('read_file', { path: 'b', lines: { from: 1, to: 2 } })))).toBe('denied');
    expect(decision(await authorizer.check(call('write_file', { path: 'a', lines: { from: 1, to: 2 } })))).toBe('denied');
  });

  it('hashes the input itself: a wrong paramsHash in the request cannot borrow an exact grant', async () => {
    const authorizer = new PermissionAuthorizer();
    const allowed = { command: 'ls' };
    await authorizer.grant({ tool: 'bash', paramsHash: hashParams(allowed), scope: 'user' });
    const forged = { toolName: 'bash', toolUseId: 'x', input: { command: 'rm -rf /' }, paramsHash: hashParams(allowed) };
    expect(decision(await authorizer.check(forged))).toBe('denied');
  });

  it('applies argument rules: a command prefix allow rule cannot be widened by injection', async () => {
    const authorizer = new PermissionAuthorizer({ rules: [{ tool: 'bash', match: { kind: 'command', prefix: 'git status' } }] });
    expect(decision(await authorizer.check(call('bash', { command: 'git status -s' })))).toBe('granted');
    expect(decision(await authorizer.check(call('bash', { command: 'git statusx' })))).toBe('denied');
    expect(decision(await authorizer.check(call('bash', { command: 'git status; rm -rf /' })))).toBe('denied');
  });

  it('applies path rules relative to the project folder', async () => {
    const project = path.join(root, 'proj');
    const authorizer = new PermissionAuthorizer({
      project,
      rules: [{ tool: 'write_file', match: { kind: 'path', argument: 'path', glob: 'src/**' } }],
    });
    expect(decision(await authorizer.check(call('write_file', { path: 'src/a.ts' })))).toBe('granted');
    expect(decision(await authorizer.check(call('write_file', { path: path.join(project, 'src', 'b.ts') })))).toBe('granted');
    expect(decision(await authorizer.check(call('write_file', { path: 'src/../../x' })))).toBe('denied');
  });

  it('matches tool globs, so the same rules cover MCP tools', async () => {
    const authorizer = new PermissionAuthorizer({
      rules: [
        { tool: 'github_*', effect: 'allow' },
        { tool: 'github_delete_*', effect: 'deny' },
      ],
    });
    expect(decision(await authorizer.check(call('github_list_issues')))).toBe('granted');
    expect(decision(await authorizer.check(call('github_delete_repo')))).toBe('denied');
    expect(decision(await authorizer.check(call('gitlab_list')))).toBe('denied');
  });

  it('ignores expired grants and rules', async () => {
    let now = new Date('2026-06-01T12:00:00Z');
    const authorizer = new PermissionAuthorizer({ now: () => now, rules: [{ tool: 'a', expiresAt: '2026-06-01T12:30:00Z' }] });
    await authorizer.grant({ tool: 'b', scope: 'user', expiresAt: new Date('2026-06-01T13:00:00Z') });
    await authorizer.grant({ tool: 'c', effect: 'deny', scope: 'user', expiresAt: new Date('2026-06-01T12:10:00Z') });
    await authorizer.grant({ tool: 'c', scope: 'user' });
    expect(decision(await authorizer.check(call('a')))).toBe('granted');
    expect(decision(await authorizer.check(call('b')))).toBe('granted');
    expect(decision(await authorizer.check(call('c')))).toBe('denied');
    now = new Date('2026-06-01T12:45:00Z');
    expect(decision(await authorizer.check(call('a')))).toBe('denied');
    expect(decision(await authorizer.check(call('b')))).toBe('granted');
    expect(decision(await authorizer.check(call('c')))).toBe('granted'); // the deny expired
    now = new Date('2026-06-01T13:00:00Z');
    expect(decision(await authorizer.check(call('b')))).toBe('denied');
  });
});

describe('scopes', () => {
  it('applies a session grant only in its session', async () => {
    const store = new MemoryGrantStore();
    const authorizer = new PermissionAuthorizer({ store, sessionId: 's1' });
    await authorizer.record(call('bash', { command: 'ls' }), { action: 'tool' });
    expect(await authorizer.check(call('bash', { command: 'pwd' }))).toMatchObject({ decision: 'granted', scope: 'session' });
    expect(decision(await authorizer.check(call('bash', {}, 's2')))).toBe('denied');
    // Another authorizer (another run) on the same store, in another session.
    expect(decision(await new PermissionAuthorizer({ store, sessionId: 's3' }).check(call('bash')))).toBe('denied');
    // The session of the call, when given, wins over the authorizer's.
    await authorizer.record(call('grep', {}, 's9'), { action: 'tool' });
    expect(decision(await authorizer.check(call('grep', {}, 's9')))).toBe('granted');
    expect(decision(await authorizer.check(call('grep')))).toBe('denied');
  });

  it('applies a project grant in its project and its subfolders only, across sessions', async () => {
    const store = new JsonFileGrantStore(path.join(root, 'project-scope', 'grants.json'));
    const projectA = path.join(root, 'a');
    await new PermissionAuthorizer({ store, project: projectA }).record(call('write_file'), { action: 'tool', scope: 'project' });
    expect(await new PermissionAuthorizer({ store, project: projectA }).check(call('write_file'))).toMatchObject({
      decision: 'granted',
      scope: 'project',
    });
    expect(decision(await new PermissionAuthorizer({ store, project: path.join(projectA, 'sub') }).check(call('write_file')))).toBe(
      'granted',
    );
    expect(decision(await new PermissionAuthorizer({ store, project: path.join(root, 'b') }).check(call('write_file')))).toBe('denied');
    expect(decision(await new PermissionAuthorizer({ store, project: `${projectA}-other` }).check(call('write_file')))).toBe('denied');
  });

  it('applies a user grant everywhere', async () => {
    const store = new MemoryGrantStore();
    await new PermissionAuthorizer({ store, project: '/p1', sessionId: 's1' }).record(call('fetch'), { action: 'tool', scope: 'user' });
    expect(decision(await new PermissionAuthorizer({ store, project: '/p2', sessionId: 's2' }).check(call('fetch')))).toBe('granted');
  });

  it('does not apply a scoped grant that names no session or project (fail closed)', async () => {
    const store = new MemoryGrantStore();
    await store.save({ tool: 'bash', scope: 'session' });
    await store.save({ tool: 'bash', scope: 'project' });
    expect(decision(await new PermissionAuthorizer({ store }).check(call('bash')))).toBe('denied');
  });
});

describe('recording answers', () => {
  it("'once' remembers nothing, 'exact' remembers the input, 'tool' the whole tool", async () => {
    const authorizer = new PermissionAuthorizer({ interactive: true });
    await authorizer.record(call('a', { x: 1 }), { action: 'once' });
    expect(decision(await authorizer.check(call('a', { x: 1 })))).toBe('ask');
    await authorizer.record(call('b', { x: 1 }), { action: 'exact' });
    expect(decision(await authorizer.check(call('b', { x: 1 })))).toBe('granted');
    expect(decision(await authorizer.check(call('b', { x: 2 })))).toBe('ask');
    await authorizer.record(call('c', { x: 1 }), { action: 'tool' });
    expect(decision(await authorizer.check(call('c', { x: 2 })))).toBe('granted');
    expect((await authorizer.grants()).map((g) => [g.tool, g.scope, g.paramsHash !== undefined, g.createdBy])).toEqual([
      ['b', 'session', true, 'user'],
      ['c', 'session', false, 'user'],
    ]);
  });

  it("'deny' with a scope remembers a deny grant; without one it only audits", async () => {
    const authorizer = new PermissionAuthorizer({ interactive: true });
    await authorizer.record(call('a'), { action: 'deny', reason: 'no' });
    expect(decision(await authorizer.check(call('a')))).toBe('ask');
    await authorizer.record(call('a'), { action: 'deny', reason: 'never', scope: 'user' });
    const check = await authorizer.check(call('a'));
    expect(check.decision === 'denied' && check.reason).toMatch(/^never — denied by grant/);
    await authorizer.record(call('b', { x: 1 }), { action: 'deny', scope: 'session', exact: true });
    expect(decision(await authorizer.check(call('b', { x: 1 })))).toBe('denied');
    expect(decision(await authorizer.check(call('b', { x: 2 })))).toBe('ask');
  });

  it('does not remember a timeout or cancellation as a deny grant', async () => {
    const authorizer = new PermissionAuthorizer({ interactive: true });
    await authorizer.record(call('a'), { action: 'deny', reason: 'Approval timed out after 300 s', origin: 'timeout', scope: 'user' });
    expect(decision(await authorizer.check(call('a')))).toBe('ask');
    expect((await authorizer.auditLog({ tool: 'a' }))[0]).toMatchObject({
      decision: 'denied',
      by: 'system',
      reason: 'Approval timed out after 300 s',
    });
  });

  it('revokes a grant', async () => {
    const authorizer = new PermissionAuthorizer();
    const g = await authorizer.grant({ tool: 'a' });
    expect(decision(await authorizer.check(call('a')))).toBe('granted');
    expect(await authorizer.revoke(g.id)).toBe(true);
    expect(decision(await authorizer.check(call('a')))).toBe('denied');
  });

  it('reports a store failure on record instead of throwing', async () => {
    const errors: Error[] = [];
    const store = new MemoryGrantStore();
    store.save = async () => {
      throw new Error('disk full');
    };
    const authorizer = new PermissionAuthorizer({ store, onStoreError: (e) => errors.push(e) });
    await expect(authorizer.record(call('a'), { action: 'tool' })).resolves.toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual(['disk full']);
  });
});

describe('audit log', () => {
  it('records every decision: who, what, when and why', async () => {
    const store = new MemoryGrantStore();
    const authorizer = new PermissionAuthorizer({
      store,
      interactive: true,
      sessionId: 's1',
      project: '/work/p',
      trustedTools: ['read_*'],
      rules: [{ id: 'no-env', tool: '*', effect: 'deny', match: { kind: 'path', argument: 'path', glob: '**/.env' } }],
    });
    const before = Date.now();
    const c1 = call('read_file', { path: 'a.txt' });
    const c2 = call('read_file', { path: 'app/.env' });
    const c3 = call('bash', { command: 'make' });
    const c4 = call('bash', { command: 'make' });
    await authorizer.check(c1);
    await authorizer.check(c2);
    await authorizer.check(c3);
    await authorizer.record(c3, { action: 'tool', scope: 'project' });
    await authorizer.check(c4);
    const log = await store.auditLog();
    expect(log.map((e) => [e.toolUseId, e.decision, e.by, e.scope])).toEqual([
      [c1.toolUseId, 'granted', 'rule', 'user'],
      [c2.toolUseId, 'denied', 'rule', undefined],
      [c3.toolUseId, 'ask', 'policy', undefined],
      [c3.toolUseId, 'granted', 'user', 'project'],
      [c4.toolUseId, 'granted', 'grant', 'project'],
    ]);
    expect(log[1]).toMatchObject({
      tool: 'read_file',
      paramsHash: c2.paramsHash,
      grantId: 'no-env',
      sessionId: 's1',
      project: path.resolve('/work/p'),
    });
    expect(log[1]?.reason).toMatch(/no-env/);
    expect(log[3]?.grantId).toBe(log[4]?.grantId);
    for (const e of log) expect(e.at.getTime()).toBeGreaterThanOrEqual(before);
  });
});
