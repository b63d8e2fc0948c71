/**
 * Shows one agent run as it happens: the spinner until the first token, the answer as Markdown
 * block by block, each tool call (name and truncated input) before it runs and a compact result
 * after, and a status line at the end.
 *
 * Markdown: a block (paragraph, list, code block, table) is rendered as soon as it is complete;
 * the block still streaming is shown as plain text in place and replaced by its rendering when it
 * completes. Without a terminal, text is written as it arrives, unrendered.
 * @module
 */
import type { AgentEvent, Usage } from '@mixtape/core';
import { MarkdownBlockSplitter } from './blocks.js';
import { formatToolInput, formatToolResult, plural, statusLine, truncate, type StatusInfo } from './format.js';
import { LiveRegion, PlainRegion, type Region } from './live.js';
import type { MarkdownRenderer } from './markdown.js';
import type { Theme } from './theme.js';
import { widthOf, wrapText } from './wrap.js';

/** Options of {@link TurnView}. */
export interface TurnViewOptions {
  /** Where the answer goes. */
  out: NodeJS.WriteStream;
  /** Where tool calls, errors and the status line go when `out` is not a terminal. */
  info: NodeJS.WriteStream;
  theme: Theme;
  /** Markdown rendering; only used on a terminal. */
  markdown?: MarkdownRenderer;
  /** A tool's own rendering of its input, when it has one. */
  formatInput?: (toolName: string, input: unknown) => string | undefined;
  /** Shows nothing (e.g. `--json`, where the events themselves are the output). */
  silent?: boolean;
  /** The text shown for a failed run (mixtape's advice instead of the library's). */
  describeError?: (event: Extract<AgentEvent, { type: 'run_failed' }>) => string;
  /** Receives each finished thinking block (shown collapsed; the REPL expands it on a key). */
  onThinking?: (thinking: string) => void;
  /** Seconds without output, after text began, before the stall notice (default {@link STALL_NOTICE_MS}). */
  stallNoticeMs?: number;
}

/** Time without any event, once the answer has begun, after which a stall notice is shown. */
export const STALL_NOTICE_MS = 5_000;
/** How often the stall watch looks. */
export const STALL_CHECK_MS = 500;

/** The collapsed line standing for a thinking block. */
export function thinkingChip(thinking: string, seconds: number, theme: Theme): string {
  const lines = thinking.trimEnd().split('\n').length;
  if (theme.plain) return `${theme.sym.thinking} ${plural(lines, 'line')} of reasoning, hidden. Type /thinking to read it.`;
  return theme.dim(`${theme.sym.thinking} Thought for ${seconds}s (${plural(lines, 'line')}) · Ctrl+O to expand`);
}

/** Renders the events of one run. */
export class TurnView {
  /** The live region, when `out` is a terminal (and output is not plain). */
  readonly live: LiveRegion | undefined;
  /** Where spinners, questions and stall notices go: the live region, or plain lines (`--plain`). */
  readonly region: Region | undefined;
  private readonly splitter = new MarkdownBlockSplitter();
  private readonly options: TurnViewOptions;
  private readonly running = new Map<string, string>();
  /** Calls a person was asked about (the question shows the answer in place). */
  private readonly asked = new Set<string>();
  /** Calls that were denied (their tool_failed repeats the denial). */
  private readonly denied = new Set<string>();
  private wroteText = false;
  private textEndsWithNewline = true;
  /** No text shown yet for the current model call. */
  private newStep = true;
  private printedBlocks = 0;
  private thinking = '';
  private thinkingStarted = 0;
  private lastEventAt = Date.now();
  private stallTimer: NodeJS.Timeout | undefined;
  private muted = false;

  constructor(options: TurnViewOptions) {
    this.options = options;
    const tty = Boolean(options.out.isTTY) && !options.silent;
    this.live = tty && !options.theme.plain ? new LiveRegion(options.out, options.theme) : undefined;
    this.region = this.live ?? (tty ? new PlainRegion(options.out) : undefined);
  }

  /** Handles one event. */
  handle(event: AgentEvent): void {
    const { theme } = this.options;
    if (this.options.silent || this.muted) return;
    this.lastEventAt = Date.now();
    this.region?.setStall(undefined);
    if (this.thinking && !(event.type === 'model_call_streaming' && event.kind === 'thinking')) this.endThinking();
    const sym = theme.sym;
    switch (event.type) {
      case 'model_call_started':
        this.newStep = true;
        this.region?.spin('thinking');
        return;
      case 'model_call_streaming':
        if (event.kind === 'thinking') {
          if (!this.thinking) this.thinkingStarted = Date.now();
          this.thinking += event.delta;
          this.region?.spin('thinking (reasoning)');
          return;
        }
        this.text(event.delta);
        return;
      case 'model_call_completed':
        this.flushText();
        return;
      case 'tool_requested': {
        // Tools and approval questions are not the model going quiet: the stall watch restarts with the next text.
        this.stopStallWatch();
        this.flushText();
        const input = formatToolInput(event.input, undefined, this.options.formatInput?.(event.name, event.input));
        this.running.set(event.toolUseId, event.name);
        this.line(`${theme.magenta(sym.tool)} ${theme.bold(event.name)}${theme.dim('(')}${input}${theme.dim(')')}`);
        return;
      }
      case 'tool_executing':
        this.region?.spin(`running ${event.name}`);
        return;
      case 'tool_progress':
        this.region?.spin(progressLabel(event));
        return;
      case 'tool_completed': {
        const result = formatToolResult(event.outputText);
        this.line(`  ${theme.dim(sym.result)} ${this.prefix(event.toolUseId, event.name)}${theme.dim(result)}`);
        this.running.delete(event.toolUseId);
        this.region?.spin('thinking');
        return;
      }
      case 'permission_required':
        this.stopStallWatch();
        this.asked.add(event.toolUseId);
        return;
      case 'tool_failed':
        if (this.denied.has(event.toolUseId)) return;
        this.line(`  ${theme.dim(sym.result)} ${this.prefix(event.toolUseId, event.name)}${theme.red(truncate(event.error, 200))}`);
        this.running.delete(event.toolUseId);
        this.region?.spin('thinking');
        return;
      case 'permission_denied':
        this.denied.add(event.toolUseId);
        if (!this.asked.has(event.toolUseId)) {
          this.line(
            `  ${theme.dim(sym.result)} ${this.prefix(event.toolUseId, event.toolName)}${theme.yellow(`denied: ${truncate(event.reason, 400)}`)}`,
          );
        }
        this.running.delete(event.toolUseId);
        return;
      case 'run_failed':
        this.flushText();
        this.stopStallWatch();
        this.region?.clear();
        if (event.aborted) this.line(theme.yellow(`${sym.cancelled} Cancelled. The conversation so far is saved.`));
        else this.line(theme.red(`${sym.error} ${this.options.describeError?.(event) ?? event.error}`));
        return;
      case 'run_completed':
        this.flushText();
        this.stopStallWatch();
        this.region?.clear();
        return;
      default:
        return;
    }
  }

  /** Prints the status line (context, tokens, cost, session). */
  status(info: StatusInfo): void {
    if (this.options.silent) return;
    this.line(statusLine(info, this.options.theme));
  }

  /** Shows nothing more (the reader of the output went away). */
  mute(): void {
    this.muted = true;
    this.stopStallWatch();
  }

  /** Removes the spinner and anything live. */
  stop(): void {
    if (this.thinking) this.endThinking();
    this.flushText();
    this.stopStallWatch();
    this.region?.clear();
  }

  /** Prints the last thinking block in full (the key that expands the collapsed line). */
  expandThinking(text: string | undefined): void {
    const { theme } = this.options;
    this.line(text ? theme.dim(text.trimEnd()) : theme.dim('No thinking to show yet.'));
  }

  private endThinking(): void {
    const thinking = this.thinking;
    this.thinking = '';
    this.options.onThinking?.(thinking);
    if (!this.region) return;
    this.line(thinkingChip(thinking, Math.max(1, Math.round((Date.now() - this.thinkingStarted) / 1000)), this.options.theme));
  }

  /** Starts watching for a stall once the answer has begun. */
  private watchStall(): void {
    if (this.stallTimer || !this.region) return;
    const limit = this.options.stallNoticeMs ?? STALL_NOTICE_MS;
    this.stallTimer = setInterval(() => {
      const idle = Date.now() - this.lastEventAt;
      if (idle >= limit) this.region?.setStall(Math.floor(idle / 1000));
    }, STALL_CHECK_MS);
    this.stallTimer.unref();
  }

  private stopStallWatch(): void {
    if (this.stallTimer) clearInterval(this.stallTimer);
    this.stallTimer = undefined;
  }

  /** Prints a line that stays (info stream without a terminal). */
  line(text: string): void {
    if (this.live) {
      this.live.print(text);
      return;
    }
    if (this.options.info === this.options.out && !this.textEndsWithNewline) {
      this.options.out.write('\n');
      this.textEndsWithNewline = true;
    }
    this.options.info.write(text + '\n');
  }

  /** Whether any answer text was shown. */
  get hasText(): boolean {
    return this.wroteText;
  }

  private prefix(toolUseId: string, name: string): string {
    // With several calls in flight, say which one this result belongs to.
    return this.running.size > 1 || !this.running.has(toolUseId) ? `${this.options.theme.dim(name + ':')} ` : '';
  }

  private text(delta: string): void {
    if (!delta) return;
    this.watchStall();
    if (!this.live) {
      if (this.region) this.region.stopSpinner();
      // The text of a later step starts after a blank line, like a new paragraph.
      if (this.newStep && this.wroteText) this.options.out.write(this.textEndsWithNewline ? '\n' : '\n\n');
      this.options.out.write(delta);
      this.wroteText = true;
      this.newStep = false;
      this.textEndsWithNewline = delta.endsWith('\n');
      return;
    }
    this.wroteText = true;
    this.live.stopSpinner();
    for (const block of this.splitter.push(delta)) this.printBlock(block);
    this.live.setPreview(wrapText(this.splitter.pending(), widthOf(this.options.out)));
  }

  private flushText(): void {
    if (!this.live) {
      if (!this.textEndsWithNewline) {
        this.options.out.write('\n');
        this.textEndsWithNewline = true;
      }
      return;
    }
    const last = this.splitter.end();
    this.live.setPreview('');
    if (last !== undefined) this.printBlock(last);
  }

  private printBlock(block: string): void {
    const rendered = this.options.markdown ? this.options.markdown(block) : block;
    // One blank line between blocks, as in the Markdown source.
    this.live!.print((this.printedBlocks++ > 0 ? '\n' : '') + rendered);
  }
}

/** Characters of a tool's progress message shown in the spinner. */
export const MAX_PROGRESS_MESSAGE_CHARS = 80;

/** The spinner's text for a progress report: "running ev_long: step 2 (2/3, 67%)". */
export function progressLabel(event: { name: string; progress: number; total?: number; message?: string }): string {
  const { progress, total } = event;
  const amount =
    total !== undefined && total > 0 ? `${progress}/${total}, ${Math.min(100, Math.round((progress / total) * 100))}%` : String(progress);
  const message = event.message ? `${truncate(event.message, MAX_PROGRESS_MESSAGE_CHARS)} ` : '';
  return `running ${event.name}: ${message}(${amount})`;
}

/** Sums usage (for `/cost`). */
export function addUsageTo(total: Usage, u: Usage): void {
  total.inputTokens += u.inputTokens;
  total.outputTokens += u.outputTokens;
  total.cacheReadTokens = (total.cacheReadTokens ?? 0) + (u.cacheReadTokens ?? 0);
  total.cacheWriteTokens = (total.cacheWriteTokens ?? 0) + (u.cacheWriteTokens ?? 0);
}

/** A run's usage and cost with extra spending added (MCP sampling no run could count); cost stays unknown when both are. */
export function withExtraUsage(
  run: { usage: Usage; cost?: number },
  extra: { usage: Usage; costUsd: number },
): { usage: Usage; costUsd?: number } {
  const usage = { ...run.usage };
  addUsageTo(usage, extra.usage);
  const unknown = run.cost === undefined && extra.costUsd === 0;
  return { usage, ...(!unknown && { costUsd: (run.cost ?? 0) + extra.costUsd }) };
}
