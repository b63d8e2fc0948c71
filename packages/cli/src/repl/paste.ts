/**
 * Pasted text in the prompt: a paste of several lines (bracketed paste) is kept whole and shown as
 * a compact chip, "[pasted 300 lines]", that stands for the text until the prompt is sent. The
 * chip can be removed with one Backspace, or opened for editing with Tab (its text goes into the
 * line).
 * @module
 */

/** Turns on the terminal's bracketed paste mode (pastes arrive between ESC[200~ and ESC[201~). */
export const BRACKETED_PASTE_ON = '\u001b[?2004h';
/** Turns bracketed paste mode off again. */
export const BRACKETED_PASTE_OFF = '\u001b[?2004l';
/** Marker of a paste in type-ahead text (typed while an answer was running). */
export const PASTE_MARKER = '\u0000';

/** Pasted texts of one prompt, each behind a chip. */
export class PasteChips {
  private readonly chips: { label: string; text: string }[] = [];

  /** The chip for `text` (a paste of one line is inserted as it is: returns undefined). */
  add(text: string): string | undefined {
    const normalized = normalizePaste(text);
    const lines = normalized.replace(/\n$/, '').split('\n').length;
    if (lines < 2) return undefined;
    const base = `[pasted ${lines} lines]`;
    const same = this.chips.filter((c) => c.label === base || c.label.startsWith(`${base.slice(0, -1)} #`)).length;
    const label = same ? `${base.slice(0, -1)} #${same + 1}]` : base;
    this.chips.push({ label, text: normalized.replace(/\n$/, '') });
    return label;
  }

  /** The chip that ends exactly at `index` of `line`, if any. */
  chipEndingAt(line: string, index: number): { label: string; text: string; start: number } | undefined {
    for (const c of this.chips) {
      const start = index - c.label.length;
      if (start >= 0 && line.slice(start, index) === c.label) return { ...c, start };
    }
    return undefined;
  }

  /** Forgets one chip (removed or opened). */
  remove(label: string): void {
    const i = this.chips.findIndex((c) => c.label === label);
    if (i >= 0) this.chips.splice(i, 1);
  }

  /** The line with each chip replaced by its text. */
  expand(line: string): string {
    let out = line;
    for (const c of this.chips) {
      const i = out.indexOf(c.label);
      if (i >= 0) out = out.slice(0, i) + c.text + out.slice(i + c.label.length);
    }
    return out;
  }

  /** Whether there are chips. */
  get size(): number {
    return this.chips.length;
  }

  /** Forgets every chip (the prompt was sent or cleared). */
  clear(): void {
    this.chips.length = 0;
  }
}

/** Line ends of pasted text as '\n' (CR LF and lone CR too). */
export function normalizePaste(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/** Collects the keys of one bracketed paste into its text. */
export class PasteCollector {
  private text: string | undefined;
  private lastCr = false;

  /** Whether a paste is being collected. */
  get active(): boolean {
    return this.text !== undefined;
  }

  /**
   * Takes a key. Returns 'start' / 'collected' while a paste is open, the pasted text when it
   * ends, or undefined for keys outside a paste.
   */
  key(s: string | undefined, name: string | undefined): 'start' | 'collected' | { text: string } | undefined {
    if (name === 'paste-start') {
      this.text = '';
      this.lastCr = false;
      return 'start';
    }
    if (this.text === undefined) return undefined;
    if (name === 'paste-end') {
      const text = this.text;
      this.text = undefined;
      return { text };
    }
    if (s === '\r') {
      this.text += '\n';
      this.lastCr = true;
    } else if (s === '\n') {
      if (!this.lastCr) this.text += '\n';
      this.lastCr = false;
    } else {
      this.text += s ?? '';
      this.lastCr = false;
    }
    return 'collected';
  }
}
