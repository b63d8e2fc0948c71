/**
 * The column layout SQL grant stores share (snake_case columns, NULL for absent fields) and the
 * mapping from a row to a {@link Grant} or {@link AuditEntry}. Drivers differ only in how dates
 * and JSON come back (SQLite: ms numbers and text; PostgreSQL: Date and parsed JSON), which the
 * row type leaves open and the mapping normalises.
 * @module
 */
import { type AuditEntry, type Grant, GrantStoreError, isToolPattern } from './grant.js';
import type { ArgumentMatcher } from './matchers.js';

type DateColumn = Date | number | string;

/** A row of a grants table. */
export interface GrantRow {
  id: string;
  tool: string;
  params_hash: string | null;
  match_json: ArgumentMatcher | string | null;
  effect: 'allow' | 'deny';
  scope: 'session' | 'project' | 'user';
  session_id: string | null;
  project: string | null;
  expires_at: DateColumn | null;
  created_at: DateColumn;
  reason: string | null;
  created_by: string | null;
}

/** A row of a grant audit table. */
export interface AuditRow {
  at: DateColumn;
  tool: string;
  tool_use_id: string;
  params_hash: string;
  decision: AuditEntry['decision'];
  scope: AuditEntry['scope'] | null;
  reason: string | null;
  actor: AuditEntry['by'];
  grant_id: string | null;
  session_id: string | null;
  project: string | null;
}

function toDate(value: DateColumn): Date {
  return value instanceof Date ? value : new Date(value);
}

/** The grant a row holds. */
export function grantFromRow(row: GrantRow): Grant {
  const grant: Grant = { id: row.id, tool: row.tool, effect: row.effect, scope: row.scope, createdAt: toDate(row.created_at) };
  if (row.params_hash !== null) grant.paramsHash = row.params_hash;
  if (row.match_json !== null)
    grant.match = typeof row.match_json === 'string' ? (JSON.parse(row.match_json) as ArgumentMatcher) : row.match_json;
  if (row.session_id !== null) grant.sessionId = row.session_id;
  if (row.project !== null) grant.project = row.project;
  if (row.expires_at !== null) grant.expiresAt = toDate(row.expires_at);
  if (row.reason !== null) grant.reason = row.reason;
  if (row.created_by !== null) grant.createdBy = row.created_by;
  return grant;
}

/** The audit entry a row holds. */
export function auditEntryFromRow(row: AuditRow): AuditEntry {
  const entry: AuditEntry = {
    at: toDate(row.at),
    tool: row.tool,
    toolUseId: row.tool_use_id,
    paramsHash: row.params_hash,
    decision: row.decision,
    by: row.actor,
  };
  if (row.scope !== null) entry.scope = row.scope;
  if (row.reason !== null) entry.reason = row.reason;
  if (row.grant_id !== null) entry.grantId = row.grant_id;
  if (row.session_id !== null) entry.sessionId = row.session_id;
  if (row.project !== null) entry.project = row.project;
  return entry;
}

/** How a driver binds values: dates and booleans differ (SQLite takes numbers, PostgreSQL Date and boolean). */
export interface RowBinding {
  date(value: Date): unknown;
  bool(value: boolean): unknown;
}

/** PostgreSQL binds Date and boolean as they are. */
export const NATIVE_BINDING: RowBinding = { date: (d) => d, bool: (b) => b };
/** SQLite: dates as epoch milliseconds, booleans as 0/1. */
export const SQLITE_BINDING: RowBinding = { date: (d) => d.getTime(), bool: (b) => (b ? 1 : 0) };

/** Columns of a grant audit row, in the order of {@link auditRowValues}. */
export const AUDIT_COLUMNS = [
  'at',
  'tool',
  'tool_use_id',
  'params_hash',
  'decision',
  'scope',
  'reason',
  'actor',
  'grant_id',
  'session_id',
  'project',
] as const;

/** The values of an audit row, in the order of {@link AUDIT_COLUMNS}. */
export function auditRowValues(entry: AuditEntry, binding: RowBinding): unknown[] {
  return [
    binding.date(entry.at),
    entry.tool,
    entry.toolUseId,
    entry.paramsHash,
    entry.decision,
    entry.scope ?? null,
    entry.reason ?? null,
    entry.by,
    entry.grantId ?? null,
    entry.sessionId ?? null,
    entry.project ?? null,
  ];
}

/** Columns of a grant row that {@link grantRowValues} fills, in its order. */
export const GRANT_COLUMNS = [
  'id',
  'tool',
  'tool_is_pattern',
  'params_hash',
  'match_json',
  'effect',
  'scope',
  'session_id',
  'project',
  'expires_at',
  'created_at',
  'reason',
  'created_by',
] as const;

/** The values of a grant row, in the order of {@link GRANT_COLUMNS}. */
export function grantRowValues(grant: Grant, binding: RowBinding): unknown[] {
  if (grant.annotations !== undefined) {
    // No column holds it: storing the grant without it would widen it. Fail closed.
    throw new GrantStoreError(
      'invalid',
      `Grant for '${grant.tool}': annotation conditions belong in rules (permissionRules), not in stored grants.`,
    );
  }
  return [
    grant.id,
    grant.tool,
    binding.bool(isToolPattern(grant.tool)),
    grant.paramsHash ?? null,
    grant.match ? JSON.stringify(grant.match) : null,
    grant.effect,
    grant.scope,
    grant.sessionId ?? null,
    grant.project ?? null,
    grant.expiresAt ? binding.date(grant.expiresAt) : null,
    binding.date(grant.createdAt),
    grant.reason ?? null,
    grant.createdBy ?? null,
  ];
}
