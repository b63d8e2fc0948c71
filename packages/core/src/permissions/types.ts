/**
 * Permission types shared by the agent loop and the grant stores.
 * @module
 */

/** How long a grant lasts: this run's call only, this session, this project, or this user. */
export type GrantScope = 'session' | 'project' | 'user';

/** A person's (or a policy's) answer to a permission request. */
export type PermissionResponse =
  | { action: 'once' }
  | { action: 'exact'; scope?: GrantScope }
  | { action: 'tool'; scope?: GrantScope }
  | { action: 'deny'; reason?: string };

/** A tool call to authorise. */
export interface ToolCallRequest {
  toolName: string;
  toolUseId: string;
  input: unknown;
  paramsHash: string;
  sessionId?: string;
}

/** Outcome of checking a call against grants and rules. */
export type AuthorizationCheck =
  | { decision: 'granted'; scope: GrantScope | 'once'; reason?: string }
  | { decision: 'denied'; reason: string }
  | { decision: 'ask' };

/**
 * Decides whether a tool call may run. The agent asks a person (permission_required event)
 * when the check says 'ask' and the agent is interactive, and records the answer with `record`.
 */
export interface ToolAuthorizer {
  check(call: ToolCallRequest): Promise<AuthorizationCheck>;
  record(call: ToolCallRequest, response: PermissionResponse): Promise<void>;
}
