/**
 * Tool annotations in permission rules (core's PermissionAuthorizer, fed by MCP tools): an allow
 * rule needs the hint stated by the tool; a deny rule reads missing hints with the MCP defaults;
 * stored grants cannot carry annotation conditions (no column would keep them: fail closed).
 */
import { GrantStoreError, PermissionAuthorizer, grantRowValues, hashParams, matchesAnnotations, normalizeGrant } from '@mixtape/core';
import { describe, expect, it } from 'vitest';

const call = (toolName: string, annotations?: object) => ({
  toolName,
  toolUseId: 't',
  input: {},
  paramsHash: hashParams({}),
  ...(annotations ? { annotations } : {}),
});

describe('annotation rules', () => {
  it('allow needs the stated hint; deny applies the cautious defaults to what a tool does not say', () => {
    expect(matchesAnnotations({ readOnlyHint: true }, { readOnlyHint: true }, 'allow')).toBe(true);
    expect(matchesAnnotations({ readOnlyHint: true }, undefined, 'allow')).toBe(false);
    expect(matchesAnnotations({ readOnlyHint: false }, {}, 'allow')).toBe(false);
    expect(matchesAnnotations({ destructiveHint: true }, {}, 'deny')).toBe(true);
    expect(matchesAnnotations({ destructiveHint: true }, { destructiveHint: false }, 'deny')).toBe(false);
  });

  it('the authorizer allows read-only tools of one server, denies destructive ones anywhere, and says why', async () => {
    const authorizer = new PermissionAuthorizer({
      policy: 'deny',
      rules: [
        { tool: 'github_*', annotations: { readOnlyHint: true }, effect: 'allow' },
        { tool: '*', annotations: { destructiveHint: true }, effect: 'deny', reason: 'No destructive tools' },
      ],
    });
    expect((await authorizer.check(call('github_list_issues', { readOnlyHint: true }))).decision).toBe('granted');
    expect((await authorizer.check(call('jira_list_issues', { readOnlyHint: true }))).decision).toBe('denied');
    const destructive = await authorizer.check(call('github_delete_repo', { readOnlyHint: false, destructiveHint: true }));
    expect(destructive).toMatchObject({
      decision: 'denied',
      reason: expect.stringContaining('when the tool declares destructiveHint=true') as string,
    });
    // A tool that states nothing is read as destructive by the deny rule.
    expect((await authorizer.check(call('github_mystery'))).decision).toBe('denied');
  });

  it('a rule must name a known hint; a stored grant with annotations is refused by SQL grant rows', () => {
    expect(() => new PermissionAuthorizer({ rules: [{ tool: 'x', annotations: {} }] })).toThrow(/at least one hint/);
    expect(() => new PermissionAuthorizer({ rules: [{ tool: 'x', annotations: { sneakyHint: true } as never }] })).toThrow();
    const grant = normalizeGrant({ tool: 'x', annotations: { readOnlyHint: true } });
    expect(grant.annotations).toEqual({ readOnlyHint: true });
    expect(() => grantRowValues(grant, { bool: (b) => b, date: (d) => d })).toThrow(GrantStoreError);
  });
});
