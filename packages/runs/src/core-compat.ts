/**
 * The one place where a worker drives an agent: first attempt (`run`), resume with answers
 * (`resume(answers)`), and continuation of an attempt that died mid-step (`resume([])`), as the
 * core interrupts API defines them.
 * @module
 */
import type { Agent, AgentResult, RunOptions } from '@mixtape/core';

/** One thing a paused run waits for (the core interrupts API's `Interrupt`). */
export interface Interrupt {
  id: string;
  reason: 'tool_call' | 'client_tool';
  toolCallId: string;
  toolName: string;
  input: unknown;
  message: string;
  responseSchema?: Record<string, unknown>;
  expiresAt?: string;
  createdAt: string;
}

/** An answer to one interrupt (the core interrupts API's `InterruptAnswer`). */
export type InterruptAnswer =
  | { interruptId: string; type: 'approve'; editedInput?: unknown; remember?: 'session' | 'project' | 'user' }
  | { interruptId: string; type: 'deny'; reason?: string }
  | { interruptId: string; type: 'result'; content: unknown; isError?: boolean }
  | { interruptId: string; type: 'cancel' };

/** An agent result with the interrupts API's fields (absent on agents that predate it). */
export type DurableAgentResult = AgentResult & { status?: 'completed' | 'interrupted'; interrupts?: Interrupt[] };

type Resumable = { resume(answers: InterruptAnswer[], options?: RunOptions): Promise<DurableAgentResult> };

function resumable(agent: Agent): Resumable {
  const a = agent as unknown as Partial<Resumable>;
  if (typeof a.resume !== 'function') throw new Error('This @mixtape/core Agent has no resume(); durable runs need the interrupts API (agent.resume).');
  return a as Resumable;
}

/** How an attempt enters the agent. */
export type Entry = { kind: 'prompt'; prompt: string } | { kind: 'resume'; answers: InterruptAnswer[] } | { kind: 'continue' };

/** Runs one attempt of a durable run on `agent`. */
export async function driveAgent(agent: Agent, entry: Entry, options: RunOptions): Promise<DurableAgentResult> {
  if (entry.kind === 'prompt') return (await agent.run(entry.prompt, options)) as DurableAgentResult;
  if (entry.kind === 'resume') return resumable(agent).resume(entry.answers, options);
  return resumable(agent).resume([], options);
}
