/**
 * Small text formatters: truncation, token counts, cost, tool calls and results, the status line.
 * Pure functions (no colours unless a theme is given), so they are easy to test.
 * @module
 */
import type { ContextUsage, Usage } from '@mixtape/core';
import type { Theme } from './theme.js';

/** Characters of a tool call's input shown before it runs. */
export const MAX_TOOL_INPUT_CHARS = 120;
/** Characters of a tool result's first line shown after it ran. */
export const MAX_TOOL_RESULT_CHARS = 100;
/** Characters of a message shown by `/history`. */
export const MAX_HISTORY_LINE_CHARS = 100;
/** Context usage (fraction) from which the status line warns. */
export const CONTEXT_WARNING_RATIO = 0.75;
/** Context usage (fraction) from which the status line shows an alarm colour. */
export const CONTEXT_CRITICAL_RATIO = 0.9;

/** Cuts `text` to `max` characters (code points), ending with '…' when cut. One line only. */
export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ⏎ ');
  const chars = [...oneLine];
  if (chars.length <= max) return oneLine;
  return chars.slice(0, Math.max(1, max - 1)).join('') + '…';
}

/** 950 → "950", 12_345 → "12.3k", 200_000 → "200k", 2_000_000 → "2M". */
export function formatTokens(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${trimZero((n / 1000).toFixed(1))}k`;
  return `${trimZero((n / 1_000_000).toFixed(1))}M`;
}

function trimZero(s: string): string {
  return s.endsWith('.0') ? s.slice(0, -2) : s;
}

/** Decimal places of every cost the CLI shows (one format everywhere: $0.0042, $0.0000, $1.2300). */
export const COST_DECIMALS = 4;

/** US dollars, always with {@link COST_DECIMALS} decimals: $0.0042, $0.0000, $12.3456. */
export function formatCost(usd: number): string {
  return `$${(Math.round(usd * 10 ** COST_DECIMALS) / 10 ** COST_DECIMALS).toFixed(COST_DECIMALS)}`;
}

/** Renders a value compactly: strings in quotes, objects as `key: value` pairs. */
function compactValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

/**
 * A tool call's input on one line: the tool's own `formatInput` when given, else `key: value`
 * pairs of an object input; truncated to `max` characters.
 */
export function formatToolInput(input: unknown, max = MAX_TOOL_INPUT_CHARS, formatted?: string): string {
  if (formatted !== undefined) return truncate(formatted, max);
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const parts = Object.entries(input as Record<string, unknown>).map(([k, v]) => `${k}: ${compactValue(v)}`);
    return truncate(parts.join(', '), max);
  }
  return truncate(compactValue(input), max);
}

/** A compact one-line summary of a tool's result: its first line, plus how many more lines. */
export function formatToolResult(text: string, max = MAX_TOOL_RESULT_CHARS): string {
  const trimmed = text.replace(/\s+$/, '');
  if (trimmed === '') return '(no output)';
  const lines = trimmed.split('\n');
  const first = truncate(lines[0]!.trim() === '' ? (lines.find((l) => l.trim() !== '') ?? '') : lines[0]!, max);
  return lines.length > 1 ? `${first} (+${lines.length - 1} lines)` : first;
}

/** Numbers shown by the status line. */
export interface StatusInfo {
  context: ContextUsage;
  /** Tokens of the last run (or this process's total). */
  usage?: Usage;
  costUsd?: number;
  sessionId?: string;
  messageCount?: number;
  /** The run's limits (--max-cost, the config's "budget.run"): shown as spent / limit. */
  budget?: { maxCostUsd?: number; maxTokens?: number };
}

/**
 * "context 3.2k / 200k (2%) · 1.2k in · 340 out · $0.0041 · session 1a2b3c4d (12 messages)"; with a
 * run budget the cost (and tokens) read spent / limit: "$0.0041 / $0.5000 · 1.5k / 20k tokens".
 */
export function statusLine(info: StatusInfo, theme?: Theme): string {
  const { context } = info;
  const pct = Math.round(context.usagePercentage * 100);
  let ctx = `context ${formatTokens(context.contextTokens)} / ${formatTokens(context.maxContextTokens)} (${pct}%)`;
  if (theme) {
    if (context.usagePercentage >= CONTEXT_CRITICAL_RATIO) ctx = theme.red(ctx);
    else if (context.usagePercentage >= CONTEXT_WARNING_RATIO) ctx = theme.yellow(ctx);
  }
  const parts = [ctx];
  const dot = theme?.plain ? ',' : ' ·';
  if (info.usage) parts.push(`${formatTokens(info.usage.inputTokens)} in${dot} ${formatTokens(info.usage.outputTokens)} out`);
  const budget = info.budget;
  if (budget?.maxCostUsd !== undefined) parts.push(`${formatCost(info.costUsd ?? 0)} / ${formatCost(budget.maxCostUsd)}`);
  else if (info.costUsd !== undefined) parts.push(formatCost(info.costUsd));
  if (budget?.maxTokens !== undefined) {
    const u = info.usage;
    const spent = u ? u.inputTokens + u.outputTokens + (u.cacheReadTokens ?? 0) + (u.cacheWriteTokens ?? 0) : 0;
    parts.push(`${formatTokens(spent)} / ${formatTokens(budget.maxTokens)} tokens`);
  }
  if (info.sessionId)
    parts.push(`session ${shortId(info.sessionId)}${info.messageCount !== undefined ? ` (${plural(info.messageCount, 'message')})` : ''}`);
  const line = parts.join(`${dot} `);
  return theme ? theme.dim(line) : line;
}

/** The first 8 characters of a session id (as the Rust original shows them). */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** "1 message", "3 messages". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function timeAgo(date: Date, now: Date = new Date()): string {
  const s = Math.max(0, (now.getTime() - date.getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  const d = Math.floor(s / 86_400);
  return `${d} day${d === 1 ? '' : 's'} ago`;
}
