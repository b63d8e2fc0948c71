/**
 * A deterministic fake model whose answers depend only on the conversation, so any process can
 * continue a run another process started (the durable-runs tests kill workers mid-run).
 *
 * The run's prompt is `plan {"tag":"…","steps":N,"fanout":K}`. While fewer than N assistant turns
 * follow the prompt, the model answers a few words of text and K parallel `record` tool calls
 * with ids derived from the tag and step; then it answers `done <tag>`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Message, Model, ModelRequest, ModelStreamEvent } from '@mixtape/core';

/** The plan a prompt carries. */
export interface Plan {
  tag: string;
  steps: number;
  fanout: number;
  /** Upper bound of a random pause between streamed words (ms). */
  jitterMs?: number;
}

/** The prompt of a plan. */
export function planPrompt(plan: Plan): string {
  return `plan ${JSON.stringify(plan)}`;
}

function findPlan(messages: Message[]): { plan: Plan; index: number } {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user') continue;
    for (const b of m.content)
      if (b.type === 'text' && b.text.startsWith('plan ')) return { plan: JSON.parse(b.text.slice(5)) as Plan, index: i };
  }
  throw new Error('PlanModel: no plan prompt in the conversation');
}

/** The model. */
export class PlanModel implements Model {
  readonly provider = 'plan';
  readonly modelId = 'plan-model';

  async *stream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
    const { plan, index } = findPlan(request.messages);
    const step = request.messages.slice(index + 1).filter((m) => m.role === 'assistant').length;
    const jitter = plan.jitterMs ?? 0;
    const words = step < plan.steps ? ['working ', 'on ', `step ${step}`] : ['done ', plan.tag];
    let text = '';
    for (const w of words) {
      if (jitter) await sleep(Math.floor(Math.random() * jitter), undefined, { signal: request.signal });
      text += w;
      yield { type: 'text_delta', text: w };
    }
    const usage = { inputTokens: 10, outputTokens: 5 };
    if (step >= plan.steps) {
      yield { type: 'response', response: { content: [{ type: 'text', text }], stopReason: 'end_turn', usage } };
      return;
    }
    const calls = Array.from({ length: plan.fanout }, (_, j) => ({
      type: 'tool_use' as const,
      id: `tu_${plan.tag}_${step}_${j}`,
      name: 'record',
      input: { tag: plan.tag, step, j },
    }));
    yield { type: 'response', response: { content: [{ type: 'text', text }, ...calls], stopReason: 'tool_use', usage } };
  }
}
