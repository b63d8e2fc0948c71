/**
 * The workload the loop benches share: an `echo` tool and a ScriptedModel script of STEPS turns
 * with two parallel tool calls each, then a final answer.
 */
import { z } from 'zod';
import { tool } from '@mixtape/core';
import type { ScriptedModel } from '@mixtape/core/testing';

/** Tool-calling turns per run (plus one final answer). */
export const STEPS = 5;

/** A tool that answers with its input. */
export const echo = tool({ name: 'echo', description: 'echo', input: z.object({ n: z.number() }), execute: ({ n }) => String(n) });

/** Queues STEPS turns of two parallel `echo` calls, then the final answer 'done'. */
export function script(model: ScriptedModel): ScriptedModel {
  for (let s = 0; s < STEPS; s++)
    model.toolUses([
      { name: 'echo', input: { n: s } },
      { name: 'echo', input: { n: s + 100 } },
    ]);
  return model.text('done');
}
