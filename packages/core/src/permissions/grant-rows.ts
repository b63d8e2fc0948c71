/**
 * The column layout SQL grant stores share (snake_case columns, NULL for absent fields) and the
 * mapping from a row to a {@link Grant} or {@link AuditEntry}. Drivers differ only in how dates
 * and JSON come back (SQLite: ms numbers and text; PostgreSQL: Date and parsed JSON), which the
 * row type leaves open and the mapping normalises.
 * @module
 */
import type { AuditEntry, Grant } from './grant.js';
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
  if (row.match_json !== null) grant.match = typeof row.match_json === 'string' ? (JSON.parse(row.match_json) as ArgumentMatcher) : row.match_json;
  if (row.session_id !== null) grant.sessionId = row.session_id;
  if (row.project !== null) grant.project = row.project;
  if (row.expires_at !== null) grant.expiresAt = toDate(row.expires_at);
  if (row.reason !== null) grant.reason = row.reason;
  if (row.created_by !== null) grant.createdBy = row.created_by;
  return grant;
}

/** The audit entry a row holds. */
export function auditEntryFromRow(row: AuditRow): AuditEntry {
  const entry: AuditEntry = { at: toDate(row.at), tool: row.tool, toolUseId: row.tool_use_id, paramsHash: row.params_hash, decision: row.decision, by: row.actor };
  if (row.scope !== null) entry.scope = row.scope;
  if (row.reason !== null) entry.reason = row.reason;
  if (row.grant_id !== null) entry.grantId = row.grant_id;
  if (row.session_id !== null) entry.sessionId = row.session_id;
  if (row.project !== null) entry.project = row.project;
  return entry;
}
