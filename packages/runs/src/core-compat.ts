/**
 * The one place where a worker drives an agent, with the core interrupts API: the first attempt
 * of a prompt (`run`), a resume with answers (`resume(answers)`: core replays or continues an
 * answer set it already applied), and the continuation of an attempt that died mid-step
 * (`resume([])`: completed tool calls are not run again; calls cut off follow `retrySafe`).
 * @module
 */
import { type Agent, type AgentResult, type InterruptAnswer, InterruptError, type RunOptions } from '@mixtape/core';

export type { Interrupt, InterruptAnswer } from '@mixtape/core';

/** How an attempt enters the agent. */
export type Entry = { kind: 'prompt'; prompt: string } | { kind: 'resume'; answers: InterruptAnswer[] } | { kind: 'continue' };

/** Runs one attempt of a durable run on `agent`. */
export async function driveAgent(agent: Agent, entry: Entry, options: RunOptions): Promise<AgentResult> {
  if (entry.kind === 'prompt') return agent.run(entry.prompt, options);
  if (entry.kind === 'resume') return agent.resume(entry.answers, options);
  try {
    return await agent.resume([], options);
  } catch (error) {
    // The earlier attempt had reached an interrupt (and died before recording the run's end).
    if (error instanceof InterruptError && error.code === 'unanswered') return interruptedResult(error);
    throw error;
  }
}

function interruptedResult(error: InterruptError): AgentResult {
  return {
    text: '',
    usage: { inputTokens: 0, outputTokens: 0 },
    messages: [],
    toolCalls: [],
    steps: 0,
    stopReason: 'tool_use',
    durationMs: 0,
    status: 'interrupted',
    interrupts: error.interrupts,
  };
}
