/**
 * `runGrantStoreConformance`: one behavioural suite (vitest) that every {@link GrantStore} must
 * pass. Mixtape runs it against the memory, JSON file and SQLite stores.
 * @module
 */
import { requireVitest } from './vitest-runtime.js';
import { hashParams } from '../permissions/canonical-json.js';
import { type AuditEntry, type GrantStore, GrantStoreError } from '../permissions/grant.js';

/** Options of {@link runGrantStoreConformance}. */
export interface GrantStoreConformanceOptions {
  /** Runs once after the suite (close databases, remove temporary files). */
  cleanup?: () => void | Promise<void>;
}

/** Registers the grant store suite. `makeStore` must return a new, empty store each call. */
export function runGrantStoreConformance(
  name: string,
  makeStore: () => GrantStore | Promise<GrantStore>,
  options: GrantStoreConformanceOptions = {},
): void {
  const { afterAll, describe, expect, it } = requireVitest('runGrantStoreConformance');
  describe(`GrantStore conformance: ${name}`, () => {
    if (options.cleanup) afterAll(options.cleanup);

    it('saves a grant with an id and creation time, and lists it back with every field', async () => {
      const store = await makeStore();
      const expiresAt = new Date(Date.now() + 60_000);
      const hash = hashParams({ path: 'a.txt' });
      const saved = await store.save({
        tool: 'read_file',
        paramsHash: hash,
        match: { kind: 'path', argument: 'path', glob: 'src/**' },
        effect: 'deny',
        scope: 'project',
        project: '/work/project',
        expiresAt,
        reason: 'secrets',
        createdBy: 'alice',
      });
      expect(saved.id).toMatch(/.+/);
      expect(saved.createdAt).toBeInstanceOf(Date);
      const [listed] = await store.list();
      expect(listed).toEqual(saved);
      expect(listed?.expiresAt?.getTime()).toBe(expiresAt.getTime());
    });

    it('defaults a grant to allow with session scope', async () => {
      const store = await makeStore();
      const saved = await store.save({ tool: 'bash', sessionId: 's1' });
      expect(saved).toMatchObject({ tool: 'bash', effect: 'allow', scope: 'session', sessionId: 's1' });
    });

    it('filters by tool (including tool globs), effect, scope, session and expiry', async () => {
      const store = await makeStore();
      const now = new Date();
      await store.save({ tool: 'bash', scope: 'user' });
      await store.save({ tool: 'bash', effect: 'deny', scope: 'session', sessionId: 's1' });
      await store.save({ tool: 'git_*', scope: 'user' });
      await store.save({ tool: 'read_file', scope: 'user', expiresAt: new Date(now.getTime() - 1000) });
      expect((await store.list({ tool: 'bash' })).map((g) => g.effect).sort()).toEqual(['allow', 'deny']);
      expect((await store.list({ tool: 'git_status' })).map((g) => g.tool)).toEqual(['git_*']);
      expect(await store.list({ tool: 'git' })).toEqual([]);
      expect((await store.list({ effect: 'deny' })).map((g) => g.tool)).toEqual(['bash']);
      expect((await store.list({ sessionId: 's1' })).length).toBe(1);
      expect((await store.list({ scope: 'user' })).length).toBe(3);
      expect((await store.list({ tool: 'read_file' })).length).toBe(1);
      expect(await store.list({ tool: 'read_file', activeAt: now })).toEqual([]);
    });

    it('lists grants oldest first and replaces a grant saved again under its id', async () => {
      const store = await makeStore();
      const a = await store.save({ tool: 'a', scope: 'user' });
      await store.save({ tool: 'b', scope: 'user' });
      await store.save({ ...a, reason: 'updated' });
      const grants = await store.list();
      expect(grants.length).toBe(2);
      expect(grants.find((g) => g.id === a.id)?.reason).toBe('updated');
    });

    it('deletes one grant by id and reports unknown ids', async () => {
      const store = await makeStore();
      const a = await store.save({ tool: 'a', scope: 'user' });
      const b = await store.save({ tool: 'b', scope: 'user' });
      expect(await store.delete(a.id)).toBe(true);
      expect(await store.delete(a.id)).toBe(false);
      expect((await store.list()).map((g) => g.id)).toEqual([b.id]);
    });

    it('clears grants but keeps the audit log', async () => {
      const store = await makeStore();
      await store.save({ tool: 'a', scope: 'user' });
      await store.audit({ at: new Date(), tool: 'a', toolUseId: 't1', paramsHash: 'h', decision: 'granted', scope: 'once', by: 'user' });
      await store.clear();
      expect(await store.list()).toEqual([]);
      expect((await store.auditLog()).length).toBe(1);
    });

    it('rejects an invalid grant with a clear error', async () => {
      const store = await makeStore();
      await expect(store.save({ tool: '' })).rejects.toThrow(GrantStoreError);
      await expect(store.save({ tool: 'x', paramsHash: 'not-a-hash' })).rejects.toThrow(/paramsHash/);
      await expect(store.save({ tool: 'x', match: { kind: 'command', prefix: 'git status; rm' } })).rejects.toThrow(/prefix/);
    });

    it('keeps the audit log in order, with every field, and filters it', async () => {
      const store = await makeStore();
      const t0 = Date.now();
      const entries: AuditEntry[] = [
        {
          at: new Date(t0),
          tool: 'bash',
          toolUseId: 'u1',
          paramsHash: 'h1',
          decision: 'ask',
          reason: 'No grant',
          by: 'policy',
          sessionId: 's1',
          project: '/p',
        },
        {
          at: new Date(t0 + 1),
          tool: 'bash',
          toolUseId: 'u1',
          paramsHash: 'h1',
          decision: 'granted',
          scope: 'session',
          by: 'user',
          grantId: 'g1',
          sessionId: 's1',
        },
        {
          at: new Date(t0 + 2),
          tool: 'read',
          toolUseId: 'u2',
          paramsHash: 'h2',
          decision: 'denied',
          reason: 'rule',
          by: 'rule',
          sessionId: 's2',
        },
      ];
      for (const e of entries) await store.audit(e);
      expect(await store.auditLog()).toEqual(entries);
      expect((await store.auditLog({ tool: 'bash' })).length).toBe(2);
      expect((await store.auditLog({ toolUseId: 'u2' }))[0]?.decision).toBe('denied');
      expect((await store.auditLog({ decision: 'granted' }))[0]?.grantId).toBe('g1');
      expect((await store.auditLog({ sessionId: 's2' })).length).toBe(1);
      expect((await store.auditLog({ since: new Date(t0 + 1) })).length).toBe(2);
      expect((await store.auditLog({ limit: 2 })).map((e) => e.toolUseId)).toEqual(['u1', 'u2']);
    });

    it('prunes audit entries older than a date, when the store supports retention', async () => {
      const store = await makeStore();
      if (!store.pruneAudit) return;
      const t0 = Date.now();
      for (let i = 0; i < 4; i++)
        await store.audit({ at: new Date(t0 + i), tool: 't', toolUseId: `u${i}`, paramsHash: 'h', decision: 'granted', by: 'user' });
      expect(await store.pruneAudit(new Date(t0 + 2))).toBe(2);
      expect((await store.auditLog()).map((e) => e.toolUseId)).toEqual(['u2', 'u3']);
      expect(await store.pruneAudit(new Date(t0 + 2))).toBe(0);
      await store.audit({ at: new Date(t0 + 5), tool: 't', toolUseId: 'u5', paramsHash: 'h', decision: 'denied', by: 'user' });
      expect((await store.auditLog()).map((e) => e.toolUseId)).toEqual(['u2', 'u3', 'u5']);
    });
  });
}
