/**
 * Splits streamed Markdown into blocks that are complete, so each block can be rendered once,
 * as soon as it is complete, while the rest is still arriving.
 *
 * A block ends at a blank line outside a fenced code block, or at the line that closes a fence.
 * A fence that opens after some text ends that text's block first. Hand-written because Markdown
 * parsers (marked included) parse whole documents, not a stream of deltas.
 * @module
 */

/** Splits Markdown text arriving in pieces into complete blocks. */
export class MarkdownBlockSplitter {
  /** Complete lines of the block being built. */
  private lines: string[] = [];
  /** Text after the last newline. */
  private partial = '';
  /** The open fence (e.g. "```" or "~~~~"), when inside a fenced code block. */
  private fence: string | undefined;

  /** Adds streamed text; returns the blocks it completed (Markdown source, without the blank separator line). */
  push(text: string): string[] {
    const out: string[] = [];
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.line(line, out);
    return out;
  }

  /** Whether a fenced code block is open. */
  get inFence(): boolean {
    return this.fence !== undefined;
  }

  /** The incomplete block: its complete lines and the partial last line. */
  pending(): string {
    return this.lines.length ? this.lines.join('\n') + '\n' + this.partial : this.partial;
  }

  /** Number of complete lines of the incomplete block. */
  get pendingLines(): number {
    return this.lines.length;
  }

  /** Ends the stream: returns the last block (an open fence is closed), if any. */
  end(): string | undefined {
    if (this.partial !== '') {
      this.lines.push(this.partial);
      this.partial = '';
    }
    if (this.fence !== undefined) this.lines.push(this.fence);
    this.fence = undefined;
    const block = this.lines.join('\n');
    this.lines = [];
    return block.trim() === '' ? undefined : block;
  }

  private line(line: string, out: string[]): void {
    if (this.fence !== undefined) {
      this.lines.push(line);
      const t = line.trim();
      if (t.startsWith(this.fence[0]!.repeat(this.fence.length)) && /^([`~])\1*$/.test(t)) {
        this.fence = undefined;
        out.push(this.lines.join('\n'));
        this.lines = [];
      }
      return;
    }
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (open) {
      if (this.lines.length) {
        out.push(this.lines.join('\n'));
        this.lines = [];
      }
      this.fence = open[1]!;
      this.lines.push(line);
      return;
    }
    if (line.trim() === '') {
      if (this.lines.length) {
        out.push(this.lines.join('\n'));
        this.lines = [];
      }
      return;
    }
    this.lines.push(line);
  }
}
