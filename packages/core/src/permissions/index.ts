/**
 * Permissions: grants, rules, grant stores, the authorizer and the approval queue.
 * @module
 */
export * from './types.js';
export * from './canonical-json.js';
export * from './matchers.js';
export {
  TOOL_ANNOTATION_DEFAULTS,
  describeAnnotations,
  matchesAnnotations,
  toolAnnotationMatchSchema,
  type ToolAnnotationHint,
  type ToolAnnotationMatch,
  type ToolAnnotations,
} from './annotations.js';
export * from './grant.js';
export * from './memory-store.js';
export * from './json-file-store.js';
export * from './authorizer.js';
export * from './approval-queue.js';
export * from './grant-rows.js';
