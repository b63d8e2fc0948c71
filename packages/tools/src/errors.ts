/**
 * Typed errors thrown by the tools. The agent turns a thrown error into an error result for
 * the model, so every message says what was wrong and what to do instead.
 * @module
 */

/** Kinds of {@link ToolError}. */
export type ToolErrorKind =
  | 'path_outside_root'
  | 'not_found'
  | 'invalid_input'
  | 'too_large'
  | 'io'
  | 'no_match'
  | 'replacement_count'
  | 'process'
  | 'network_refused'
  | 'http'
  | 'robots'
  | 'permission_denied'
  | 'sql'
  | 'migration'
  | 'timeout'
  | 'sandbox_unavailable';

/** An error of one of the tools in this package. */
export class ToolError extends Error {
  override name = 'ToolError';
  constructor(
    readonly kind: ToolErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A path resolves outside the tool's root folder. */
export class PathOutsideRootError extends ToolError {
  override name = 'PathOutsideRootError';
  constructor(
    readonly path: string,
    readonly root: string,
    readonly resolved: string,
  ) {
    super(
      'path_outside_root',
      `Path '${path}' is outside the root folder '${root}' (it resolves to '${resolved}'). Use a path inside '${root}'.`,
    );
  }
}

/** Message of an unknown thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns a Node fs error into a ToolError with a message naming the path. */
export function fsError(error: unknown, action: string, path: string): ToolError {
  if (error instanceof ToolError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new ToolError('not_found', `Cannot ${action} '${path}': no such file or directory.`, { cause: error });
    case 'EISDIR':
      return new ToolError('invalid_input', `Cannot ${action} '${path}': it is a directory.`, { cause: error });
    case 'ENOTDIR':
      return new ToolError('invalid_input', `Cannot ${action} '${path}': a part of the path is not a directory.`, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new ToolError('io', `Cannot ${action} '${path}': permission denied.`, { cause: error });
    case 'EEXIST':
      return new ToolError('invalid_input', `Cannot ${action} '${path}': it already exists.`, { cause: error });
    default:
      return new ToolError('io', `Cannot ${action} '${path}': ${errorMessage(error)}`, { cause: error });
  }
}
