/**
 * Agent events: a discriminated union on `type`, with the seed's names and the data the Rust
 * original carries. Every event also has `runId` and `timestamp` (ms since epoch).
 * @module
 */
import type { Message, ToolResultContent } from './messages.js';
import type { StopReason, Usage } from './model.js';
import type { GrantScope } from './permissions/types.js';
import type { AgentErrorKind } from './agent/errors.js';
import type { Interrupt, InterruptAnswer } from './session/run-state.js';

interface Base {
  runId: string;
  timestamp: number;
}

export type AgentEvent = Base &
  (
    | { type: 'run_started'; input: string; sessionId?: string }
    | { type: 'run_completed'; output: string; durationMs: number; usage: Usage; costUsd?: number; steps: number }
    | {
        type: 'run_failed';
        error: string;
        errorName: string;
        /** Why the run failed (AgentError kind). */
        kind: AgentErrorKind;
        /** The provider's error kind and HTTP status, when a provider call failed. */
        provider?: { kind: string; status?: number; attempts?: number };
        durationMs: number;
        aborted: boolean;
      }
    | { type: 'model_call_started'; step: number; messageCount: number; toolCount: number }
    | { type: 'model_call_streaming'; delta: string; accumulatedLength: number; kind: 'text' | 'thinking' }
    | {
        type: 'model_call_completed';
        step: number;
        responseContent: string;
        message: Message;
        usage: Usage;
        costUsd?: number;
        durationMs: number;
        stopReason: StopReason;
      }
    | { type: 'tool_requested'; toolUseId: string; name: string; input: unknown }
    | { type: 'tool_executing'; toolUseId: string; name: string }
    /** Progress reported by a running tool (e.g. an MCP server's progress notifications). */
    | { type: 'tool_progress'; toolUseId: string; name: string; progress: number; total?: number; message?: string }
    | { type: 'tool_completed'; toolUseId: string; name: string; output: ToolResultContent[]; outputText: string; durationMs: number }
    | { type: 'tool_failed'; toolUseId: string; name: string; error: string; durationMs: number }
    | {
        type: 'permission_required';
        /** Id to answer with `agent.respondToPermission` (equals the tool use id). */
        proposalId: string;
        toolUseId: string;
        toolName: string;
        params: unknown;
        /** SHA-256 of the canonical JSON of `params` (for exact-call grants). */
        paramsHash: string;
        /** Short human rendering of the call, when the tool provides one. */
        display?: string;
      }
    | { type: 'permission_granted'; toolUseId: string; toolName: string; scope: GrantScope | 'once'; reason?: string }
    | { type: 'permission_denied'; toolUseId: string; toolName: string; reason: string }
    | { type: 'session_resumed'; sessionId: string; messageCount: number; createdAt: Date; repaired: boolean }
    | { type: 'session_saved'; sessionId: string; messageCount: number }
    /** The run stopped to wait for answers (approvals, client tools); its last event. Resume with `agent.resume(answers)`. */
    | { type: 'run_interrupted'; interrupts: Interrupt[]; sessionId?: string; durationMs: number; usage: Usage; steps: number }
    /** A resumed run applied these answers (first event after `run_started`). */
    | { type: 'run_resumed'; answers: InterruptAnswer[] }
    /** A piece of a tool call's input JSON, as the model writes it. */
    | { type: 'tool_input_streaming'; toolUseId: string; name: string; delta: string }
    /** The thread state changed (a tool set it, or the run was given one). */
    | { type: 'state_changed'; state: unknown }
    /** A partial structured answer (runs with an `output` schema), as the model writes it. */
    | { type: 'output_streaming'; partial: unknown }
  );

/** The `type` of an {@link AgentEvent}. */
export type AgentEventType = AgentEvent['type'];

/** The event of a given type. */
export type AgentEventOf<T extends AgentEventType> = Extract<AgentEvent, { type: T }>;

/** A function that observes every event of an agent. Hooks that throw do not break the run. */
export type AgentHook = (event: AgentEvent) => void | Promise<void>;
