/**
 * The permission authorizer: decides whether a tool call may run from rules, stored grants and
 * a default policy, records people's answers as grants, and audits every decision.
 * @module
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { hashParams } from './canonical-json.js';
import {
  type AuditActor,
  type AuditEntry,
  type AuditFilter,
  type Grant,
  type GrantFilter,
  type GrantInput,
  type GrantStore,
  type PermissionRule,
  PermissionConfigError,
  describeGrant,
  isExpired,
  normalizeGrant,
  parsePermissionRules,
  toolMatches,
} from './grant.js';
import { matchesArguments, pathMatches } from './matchers.js';
import { matchesAnnotations, type ToolAnnotations } from './annotations.js';
import { MemoryGrantStore } from './memory-store.js';
import type { AuthorizationCheck, GrantScope, PermissionResponse, ToolAuthorizer, ToolCallRequest } from './types.js';

/**
 * What to do with a call that no rule or grant covers: ask a person ('interactive'), refuse it
 * ('deny'), or run it ('allow' — only for trusted environments such as tests or sandboxes).
 */
export type AuthorizationPolicy = 'interactive' | 'deny' | 'allow';

/** The default policy: ask when a person is there to answer, deny otherwise. */
export function defaultPolicy(isInteractive: boolean): AuthorizationPolicy {
  return isInteractive ? 'interactive' : 'deny';
}

/** True when this process runs in a terminal a person can answer in (stdin and stdout are TTYs). */
export function isInteractiveTerminal(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

/** Options of {@link PermissionAuthorizer}. */
export interface PermissionAuthorizerOptions {
  /** Where grants and the audit log are kept (default: a new {@link MemoryGrantStore}). */
  store?: GrantStore;
  /** Policy for calls no rule or grant covers (default {@link defaultPolicy}(`interactive`)). */
  policy?: AuthorizationPolicy;
  /** Whether a person can answer permission requests; picks the default policy (default false). */
  interactive?: boolean;
  /** Rules from configuration (scope 'user' unless given). Deny rules win over every allow. */
  rules?: PermissionRule[];
  /** Tool names (or globs such as `read_*`) that always run. Deny rules still win. */
  trustedTools?: string[];
  /**
   * The annotations of a tool by name, for rules with `annotations` when a call does not carry
   * them (e.g. `toolAnnotationsResolver(tools)`).
   */
  toolAnnotations?: (toolName: string) => ToolAnnotations | undefined;
  /** Project folder for 'project' grants and relative path globs (default `process.cwd()`). */
  project?: string;
  /** Session for 'session' grants when the call carries none (default: a new random id). */
  sessionId?: string;
  /** Called when the store fails to record a grant or an audit entry (default: a process warning). */
  onStoreError?: (error: Error) => void;
  /** Clock, for expiry (default `() => new Date()`). */
  now?: () => Date;
}

type Applied = { grant: Grant; by: AuditActor };

/**
 * A {@link ToolAuthorizer} with scoped grants, argument rules and an audit log.
 *
 * `check` decides in this order:
 * 1. a deny rule or deny grant that applies → denied (the reason names the rule);
 * 2. a trusted tool, an allow rule or an allow grant that applies → granted with its scope;
 * 3. the policy: 'interactive' → ask, 'deny' → denied with a message saying how to grant it,
 *    'allow' → granted once.
 *
 * A grant applies when its tool (name or glob) covers the call, its `paramsHash` (if any) equals
 * the call's, its argument matcher (if any) matches, it has not expired, and its scope fits:
 * a 'session' grant only in its session, a 'project' grant only when the project folder is its
 * folder or inside it, a 'user' grant everywhere. A grant with a session or project scope that
 * names no session or project applies nowhere (fail closed).
 *
 * If the store cannot be read, the call is denied (fail closed) with the store's error.
 * Every decision, and every answer given to `record`, is written to the store's audit log.
 */
export class PermissionAuthorizer implements ToolAuthorizer {
  readonly store: GrantStore;
  readonly policy: AuthorizationPolicy;
  /** Absolute project folder. */
  readonly project: string;
  /** Session used for 'session' grants when a call carries no session id. */
  readonly sessionId: string;
  /** The configured rules, validated and bound to this project and session. */
  readonly rules: readonly Grant[];
  readonly trustedTools: readonly string[];
  readonly #onStoreError: (error: Error) => void;
  readonly #now: () => Date;
  readonly #annotationsOf: ((toolName: string) => ToolAnnotations | undefined) | undefined;

  /** @throws PermissionConfigError for an invalid rule, policy or trusted tool. */
  constructor(options: PermissionAuthorizerOptions = {}) {
    this.store = options.store ?? new MemoryGrantStore();
    const policy = options.policy ?? defaultPolicy(options.interactive ?? false);
    if (!['interactive', 'deny', 'allow'].includes(policy)) {
      throw new PermissionConfigError(`Unknown permission policy '${String(policy)}': use 'interactive', 'deny' or 'allow'.`);
    }
    this.policy = policy;
    this.project = path.resolve(options.project ?? process.cwd());
    this.sessionId = options.sessionId ?? randomUUID();
    this.rules = parsePermissionRules(options.rules ?? []).map((rule) => this.#bind(rule));
    const trusted = options.trustedTools ?? [];
    for (const name of trusted) {
      if (typeof name !== 'string' || name === '')
        throw new PermissionConfigError(`trustedTools must be tool names or globs, got ${JSON.stringify(name)}.`);
    }
    this.trustedTools = [...trusted];
    this.#onStoreError = options.onStoreError ?? ((error) => process.emitWarning(error.message, { code: 'MIXTAPE_GRANT_STORE' }));
    this.#now = options.now ?? (() => new Date());
    this.#annotationsOf = options.toolAnnotations;
  }

  /** Fills in the session or project a scoped grant belongs to. */
  #bind<T extends Pick<Grant, 'scope' | 'sessionId' | 'project'>>(grant: T, sessionId = this.sessionId): T {
    if (grant.scope === 'session' && grant.sessionId === undefined) return { ...grant, sessionId };
    if (grant.scope === 'project' && grant.project === undefined) return { ...grant, project: this.project };
    return grant;
  }

  #inScope(grant: Grant, sessionId: string): boolean {
    switch (grant.scope) {
      case 'user':
        return true;
      case 'session':
        return grant.sessionId !== undefined && grant.sessionId === sessionId;
      case 'project':
        return (
          grant.project !== undefined &&
          (this.project === grant.project ||
            this.project.startsWith(grant.project.endsWith(path.sep) ? grant.project : grant.project + path.sep))
        );
    }
  }

  #applies(grant: Grant, call: ToolCallRequest, hash: string, sessionId: string, now: Date): boolean {
    return (
      toolMatches(grant.tool, call.toolName) &&
      !isExpired(grant, now) &&
      this.#inScope(grant, sessionId) &&
      (grant.paramsHash === undefined || grant.paramsHash === hash) &&
      (grant.match === undefined || matchesArguments(grant.match, call.input, { effect: grant.effect, base: this.project })) &&
      (grant.annotations === undefined ||
        matchesAnnotations(grant.annotations, call.annotations ?? this.#annotationsOf?.(call.toolName), grant.effect))
    );
  }

  async #audit(entry: Omit<AuditEntry, 'at' | 'project'>): Promise<void> {
    try {
      await this.store.audit({ at: this.#now(), project: this.project, ...entry });
    } catch (error) {
      this.#onStoreError(error as Error);
    }
  }

  /**
   * The hash of the call's input, computed here rather than trusted from `call.paramsHash`, so
   * that an exact-call grant can never cover an input other than the one it was given for.
   */
  static #hash(call: ToolCallRequest): string {
    try {
      return hashParams(call.input);
    } catch {
      return call.paramsHash; // an input JSON cannot hold (a cycle): the caller's hash is all there is
    }
  }

  /** Decides whether a call may run (see the class description for the order). Never throws. */
  async check(call: ToolCallRequest): Promise<AuthorizationCheck> {
    const now = this.#now();
    const hash = PermissionAuthorizer.#hash(call);
    const sessionId = call.sessionId ?? this.sessionId;
    const base = { tool: call.toolName, toolUseId: call.toolUseId, paramsHash: hash, sessionId };

    let stored: Grant[];
    try {
      stored = await this.store.list({ tool: call.toolName, activeAt: now });
    } catch (error) {
      const reason = `Permission check failed, so the call is refused: ${(error as Error).message}`;
      await this.#audit({ ...base, decision: 'denied', reason, by: 'system' });
      return { decision: 'denied', reason };
    }
    const applies = (g: Grant) => this.#applies(g, call, hash, sessionId, now);
    const find = (effect: 'allow' | 'deny'): Applied | undefined => {
      const rule = this.rules.find((g) => g.effect === effect && applies(g));
      if (rule) return { grant: rule, by: 'rule' };
      const grant = stored.find((g) => g.effect === effect && applies(g));
      return grant ? { grant, by: 'grant' } : undefined;
    };

    const deny = find('deny');
    if (deny) {
      const what = `${deny.by === 'rule' ? 'rule' : 'grant'} ${deny.grant.id} (${describeGrant(deny.grant)})`;
      const reason = deny.grant.reason ? `${deny.grant.reason} — denied by ${what}` : `Denied by ${what}`;
      await this.#audit({ ...base, decision: 'denied', reason, by: deny.by, grantId: deny.grant.id });
      return { decision: 'denied', reason, grantId: deny.grant.id };
    }

    const trusted = this.trustedTools.find((pattern) => toolMatches(pattern, call.toolName));
    if (trusted !== undefined) {
      const reason = `Trusted tool (trustedTools: '${trusted}')`;
      await this.#audit({ ...base, decision: 'granted', scope: 'user', reason, by: 'rule' });
      return { decision: 'granted', scope: 'user', reason };
    }

    const allow = find('allow');
    if (allow) {
      const reason = `Allowed by ${allow.by === 'rule' ? 'rule' : 'grant'} ${allow.grant.id} (${describeGrant(allow.grant)})`;
      await this.#audit({ ...base, decision: 'granted', scope: allow.grant.scope, reason, by: allow.by, grantId: allow.grant.id });
      return { decision: 'granted', scope: allow.grant.scope, reason, grantId: allow.grant.id };
    }

    switch (this.policy) {
      case 'allow': {
        const reason = "Policy 'allow' lets every tool run";
        await this.#audit({ ...base, decision: 'granted', scope: 'once', reason, by: 'policy' });
        return { decision: 'granted', scope: 'once', reason };
      }
      case 'interactive':
        await this.#audit({ ...base, decision: 'ask', reason: 'No grant: asking a person', by: 'policy' });
        return { decision: 'ask' };
      case 'deny': {
        const name = call.toolName;
        const reason =
          `No grant for tool '${name}'. Grant it with a rule { tool: '${name}', effect: 'allow' } ` +
          `(or a narrower one with paramsHash or match), add it to trustedTools, ` +
          `or run with a person present (policy 'interactive') to be asked.`;
        await this.#audit({ ...base, decision: 'denied', reason, by: 'policy' });
        return { decision: 'denied', reason };
      }
    }
  }

  /**
   * True when a configured deny rule with a path matcher covers `toolName` and `absolutePath`
   * (relative globs taken from `root`, default the project folder; links followed). Tools that
   * confine paths to a root (`@mixtape/tools`, option `deny`) call it on the real path of every
   * file they open and every entry search and list_directory would return, so a path rule holds
   * whatever name reaches the file. Stored grants are not consulted (this is synchronous).
   */
  deniesPath(toolName: string, absolutePath: string, root: string = this.project): boolean {
    const now = this.#now();
    return this.rules.some(
      (rule) =>
        rule.effect === 'deny' &&
        rule.match?.kind === 'path' &&
        toolMatches(rule.tool, toolName) &&
        !isExpired(rule, now) &&
        this.#inScope(rule, this.sessionId) &&
        pathMatches(rule.match, absolutePath, { effect: 'deny', base: root }),
    );
  }

  /**
   * Records a person's answer to a permission request: 'once' is only audited; 'exact' and
   * 'tool' save an allow grant (scope 'session' unless given); 'deny' is audited and, with a
   * scope, also saved as a deny grant. A store failure is reported to `onStoreError`, not thrown.
   */
  async record(call: ToolCallRequest, response: PermissionResponse): Promise<void> {
    const hash = PermissionAuthorizer.#hash(call);
    const sessionId = call.sessionId ?? this.sessionId;
    const base = { tool: call.toolName, toolUseId: call.toolUseId, paramsHash: hash, sessionId };
    const save = async (input: GrantInput): Promise<Grant | undefined> => {
      try {
        return await this.store.save(this.#bind(normalizeGrant({ createdBy: 'user', ...input }), sessionId));
      } catch (error) {
        this.#onStoreError(error as Error);
        return undefined;
      }
    };
    switch (response.action) {
      case 'once':
        await this.#audit({ ...base, decision: 'granted', scope: 'once', reason: 'Allowed once by a person', by: 'user' });
        return;
      case 'exact':
      case 'tool': {
        const scope: GrantScope = response.scope ?? 'session';
        const grant = await save({
          tool: call.toolName,
          paramsHash: response.action === 'exact' ? hash : undefined,
          effect: 'allow',
          scope,
          expiresAt: response.expiresAt,
        });
        const what = response.action === 'exact' ? 'this exact call' : 'every call of the tool';
        await this.#audit({
          ...base,
          decision: 'granted',
          scope,
          reason: `A person allowed ${what} (${scope})`,
          by: 'user',
          grantId: grant?.id,
        });
        return;
      }
      case 'deny': {
        const automatic = response.origin !== undefined;
        const reason = response.reason ?? (automatic ? `Denied (${response.origin})` : 'Denied by a person');
        let grant: Grant | undefined;
        if (response.scope !== undefined && !automatic) {
          grant = await save({
            tool: call.toolName,
            paramsHash: response.exact ? hash : undefined,
            effect: 'deny',
            scope: response.scope,
            expiresAt: response.expiresAt,
            reason,
          });
        }
        await this.#audit({ ...base, decision: 'denied', reason, by: automatic ? 'system' : 'user', grantId: grant?.id });
        return;
      }
    }
  }

  /**
   * Saves a grant in the store. A 'session' grant (the default scope) is bound to this
   * authorizer's session and a 'project' grant to its project unless they name one.
   */
  async grant(input: GrantInput): Promise<Grant> {
    return this.store.save(this.#bind(normalizeGrant({ createdBy: 'user', ...input })));
  }

  /** Deletes a stored grant (rules from configuration cannot be revoked); false when unknown. */
  async revoke(id: string): Promise<boolean> {
    return this.store.delete(id);
  }

  /** Stored grants (not rules), oldest first. */
  async grants(filter?: GrantFilter): Promise<Grant[]> {
    return this.store.list(filter);
  }

  /**
   * Deletes audit entries older than `before`; returns how many. Stores without retention
   * support (no `pruneAudit`) keep everything and return 0.
   */
  async pruneAuditLog(before: Date): Promise<number> {
    return (await this.store.pruneAudit?.(before)) ?? 0;
  }

  /** The store's audit log, oldest first. */
  async auditLog(filter?: AuditFilter): Promise<AuditEntry[]> {
    return this.store.auditLog(filter);
  }
}
