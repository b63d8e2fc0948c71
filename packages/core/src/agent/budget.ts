/**
 * Budgets: a run (or a whole session) stops with a typed error before a model call that would
 * take it past its cost or token limit. The next call's cost is estimated from the catalogue's
 * prices: the window's estimated input tokens, plus an output allowance (the largest output of
 * this run so far, at least {@link DEFAULT_BUDGET_OUTPUT_TOKENS}, at most the call's max tokens).
 * Usage tools report (`ToolContext.reportUsage`) counts too, and is checked as it arrives.
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

/**
 * A model call would exceed a budget (nothing was sent), or usage a tool reported
 * (`ToolContext.reportUsage`) took the run past one (`tool` names it; `estimate` is 0).
 */
export class BudgetExceededError extends AgentError {
  override readonly name = 'BudgetExceededError';
  /** The tool whose reported usage exceeded the budget (absent: a model call would have). */
  readonly tool?: string;
  constructor(
    readonly scope: 'run' | 'session',
    readonly limit: 'cost' | 'tokens',
    readonly max: number,
    readonly spent: number,
    readonly estimate: number,
    options?: { tool?: string },
  ) {
    const fmt = (n: number) => (limit === 'cost' ? `$${n.toFixed(4)}` : `${Math.round(n)} tokens`);
    const what =
      options?.tool !== undefined
        ? `The ${scope} budget of ${fmt(max)} was exceeded: ${fmt(spent)} spent, counting what the tool ${options.tool} reported it spent on a model; the tool calls still running were cancelled. `
        : `The ${scope} budget of ${fmt(max)} would be exceeded: ${fmt(spent)} spent and the next model call is estimated at ${fmt(estimate)}. `;
    super(
      'budget',
      what +
        `Raise budget.${scope}.${limit === 'cost' ? 'maxCostUsd' : 'maxTokens'}${scope === 'session' ? ', or start a new session' : ''}. What the run did so far is saved.`,
    );
    if (options?.tool !== undefined) this.tool = options.tool;
  }
}

/**
 * Checks and copies usage a tool reported (`ToolContext.reportUsage`): token counts and the cost
 * must be non-negative finite numbers.
 * @throws TypeError naming the bad field.
 */
export function reportedUsage(usage: unknown, costUsd: unknown): { usage: Usage; costUsd: number | undefined } {
  const bad = (field: string, value: unknown) =>
    new TypeError(`reportUsage: ${field} must be a non-negative finite number, got ${typeof value === 'number' ? value : typeof value}.`);
  const count = (value: unknown, field: string, optional: boolean): number | undefined => {
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw bad(field, value);
    return value;
  };
  if (typeof usage !== 'object' || usage === null)
    throw new TypeError(
      `reportUsage: usage must be an object { inputTokens, outputTokens }, got ${usage === null ? 'null' : typeof usage}.`,
    );
  const u = usage as Record<string, unknown>;
  const copy: Usage = {
    inputTokens: count(u.inputTokens, 'usage.inputTokens', false)!,
    outputTokens: count(u.outputTokens, 'usage.outputTokens', false)!,
  };
  const read = count(u.cacheReadTokens, 'usage.cacheReadTokens', true);
  const write = count(u.cacheWriteTokens, 'usage.cacheWriteTokens', true);
  if (read !== undefined) copy.cacheReadTokens = read;
  if (write !== undefined) copy.cacheWriteTokens = write;
  return { usage: copy, costUsd: count(costUsd, 'costUsd', true) };
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
 * `tool`: the check follows usage that tool reported (`next` is then zero).
 */
export function checkBudgets(
  budgets: { run?: Budget | undefined; session?: Budget | undefined },
  spent: { run: Spent; session?: Spent | undefined },
  next: { tokens: number; costUsd: number | undefined },
  tool?: string,
): void {
  const options = tool !== undefined ? { tool } : undefined;
  const scopes: ['run' | 'session', Budget | undefined, Spent | undefined][] = [
    ['run', budgets.run, spent.run],
    ['session', budgets.session, spent.session],
  ];
  for (const [scope, budget, s] of scopes) {
    if (!budget || !s) continue;
    if (budget.maxTokens !== undefined && s.tokens + next.tokens > budget.maxTokens)
      throw new BudgetExceededError(scope, 'tokens', budget.maxTokens, s.tokens, next.tokens, options);
    if (budget.maxCostUsd !== undefined && s.costUsd + (next.costUsd ?? 0) > budget.maxCostUsd)
      throw new BudgetExceededError(scope, 'cost', budget.maxCostUsd, s.costUsd, next.costUsd ?? 0, options);
  }
}
