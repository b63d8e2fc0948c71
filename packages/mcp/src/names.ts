/**
 * Tool names: namespacing and sanitising to the pattern model providers accept.
 * @module
 */
import { createHash } from 'node:crypto';

/** Longest tool name model providers accept. */
export const MAX_TOOL_NAME_LENGTH = 64;

const ALLOWED = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Turns any string into a valid tool name (`^[a-zA-Z0-9_-]{1,64}$`): every other character
 * becomes `_`; a name longer than 64 characters is cut and given a short hash of the whole
 * name, so two long names that share a prefix stay distinct.
 */
export function sanitizeToolName(name: string): string {
  if (ALLOWED.test(name)) return name;
  let clean = name.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (clean.length === 0) clean = '_';
  if (clean.length <= MAX_TOOL_NAME_LENGTH) return clean;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${clean.slice(0, MAX_TOOL_NAME_LENGTH - hash.length - 1)}_${hash}`;
}

/**
 * The prefix for a server's tools: `<server>_` by default, the given string (with `_`
 * appended when it does not end in `_` or `-`), or none for `false` / `''`.
 */
export function namespacePrefix(serverName: string, namespace: string | false | undefined): string {
  if (namespace === false || namespace === '') return '';
  const base = namespace ?? serverName;
  return /[_-]$/.test(base) ? base : `${base}_`;
}
