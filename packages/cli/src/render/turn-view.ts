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
import { formatToolInput, formatToolResult, statusLine, truncate, type StatusInfo } from './format.js';
import { LiveRegion } from './live.js';
import type { MarkdownRenderer } from './markdown.js';
import type { Theme } from './theme.js';

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
}

/** Renders the events of one run. */
export class TurnView {
  /** The live region, when `out` is a terminal. */
  readonly live: LiveRegion | undefined;
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

  constructor(options: TurnViewOptions) {
    this.options = options;
    this.live = options.out.isTTY && !options.silent ? new LiveRegion(options.out, options.theme) : undefined;
  }

  /** Handles one event. */
  handle(event: AgentEvent): void {
    const { theme } = this.options;
    if (this.options.silent) return;
    switch (event.type) {
      case 'model_call_started':
        this.newStep = true;
        this.live?.spin('thinking');
        return;
      case 'model_call_streaming':
        if (event.kind === 'thinking') {
          this.live?.spin('thinking (reasoning)');
          return;
        }
        this.text(event.delta);
        return;
      case 'model_call_completed':
        this.flushText();
        return;
      case 'tool_requested': {
        this.flushText();
        const input = formatToolInput(event.input, undefined, this.options.formatInput?.(event.name, event.input));
        this.running.set(event.toolUseId, event.name);
        this.line(`${theme.magenta('●')} ${theme.bold(event.name)}${theme.dim('(')}${input}${theme.dim(')')}`);
        return;
      }
      case 'tool_executing':
        this.live?.spin(`running ${event.name}`);
        return;
      case 'tool_completed': {
        const result = formatToolResult(event.outputText);
        this.line(`  ${theme.dim('└')} ${this.prefix(event.toolUseId, event.name)}${theme.dim(result)}`);
        this.running.delete(event.toolUseId);
        this.live?.spin('thinking');
        return;
      }
      case 'permission_required':
        this.asked.add(event.toolUseId);
        return;
      case 'tool_failed':
        if (this.denied.has(event.toolUseId)) return;
        this.line(`  ${theme.dim('└')} ${this.prefix(event.toolUseId, event.name)}${theme.red(truncate(event.error, 200))}`);
        this.running.delete(event.toolUseId);
        this.live?.spin('thinking');
        return;
      case 'permission_denied':
        this.denied.add(event.toolUseId);
        if (!this.asked.has(event.toolUseId)) {
          this.line(`  ${theme.dim('└')} ${this.prefix(event.toolUseId, event.toolName)}${theme.yellow(`denied: ${truncate(event.reason, 200)}`)}`);
        }
        this.running.delete(event.toolUseId);
        return;
      case 'run_failed':
        this.flushText();
        this.live?.clear();
        if (event.aborted) this.line(theme.yellow('⏹ Cancelled. The conversation so far is saved.'));
        else this.line(theme.red(`✖ ${event.error}`));
        return;
      case 'run_completed':
        this.flushText();
        this.live?.clear();
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

  /** Removes the spinner and anything live. */
  stop(): void {
    this.flushText();
    this.live?.clear();
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
    if (!this.live) {
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
    this.live.setPreview(this.splitter.pending());
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

/** Sums usage (for `/cost`). */
export function addUsageTo(total: Usage, u: Usage): void {
  total.inputTokens += u.inputTokens;
  total.outputTokens += u.outputTokens;
  total.cacheReadTokens = (total.cacheReadTokens ?? 0) + (u.cacheReadTokens ?? 0);
  total.cacheWriteTokens = (total.cacheWriteTokens ?? 0) + (u.cacheWriteTokens ?? 0);
}
