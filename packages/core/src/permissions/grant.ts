/**
 * Grants (remembered allow/deny decisions), rules, the audit log, and the `GrantStore` interface.
 * @module
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { picomatch } from '../lazy-require.js';
import type { GrantScope } from './types.js';
import type { ArgumentMatcher } from './matchers.js';
import { MATCHER_CACHE_SIZE, argumentMatcherSchema } from './matchers.js';
import { toolAnnotationMatchSchema, type ToolAnnotationMatch } from './annotations.js';

/** Whether a grant lets matching calls run or refuses them. Deny wins over allow. */
export type GrantEffect = 'allow' | 'deny';

/**
 * A remembered decision. It applies to calls of `tool` (a name, or a glob such as `github_*`
 * or `*`) that also match `paramsHash` (one exact input) and `match` (argument rule), when given.
 *
 * Scope: a `session` grant applies only in session `sessionId`; a `project` grant only when the
 * authorizer's project folder is `project` or inside it; a `user` grant everywhere.
 */
export interface Grant {
  id: string;
  tool: string;
  /** SHA-256 of the canonical JSON input: the grant covers exactly this call's input. */
  paramsHash?: string;
  /** Argument rule the call must match (path glob, command prefix, exact value). */
  match?: ArgumentMatcher;
  /** Hints the tool must state (see `matchesAnnotations`), e.g. `{ readOnlyHint: true }`. */
  annotations?: ToolAnnotationMatch;
  effect: GrantEffect;
  scope: GrantScope;
  /** Session a `session` grant belongs to. */
  sessionId?: string;
  /** Project folder (absolute) a `project` grant belongs to. */
  project?: string;
  /** After this time the grant no longer applies. */
  expiresAt?: Date;
  createdAt: Date;
  /** Why the grant exists (shown in denial messages and the audit log). */
  reason?: string;
  /** Who created it: 'user', 'config', a user name, ... */
  createdBy?: string;
}

/** What to give `GrantStore.save`: a grant without its id and creation time (filled in). */
export type GrantInput = Omit<Grant, 'id' | 'createdAt' | 'effect' | 'scope'> & {
  id?: string;
  createdAt?: Date;
  /** Default 'allow'. */
  effect?: GrantEffect;
  /** Default 'session'. */
  scope?: GrantScope;
};

/**
 * A rule from configuration: a grant that lives in the authorizer's options rather than in a
 * store. Scope defaults to 'user' (applies everywhere); `expiresAt` may be an ISO date string.
 */
export type PermissionRule = Omit<GrantInput, 'expiresAt' | 'id'> & { id?: string; expiresAt?: Date | string };

/** Filter of {@link GrantStore.list}. Every given field must hold. */
export interface GrantFilter {
  /** Grants that apply to this tool name: the same name, or a tool glob that matches it. */
  tool?: string;
  effect?: GrantEffect;
  scope?: GrantScope;
  sessionId?: string;
  project?: string;
  /** Only grants not expired at this time. */
  activeAt?: Date;
}

/** Who made an audited decision. */
export type AuditActor =
  /** The authorizer's default policy (no grant applied). */
  | 'policy'
  /** A person's answer to a permission request. */
  | 'user'
  /** A configured rule or trusted-tools entry. */
  | 'rule'
  /** A stored grant. */
  | 'grant'
  /** A timeout or a cancelled run answered in place of a person. */
  | 'system';

/** The outcome recorded in the audit log. 'ask' means a person was asked. */
export type AuditDecision = 'granted' | 'denied' | 'ask';

/** One line of the audit log: who decided what about which call, when, and why. */
export interface AuditEntry {
  at: Date;
  tool: string;
  toolUseId: string;
  paramsHash: string;
  decision: AuditDecision;
  /** For granted decisions: how long the permission lasts ('once' for this call only). */
  scope?: GrantScope | 'once';
  reason?: string;
  by: AuditActor;
  /** The grant or rule that decided, or the grant a person's answer created. */
  grantId?: string;
  sessionId?: string;
  project?: string;
}

/** Filter of {@link GrantStore.auditLog}. */
export interface AuditFilter {
  tool?: string;
  toolUseId?: string;
  decision?: AuditDecision;
  sessionId?: string;
  /** Only entries at or after this time. */
  since?: Date;
  /** Only the most recent `limit` entries (still returned oldest first). */
  limit?: number;
}

/**
 * Where grants and the audit log live. Implementations: `MemoryGrantStore`,
 * `JsonFileGrantStore` (core), `SqliteGrantStore` (@mixtape/sqlite).
 */
export interface GrantStore {
  /** Saves a grant (a new id and `createdAt` are filled in when missing) and returns it. Saving an existing id replaces it. */
  save(grant: GrantInput): Promise<Grant>;
  /** Grants matching the filter, oldest first. */
  list(filter?: GrantFilter): Promise<Grant[]>;
  /** Deletes one grant; false when there is no grant with this id. */
  delete(id: string): Promise<boolean>;
  /** Deletes every grant (the audit log is kept). */
  clear(): Promise<void>;
  /** Appends a decision to the audit log. */
  audit(entry: AuditEntry): Promise<void>;
  /** Audit entries matching the filter, oldest first. */
  auditLog(filter?: AuditFilter): Promise<AuditEntry[]>;
  /** Deletes audit entries older than `before` (retention); returns how many were deleted. */
  pruneAudit?(before: Date): Promise<number>;
}

/** What went wrong in a grant store. */
export type GrantStoreErrorKind = 'corrupt' | 'io' | 'invalid';

/** Error of a grant store: a corrupt file, a failed read or write, or an invalid grant. */
export class GrantStoreError extends Error {
  override name = 'GrantStoreError';
  constructor(
    readonly kind: GrantStoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown for an invalid permission rule or authorizer option; the message names the field. */
export class PermissionConfigError extends Error {
  override name = 'PermissionConfigError';
}

const dateSchema = z.union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))]);
const scopeSchema = z.enum(['session', 'project', 'user']);

/** zod schema of a stored or configured grant (dates may be ISO strings). */
export const grantSchema = z.object({
  id: z.string().min(1).optional(),
  tool: z.string().min(1, 'tool must name a tool (or a glob such as "*")'),
  paramsHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'paramsHash must be a lowercase SHA-256 hex string (64 characters)')
    .optional(),
  match: argumentMatcherSchema.optional(),
  annotations: toolAnnotationMatchSchema.optional(),
  effect: z.enum(['allow', 'deny']).optional(),
  scope: scopeSchema.optional(),
  sessionId: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
  expiresAt: dateSchema.optional(),
  createdAt: dateSchema.optional(),
  reason: z.string().optional(),
  createdBy: z.string().optional(),
});

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(grant)'}: ${issue.message}`).join('; ');
}

function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

/**
 * Validates a grant (or rule) and fills in defaults: id, createdAt, effect 'allow', the given
 * default scope. A project folder is made absolute.
 * @throws GrantStoreError kind 'invalid' with a message naming the bad field.
 */
export function normalizeGrant(input: GrantInput | PermissionRule, defaults: { scope?: GrantScope; now?: Date } = {}): Grant {
  const parsed = grantSchema.safeParse(input);
  if (!parsed.success)
    throw new GrantStoreError(
      'invalid',
      `Invalid grant for tool '${String((input as { tool?: unknown }).tool)}': ${describeIssues(parsed.error)}`,
    );
  const g = parsed.data;
  const scope = g.scope ?? defaults.scope ?? 'session';
  return dropUndefined({
    id: g.id ?? randomUUID(),
    tool: g.tool,
    paramsHash: g.paramsHash,
    match: g.match,
    annotations: g.annotations,
    effect: g.effect ?? 'allow',
    scope,
    sessionId: g.sessionId,
    project: g.project === undefined ? undefined : path.resolve(g.project),
    expiresAt: g.expiresAt,
    createdAt: g.createdAt ?? defaults.now ?? new Date(),
    reason: g.reason,
    createdBy: g.createdBy,
  });
}

/**
 * Validates rules from configuration (for example parsed from a JSON file) and returns them as
 * grants with scope 'user' unless given, created by 'config'.
 * @throws PermissionConfigError naming the rule (by index) and the bad field.
 */
export function parsePermissionRules(rules: unknown): Grant[] {
  if (!Array.isArray(rules))
    throw new PermissionConfigError(`Permission rules must be an array of rules, got ${rules === null ? 'null' : typeof rules}.`);
  return rules.map((rule, index) => {
    try {
      return normalizeGrant(
        { createdBy: 'config', ...(rule as PermissionRule), id: (rule as PermissionRule)?.id ?? `rule-${index}` },
        { scope: 'user' },
      );
    } catch (error) {
      throw new PermissionConfigError(`Permission rule ${index}: ${(error as Error).message}`);
    }
  });
}

const GLOB_CHARS = /[*?[\]{}()!+@]/;

/** True when a grant's tool field is a glob rather than one tool name. */
export function isToolPattern(tool: string): boolean {
  return GLOB_CHARS.test(tool);
}

const toolMatcherCache = new Map<string, (name: string) => boolean>();

/** True when a grant's tool field (a name or a glob) covers this tool name. */
export function toolMatches(pattern: string, toolName: string): boolean {
  if (pattern === toolName) return true;
  if (!isToolPattern(pattern)) return false;
  let matcher = toolMatcherCache.get(pattern);
  if (!matcher) {
    matcher = picomatch()(pattern, { dot: true });
    if (toolMatcherCache.size >= MATCHER_CACHE_SIZE) toolMatcherCache.clear();
    toolMatcherCache.set(pattern, matcher);
  }
  return matcher(toolName);
}

/** True when the grant has expired at `at`. */
export function isExpired(grant: Pick<Grant, 'expiresAt'>, at: Date = new Date()): boolean {
  return grant.expiresAt !== undefined && grant.expiresAt.getTime() <= at.getTime();
}

/** True when a grant passes a {@link GrantFilter}. Stores use it so that every store filters alike. */
export function grantMatchesFilter(grant: Grant, filter: GrantFilter = {}): boolean {
  if (filter.tool !== undefined && !toolMatches(grant.tool, filter.tool)) return false;
  if (filter.effect !== undefined && grant.effect !== filter.effect) return false;
  if (filter.scope !== undefined && grant.scope !== filter.scope) return false;
  if (filter.sessionId !== undefined && grant.sessionId !== filter.sessionId) return false;
  if (filter.project !== undefined && grant.project !== path.resolve(filter.project)) return false;
  if (filter.activeAt !== undefined && isExpired(grant, filter.activeAt)) return false;
  return true;
}

/** True when an audit entry passes an {@link AuditFilter} (ignoring `limit`). */
export function auditMatchesFilter(entry: AuditEntry, filter: AuditFilter = {}): boolean {
  if (filter.tool !== undefined && entry.tool !== filter.tool) return false;
  if (filter.toolUseId !== undefined && entry.toolUseId !== filter.toolUseId) return false;
  if (filter.decision !== undefined && entry.decision !== filter.decision) return false;
  if (filter.sessionId !== undefined && entry.sessionId !== filter.sessionId) return false;
  if (filter.since !== undefined && entry.at.getTime() < filter.since.getTime()) return false;
  return true;
}

/** Applies an {@link AuditFilter} to entries held oldest first. */
export function filterAuditEntries(entries: readonly AuditEntry[], filter: AuditFilter = {}): AuditEntry[] {
  const matching = entries.filter((entry) => auditMatchesFilter(entry, filter));
  return filter.limit !== undefined ? matching.slice(Math.max(0, matching.length - Math.max(0, filter.limit))) : matching;
}

/** A short description of a grant for messages: `deny tool 'bash' where command starts with "rm"`. */
export function describeGrant(grant: Pick<Grant, 'tool' | 'effect' | 'paramsHash' | 'match' | 'annotations' | 'reason' | 'id'>): string {
  let text = `${grant.effect} ${isToolPattern(grant.tool) ? `tools '${grant.tool}'` : `tool '${grant.tool}'`}`;
  if (grant.paramsHash) text += ` for input ${grant.paramsHash.slice(0, 12)}…`;
  if (grant.match) {
    const m = grant.match;
    const args = (a: string | string[]) => (Array.isArray(a) ? a.join('/') : a);
    if (m.kind === 'path') text += ` where ${args(m.argument)} matches ${JSON.stringify(m.glob)}`;
    else if (m.kind === 'command') text += ` where ${m.argument ?? 'command'} starts with ${JSON.stringify(m.prefix)}`;
    else text += ` where ${m.argument} = ${JSON.stringify(m.equals)}`;
  }
  if (grant.annotations) {
    const hints = Object.entries(grant.annotations).map(([hint, value]) => `${hint}=${String(value)}`);
    text += ` when the tool declares ${hints.join(', ')}`;
  }
  return text;
}
