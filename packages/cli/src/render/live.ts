/**
 * The live part of the screen, redrawn in place below everything printed so far (log-update):
 * a spinner while waiting, the paragraph that is still streaming, a stall notice, and an approval
 * question. Lines printed with {@link LiveRegion.print} stay in the scrollback. Everything is
 * word-wrapped to the terminal's width at the time it is drawn, so a resize takes effect at once.
 *
 * {@link PlainRegion} is the same surface for `--plain`: nothing is redrawn or animated, each line
 * is written once, in order (what a screen reader can follow).
 * @module
 */
import { createLogUpdate } from 'log-update';
import type { Theme } from './theme.js';
import { widthOf, wrapText } from './wrap.js';

/** Spinner frame interval (ms). */
export const SPINNER_INTERVAL_MS = 80;
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Where a turn shows what is going on. */
export interface Region {
  /** Shows (or relabels) the spinner. */
  spin(label: string): void;
  /** Hides the spinner. */
  stopSpinner(): void;
  /** Sets the text still streaming (replaced when its block is printed). */
  setPreview(text: string): void;
  /** Shows a question below everything (an approval prompt); '' removes it. */
  setQuestion(text: string): void;
  /** Says the model has sent nothing for `seconds` (undefined: it is streaming again). */
  setStall(seconds: number | undefined): void;
  /** Prints text that stays. */
  print(text: string): void;
  /** Removes everything live. */
  clear(): void;
}

/** In-place output on a terminal. */
export class LiveRegion implements Region {
  private readonly log: ReturnType<typeof createLogUpdate>;
  private spinnerLabel: string | undefined;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private preview = '';
  private question = '';
  private stall: number | undefined;
  private readonly started = Date.now();
  private readonly onResize = () => this.draw();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly theme: Theme,
  ) {
    this.log = createLogUpdate(stream, { showCursor: true });
    stream.on('resize', this.onResize);
  }

  spin(label: string): void {
    this.spinnerLabel = label;
    if (!this.timer) {
      this.timer = setInterval(() => {
        this.frame = (this.frame + 1) % FRAMES.length;
        this.draw();
      }, SPINNER_INTERVAL_MS);
      this.timer.unref();
    }
    this.draw();
  }

  stopSpinner(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.spinnerLabel !== undefined) {
      this.spinnerLabel = undefined;
      this.draw();
    }
  }

  setPreview(text: string): void {
    this.preview = text;
    this.draw();
  }

  setQuestion(text: string): void {
    this.question = text;
    this.draw();
  }

  setStall(seconds: number | undefined): void {
    if (seconds === this.stall) return;
    this.stall = seconds;
    this.draw();
  }

  print(text: string): void {
    this.log.clear();
    this.log.persist(wrapText(text, widthOf(this.stream)));
    this.draw();
  }

  clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.spinnerLabel = undefined;
    this.preview = '';
    this.question = '';
    this.stall = undefined;
    this.log.clear();
    this.stream.off('resize', this.onResize);
  }

  private draw(): void {
    const parts: string[] = [];
    if (this.preview) parts.push(this.preview);
    if (this.question) parts.push(this.question);
    else if (this.spinnerLabel !== undefined) {
      const seconds = Math.floor((Date.now() - this.started) / 1000);
      parts.push(
        `${this.theme.cyan(FRAMES[this.frame] ?? '')} ${this.theme.dim(`${this.spinnerLabel}${seconds >= 2 ? ` (${seconds}s · Ctrl+C to cancel)` : ''}`)}`,
      );
    } else if (this.stall !== undefined) {
      parts.push(this.theme.yellow(stallText(this.stall)));
    }
    if (parts.length) this.log(wrapText(parts.join('\n'), widthOf(this.stream)));
    else this.log.clear();
  }
}

/** The stall notice. */
export function stallText(seconds: number): string {
  return `⋯ no output from the model for ${seconds}s (still waiting; Ctrl+C cancels)`;
}

/** Append-only output for `--plain`: every line once, in order; no spinner, no redrawing. */
export class PlainRegion implements Region {
  private question = '';
  private lineOpen = false;
  private stalled = false;
  private announced = false;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  spin(label: string): void {
    // One announcement per turn: a screen reader should not hear "thinking" after every tool.
    if (this.announced) return;
    this.announced = true;
    this.write(`${label[0]!.toUpperCase()}${label.slice(1)}...\n`);
  }

  stopSpinner(): void {}

  setPreview(): void {}

  setQuestion(text: string): void {
    if (!text) {
      if (this.lineOpen) this.write('\n');
      this.question = '';
      return;
    }
    if (this.question && text.startsWith(this.question)) this.write(text.slice(this.question.length));
    else this.write((this.lineOpen ? '\n' : '') + text);
    this.question = text;
  }

  setStall(seconds: number | undefined): void {
    if (seconds === undefined) {
      this.stalled = false;
      return;
    }
    if (this.stalled) return;
    this.stalled = true;
    this.print(`No output from the model for ${seconds} seconds; still waiting. Ctrl+C cancels.`);
  }

  print(text: string): void {
    this.write((this.lineOpen ? '\n' : '') + text + '\n');
  }

  clear(): void {
    if (this.lineOpen) this.write('\n');
    this.question = '';
  }

  private write(text: string): void {
    if (!text) return;
    this.stream.write(text);
    this.lineOpen = !text.endsWith('\n');
  }
}
