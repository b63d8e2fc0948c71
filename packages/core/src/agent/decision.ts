/**
 * The loop's stop/continue decision after a model call, as a named value.
 * @module
 */
import { type Message, messageText, type ToolUseBlock, toolUses } from '../messages.js';
import type { ModelResponse } from '../model.js';
import type { StoredInterrupt } from '../session/run-state.js';
import { AgentError } from './errors.js';

/**
 * What the loop does next:
 * - `run_tools`: run these calls, then call the model again;
 * - `final_answer`: the run is done with this text;
 * - `pause`: the provider paused a long turn (pause_turn): call the model again;
 * - `interrupt`: stop and persist; the run waits for answers;
 * - `error`: the run fails with this error.
 */
export type LoopDecision =
  | { kind: 'run_tools'; calls: ToolUseBlock[] }
  | { kind: 'final_answer'; text: string }
  | { kind: 'pause' }
  | { kind: 'interrupt'; interrupts: StoredInterrupt[] }
  | { kind: 'error'; error: AgentError };

/** The decision after a model call answered with `message`. */
export function decideAfterModel(response: Pick<ModelResponse, 'stopReason'>, message: Message): LoopDecision {
  if (message.content.length === 0)
    return { kind: 'error', error: new AgentError('empty_response', 'The model returned an empty response (no text and no tool call).') };
  const calls = toolUses(message);
  switch (response.stopReason) {
    case 'max_tokens':
      return {
        kind: 'error',
        error: new AgentError(
          'max_tokens',
          'The response reached the maximum output tokens (maxTokens). Raise maxTokens, or ask the model to be more concise or to split the task. The partial answer is saved.',
        ),
      };
    case 'content_filtered':
      return { kind: 'error', error: new AgentError('content_filtered', "The response was blocked by the provider's content filter.") };
    case 'pause_turn':
      return { kind: 'pause' };
    case 'tool_use':
    case 'end_turn':
    case 'unknown':
      if (calls.length) return { kind: 'run_tools', calls };
      return { kind: 'final_answer', text: messageText(message) };
    default:
      return { kind: 'final_answer', text: messageText(message) };
  }
}

/**
 * Where a resumed run re-enters the loop, from the stored history: the last assistant turn's
 * open tool calls, a model call (the history ends with a user message), or its final answer.
 */
export function decideOnResume(history: readonly Message[]): LoopDecision | { kind: 'call_model' } {
  const last = history[history.length - 1];
  if (!last)
    return {
      kind: 'error',
      error: new AgentError('config', 'Nothing to resume: the session has no messages. Start a run with agent.run(prompt).'),
    };
  if (last.role === 'user') return { kind: 'call_model' };
  const calls = toolUses(last);
  if (calls.length) return { kind: 'run_tools', calls };
  return { kind: 'final_answer', text: messageText(last) };
}
