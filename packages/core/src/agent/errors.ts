/**
 * Errors of an agent run.
 * @module
 */

/** What ended a run in failure. */
export type AgentErrorKind =
  | 'max_steps'
  | 'max_tokens'
  | 'content_filtered'
  | 'aborted'
  | 'empty_response'
  | 'busy'
  | 'provider'
  | 'session'
  | 'context'
  | 'config'
  | 'interrupt'
  /** The final answer did not match the run's output schema (StructuredOutputError). */
  | 'output'
  /** A cost or token budget would be exceeded (BudgetExceededError). */
  | 'budget';

/** A failed run. `kind` says why; `cause` holds the underlying error. */
export class AgentError extends Error {
  override name = 'AgentError';
  constructor(
    readonly kind: AgentErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The run was cancelled through its AbortSignal. */
export class AgentAbortedError extends AgentError {
  override name = 'AgentAbortedError';
  constructor(reason?: unknown) {
    super(
      'aborted',
      `Run cancelled${reason instanceof Error ? `: ${reason.message}` : typeof reason === 'string' ? `: ${reason}` : ''}. The session is saved and can be resumed.`,
      { cause: reason },
    );
  }
}

/** The run reached `maxSteps` model calls without a final answer. */
export class MaxStepsError extends AgentError {
  override name = 'MaxStepsError';
  constructor(readonly maxSteps: number) {
    super(
      'max_steps',
      `The agent stopped after ${maxSteps} model steps without a final answer (maxSteps = ${maxSteps}). The model may be looping on tool calls; raise maxSteps or change the prompt. The session is saved and can be resumed.`,
    );
  }
}
