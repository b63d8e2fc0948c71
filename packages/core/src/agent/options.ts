/**
 * Options of an {@link Agent} and the result of a run.
 * @module
 */
import type { ContextLimits, ContextLoadResult, ContextSource } from '../context-files.js';
import type { ConversationManager } from '../conversation/managers.js';
import type { AgentHook } from '../events.js';
import type { Message, ToolResultContent } from '../messages.js';
import type { Model, StopReason, ThinkingConfig, Usage } from '../model.js';
import type { ToolAuthorizer } from '../permissions/types.js';
import type { AuthorizationPolicy } from '../permissions/authorizer.js';
import type { GrantStore, PermissionRule } from '../permissions/grant.js';
import type { SessionStore } from '../session/types.js';
import type { Interrupt, JSONSchema } from '../session/run-state.js';
import type { Tool } from '../tools/tool.js';
import type { TelemetryOptions } from '../telemetry/agent-telemetry.js';
import type { Logger } from '../logger.js';
import type { Budget, Budgets } from './budget.js';
import type { OutputOption } from './structured-output.js';

/** Default bound on tool calls of one model turn that run at the same time. */
export const DEFAULT_MAX_CONCURRENT_TOOLS = 12;
/** Default bound on model calls in one run. */
export const DEFAULT_MAX_STEPS = 50;
/** Default time a person has to answer a permission request before it is denied. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 300_000;

/** Options of `new Agent(...)`. */
export interface AgentOptions {
  /** The model: `anthropic(...)`, `bedrock(...)`, `openaiCompatible(...)` or a `ScriptedModel`. */
  model: Model;
  systemPrompt?: string;
  // Tools are stored type-erased; each validates its own input before execute.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  tools?: Tool<any>[];
  /** Where conversations persist. Without one, memory lasts as long as the Agent object. */
  sessionStore?: SessionStore;
  /** Use this session (created when missing) instead of the newest of the store's directory. */
  sessionId?: string;
  /**
   * Decides which tool calls may run. Without one — and without `grantStore`, `permissionPolicy`,
   * `permissionRules` or `trustedTools` — every tool runs (as in the other TypeScript frameworks).
   */
  authorizer?: ToolAuthorizer;
  /** Where grants and the audit log live; builds a PermissionAuthorizer (default policy: ask when interactive, else deny). */
  grantStore?: GrantStore;
  /** Policy for calls no grant or rule covers: 'interactive' (ask), 'deny' or 'allow'. */
  permissionPolicy?: AuthorizationPolicy;
  /** Allow/deny rules (tool names or globs, argument matchers); deny wins. */
  permissionRules?: PermissionRule[];
  /** Tools (names or globs) that always run; deny rules still win. */
  trustedTools?: string[];
  /** Time a person has to answer a permission request (default {@link DEFAULT_APPROVAL_TIMEOUT_MS}). */
  approvalTimeoutMs?: number;
  /**
   * Whether a person can answer permission requests; when false, calls needing approval are
   * denied. Default: true with an explicit `authorizer` or `approvals: 'interrupt'`; otherwise whether stdin/stdout are a TTY.
   */
  interactive?: boolean;
  /** Tool calls of one turn that run at once (default {@link DEFAULT_MAX_CONCURRENT_TOOLS}). */
  maxConcurrentTools?: number;
  /** Model calls per run before the run fails with MaxStepsError (default {@link DEFAULT_MAX_STEPS}). */
  maxSteps?: number;
  /** Default time a tool may run (per tool `timeoutMs` wins); default DEFAULT_TOOL_TIMEOUT_MS. */
  toolTimeoutMs?: number;
  /** Chooses what part of the history is sent (default: token-aware sliding window). */
  conversationManager?: ConversationManager;
  /** Context files and inline context appended to the system prompt, resolved on every run. */
  contextFiles?: ContextSource[];
  contextLimits?: ContextLimits;
  /** Maximum output tokens per model call (default: the provider's). */
  maxTokens?: number;
  /** Extended thinking (providers that support it). */
  thinking?: ThinkingConfig;
  /** Hooks that see every event. */
  hooks?: AgentHook[];
  /**
   * OpenTelemetry GenAI spans and metrics of each run (invoke_agent → chat / execute_tool). On by
   * default through the global `@opentelemetry/api` providers, which cost next to nothing until an
   * SDK is registered; pass options to choose the tracer/meter or capture content, or `false` to
   * turn it off.
   */
  telemetry?: TelemetryOptions | false;
  /** Cost and token limits per run and per session; a call that would exceed one is not made (BudgetExceededError). */
  budget?: Budgets;
  /** Receives errors that are not thrown to the caller (a hook that throws, a failed background save). Default: {@link consoleLogger}. */
  logger?: Logger;
  /** Working directory for context files (default process.cwd()). */
  cwd?: string;
  /**
   * How a call that needs a person's approval waits: 'wait' holds the run (in-process
   * {@link ApprovalQueue}, `permission_required` + `respondToPermission`; what the CLI uses), or
   * 'interrupt' ends the run with status 'interrupted' and persists what is pending, to be
   * answered later with `agent.resume(...)` from any process (what the server passes per run).
   * Default 'wait'.
   */
  approvals?: ApprovalMode;
  /** Tools the client runs (declared here, executed elsewhere): a call ends the run as interrupted. */
  clientTools?: ClientToolDefinition[];
  /** How long an interrupt stays answerable (default {@link DEFAULT_INTERRUPT_TTL_MS}; 0: no expiry). */
  interruptTtlMs?: number;
  /** Bound on one tool result's text (default {@link DEFAULT_MAX_TOOL_RESULT_CHARS}); more is cut with a note to the model. */
  maxToolResultChars?: number;
}

/** How calls needing approval wait: in process ('wait') or as a persisted interrupt ('interrupt'). */
export type ApprovalMode = 'wait' | 'interrupt';

/** A tool declared to the model but executed by the client (e.g. a browser). */
export interface ClientToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the input (type object). */
  inputSchema: JSONSchema;
}

/** Extra context given to one run, delimited in the system prompt. */
export interface RunContextItem {
  description: string;
  value: string;
}

/** Per-run options. */
export interface RunOptions {
  /** Cancels the run: running tools get the signal; the session stays valid and resumable. */
  signal?: AbortSignal;
  /** Extra content (images, documents) sent with the prompt. */
  attachments?: Message['content'];
  /** Overrides {@link AgentOptions.approvals} for this run. */
  approvals?: ApprovalMode;
  /** Client tools for this run, besides {@link AgentOptions.clientTools}. */
  clientTools?: ClientToolDefinition[];
  /** Context items for this run, delimited in the system prompt. */
  context?: RunContextItem[];
  /** The thread state at the start of this run; replaces the stored one (tools read and update it). */
  state?: unknown;
  /**
   * The final answer must be JSON matching this schema (zod or JSON Schema); it is validated and
   * returned as `result.output`. An answer that does not match gets a repair turn (see
   * DEFAULT_OUTPUT_REPAIRS), then the run fails with a StructuredOutputError. Tools stay usable.
   */
  output?: OutputOption;
  /** This run's budget (overrides {@link AgentOptions.budget}'s `run`). */
  budget?: Budget;
}

/** One tool call of a run. */
export interface ToolCallRecord {
  toolUseId: string;
  name: string;
  input: unknown;
  output: ToolResultContent[];
  success: boolean;
  durationMs: number;
  /** What the tool reported it spent on a model (ToolContext.reportUsage); absent when it reported nothing. */
  usage?: Usage;
  /** The cost of `usage` in US dollars (0 when its prices are unknown). */
  costUsd?: number;
}

/** The result of `agent.run()`. */
export interface AgentResult {
  /** The final answer: the text of the last assistant message. */
  text: string;
  /** Token usage summed over the run's model calls, and what its tools reported spending on models (ToolContext.reportUsage). */
  usage: Usage;
  /** Cost in US dollars of the same, when prices are known. */
  cost?: number;
  /** Messages this run added to the conversation (user prompt, assistant turns, tool results). */
  messages: Message[];
  toolCalls: ToolCallRecord[];
  /** Model calls made. */
  steps: number;
  stopReason: StopReason;
  durationMs: number;
  sessionId?: string;
  /** Context loaded for this run. */
  context?: ContextLoadResult;
  /** 'interrupted': the run waits for answers to `interrupts` (resume with `agent.resume`). */
  status: 'completed' | 'interrupted';
  /** What the run waits for (empty when completed). */
  interrupts: Interrupt[];
  /** The thread state at the end of the run, when one is set. */
  state?: unknown;
  /** The validated final answer, when the run had an `output` schema. */
  output?: unknown;
}

/** The result of a run with an `output` schema: `output` is typed and present. */
export type AgentResultWithOutput<T> = AgentResult & { output: T };
