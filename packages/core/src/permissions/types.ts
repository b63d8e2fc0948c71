/**
 * Permission types shared by the agent loop and the grant stores.
 * @module
 */

import type { ToolAnnotations } from './annotations.js';

/** How long a grant lasts: this run's call only, this session, this project, or this user. */
export type GrantScope = 'session' | 'project' | 'user';

/**
 * A person's (or a policy's) answer to a permission request.
 * - `once`: run this call only; nothing is remembered (the decision is audited).
 * - `exact`: allow this exact input (same parameters hash) from now on, in `scope` (default 'session').
 * - `tool`: allow every call of this tool from now on, in `scope` (default 'session').
 * - `deny`: refuse this call. With a `scope`, also remember a deny grant (tool-wide, or for this
 *   exact input when `exact` is true) so the same request is refused without asking.
 *
 * `expiresAt` makes a remembered grant stop applying at that time. `origin` says the deny was
 * not a person's answer but a timeout or a cancelled run (the audit log records it as 'system').
 */
export type PermissionResponse =
  | { action: 'once' }
  | { action: 'exact'; scope?: GrantScope; expiresAt?: Date }
  | { action: 'tool'; scope?: GrantScope; expiresAt?: Date }
  | { action: 'deny'; reason?: string; scope?: GrantScope; exact?: boolean; expiresAt?: Date; origin?: 'timeout' | 'cancelled' };

/** A tool call to authorise. */
export interface ToolCallRequest {
  toolName: string;
  toolUseId: string;
  input: unknown;
  paramsHash: string;
  sessionId?: string;
  /** The tool's annotations (MCP hints), for rules with `annotations`. */
  annotations?: ToolAnnotations;
}

/** Outcome of checking a call against grants and rules. */
export type AuthorizationCheck =
  | { decision: 'granted'; scope: GrantScope | 'once'; reason?: string; grantId?: string }
  | { decision: 'denied'; reason: string; grantId?: string }
  | { decision: 'ask' };

/**
 * Decides whether a tool call may run. The agent asks a person (permission_required event)
 * when the check says 'ask' and the agent is interactive, and records the answer with `record`.
 */
export interface ToolAuthorizer {
  check(call: ToolCallRequest): Promise<AuthorizationCheck>;
  record(call: ToolCallRequest, response: PermissionResponse): Promise<void>;
}
