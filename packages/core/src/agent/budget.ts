/**
 * Budgets: a run (or a whole session) stops with a typed error before a model call that would
 * take it past its cost or token limit. The next call's cost is estimated from the catalogue's
 * prices: the window's estimated input tokens, plus an output allowance (the largest output of
 * this run so far, at least {@link DEFAULT_BUDGET_OUTPUT_TOKENS}, at most the call's max tokens).
 * @module
 */
import { costOf, type ModelPricing } from '../models/catalogue.js';
import type { Usage } from '../model.js';
import { AgentError } from './errors.js';

/** Output tokens assumed for the next model call when estimating whether it fits a budget. */
export const DEFAULT_BUDGET_OUTPUT_TOKENS = 1_024;

/** Limits of one scope. Cache reads and writes count as input tokens. */
export interface Budget {
  /** US dollars (needs the model's prices in the catalogue). */
  maxCostUsd?: number;
  /** Input plus output tokens. */
  maxTokens?: number;
}

/** Budgets per run and per session (`new Agent({ budget })`; a run's `budget` option overrides `run`). */
export interface Budgets {
  run?: Budget;
  session?: Budget;
}

/** What has been spent in a scope. */
export interface Spent {
  tokens: number;
  costUsd: number;
}

/** A model call would exceed a budget; nothing was sent. */
export class BudgetExceededError extends AgentError {
  override readonly name = 'BudgetExceededError';
  constructor(
    readonly scope: 'run' | 'session',
    readonly limit: 'cost' | 'tokens',
    readonly max: number,
    readonly spent: number,
    readonly estimate: number,
  ) {
    const fmt = (n: number) => (limit === 'cost' ? `$${n.toFixed(4)}` : `${Math.round(n)} tokens`);
    super(
      'budget',
      `The ${scope} budget of ${fmt(max)} would be exceeded: ${fmt(spent)} spent and the next model call is estimated at ${fmt(estimate)}. ` +
        `Raise budget.${scope}.${limit === 'cost' ? 'maxCostUsd' : 'maxTokens'}${scope === 'session' ? ', or start a new session' : ''}. What the run did so far is saved.`,
    );
  }
}

/** Tokens of a usage record, cache included. */
export function usageTokens(u: Usage): number {
  return u.inputTokens + u.outputTokens + (u.cacheReadTokens ?? 0) + (u.cacheWriteTokens ?? 0);
}

/** The estimated usage and cost of the next call. */
export function estimateNextCall(
  inputTokens: number,
  largestOutput: number,
  maxOutputTokens: number | undefined,
  pricing: ModelPricing | undefined,
): { tokens: number; costUsd: number | undefined } {
  let output = Math.max(DEFAULT_BUDGET_OUTPUT_TOKENS, largestOutput);
  if (maxOutputTokens !== undefined) output = Math.min(output, maxOutputTokens);
  return { tokens: inputTokens + output, costUsd: costOf({ inputTokens, outputTokens: output }, pricing) };
}

/**
 * Throws a {@link BudgetExceededError} when spending `next` would take a scope past its limits.
 * A cost limit with unknown prices (`next.costUsd` undefined) is checked against what was spent only.
 */
export function checkBudgets(
  budgets: { run?: Budget | undefined; session?: Budget | undefined },
  spent: { run: Spent; session?: Spent | undefined },
  next: { tokens: number; costUsd: number | undefined },
): void {
  const scopes: ['run' | 'session', Budget | undefined, Spent | undefined][] = [
    ['run', budgets.run, spent.run],
    ['session', budgets.session, spent.session],
  ];
  for (const [scope, budget, s] of scopes) {
    if (!budget || !s) continue;
    if (budget.maxTokens !== undefined && s.tokens + next.tokens > budget.maxTokens)
      throw new BudgetExceededError(scope, 'tokens', budget.maxTokens, s.tokens, next.tokens);
    if (budget.maxCostUsd !== undefined && s.costUsd + (next.costUsd ?? 0) > budget.maxCostUsd)
      throw new BudgetExceededError(scope, 'cost', budget.maxCostUsd, s.costUsd, next.costUsd ?? 0);
  }
}
