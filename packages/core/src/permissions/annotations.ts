/**
 * Tool annotations (the MCP hints: read-only, destructive, idempotent, open-world) in permission
 * rules: `{ tool: 'github_*', annotations: { readOnlyHint: true }, effect: 'allow' }` allows the
 * read-only tools of the server named github.
 * @module
 */
import { z } from 'zod';

/**
 * What a tool says about itself. For MCP tools these come from the server and are hints, not
 * guarantees: only trust them for servers you trust.
 */
export interface ToolAnnotations {
  /** The tool does not change its environment. */
  readOnlyHint?: boolean;
  /** The tool may destroy or overwrite data (meaningful when not read-only). */
  destructiveHint?: boolean;
  /** Calling it again with the same input has no further effect. */
  idempotentHint?: boolean;
  /** The tool reaches beyond a closed world (the internet, other people's systems). */
  openWorldHint?: boolean;
  /** A human-readable title. */
  title?: string;
}

/** The boolean hints a rule can require. */
export type ToolAnnotationHint = 'readOnlyHint' | 'destructiveHint' | 'idempotentHint' | 'openWorldHint';

/** A rule's condition on annotations: every hint given must have the given value. */
export type ToolAnnotationMatch = Partial<Record<ToolAnnotationHint, boolean>>;

/**
 * The value the MCP specification assumes for a hint a tool does not give: not read-only,
 * destructive, not idempotent, open-world (the cautious reading).
 */
export const TOOL_ANNOTATION_DEFAULTS: Readonly<Record<ToolAnnotationHint, boolean>> = Object.freeze({
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: false,
  openWorldHint: true,
});

/** zod schema of a {@link ToolAnnotationMatch} (at least one hint). */
export const toolAnnotationMatchSchema = z
  .object({ readOnlyHint: z.boolean(), destructiveHint: z.boolean(), idempotentHint: z.boolean(), openWorldHint: z.boolean() })
  .partial()
  .strict()
  .refine((m) => Object.keys(m).length > 0, {
    message: 'annotations must name at least one hint (readOnlyHint, destructiveHint, idempotentHint, openWorldHint)',
  });

/**
 * Whether a tool's annotations satisfy a rule's condition.
 * - An allow rule needs every hint to be stated by the tool with the required value (a hint the
 *   tool does not state never allows).
 * - A deny rule reads missing hints with {@link TOOL_ANNOTATION_DEFAULTS}, so
 *   `{ destructiveHint: true }` also denies a tool that says nothing.
 * - For a read-only tool, a missing `destructiveHint` is false and a missing `idempotentHint` true.
 */
export function matchesAnnotations(
  match: ToolAnnotationMatch,
  annotations: ToolAnnotations | undefined,
  effect: 'allow' | 'deny',
): boolean {
  // A read-only tool destroys nothing and is trivially idempotent (the spec gives those two
  // hints meaning only for tools that are not read-only).
  const readOnly = annotations?.readOnlyHint === true;
  for (const [hint, wanted] of Object.entries(match) as [ToolAnnotationHint, boolean][]) {
    const stated = annotations?.[hint];
    const implied = readOnly && hint === 'destructiveHint' ? false : readOnly && hint === 'idempotentHint' ? true : undefined;
    const value = stated ?? implied ?? (effect === 'deny' ? TOOL_ANNOTATION_DEFAULTS[hint] : undefined);
    if (value !== wanted) return false;
  }
  return true;
}

/** Short text of the hints a tool states, for approval prompts: `read-only, idempotent`. */
export function describeAnnotations(annotations: ToolAnnotations | undefined): string {
  if (!annotations) return '';
  const words: string[] = [];
  if (annotations.readOnlyHint === true) words.push('read-only');
  if (annotations.readOnlyHint !== true && annotations.destructiveHint === true) words.push('destructive');
  if (annotations.readOnlyHint !== true && annotations.destructiveHint === false) words.push('not destructive');
  if (annotations.idempotentHint === true) words.push('idempotent');
  if (annotations.openWorldHint === true) words.push('open-world');
  if (annotations.openWorldHint === false) words.push('closed-world');
  return words.join(', ');
}
