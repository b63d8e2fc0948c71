/**
 * The live part of the screen, redrawn in place below everything printed so far (log-update):
 * a spinner while waiting, the paragraph that is still streaming, and an approval question.
 * Lines printed with {@link LiveRegion.print} stay in the scrollback.
 * @module
 */
import { createLogUpdate } from 'log-update';
import type { Theme } from './theme.js';

/** Spinner frame interval (ms). */
export const SPINNER_INTERVAL_MS = 80;
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** In-place output on a terminal. */
export class LiveRegion {
  private readonly log: ReturnType<typeof createLogUpdate>;
  private spinnerLabel: string | undefined;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private preview = '';
  private question = '';
  private readonly started = Date.now();

  constructor(
    stream: NodeJS.WriteStream,
    private readonly theme: Theme,
  ) {
    this.log = createLogUpdate(stream, { showCursor: true });
  }

  /** Shows (or relabels) the spinner. */
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

  /** Hides the spinner. */
  stopSpinner(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.spinnerLabel !== undefined) {
      this.spinnerLabel = undefined;
      this.draw();
    }
  }

  /** Sets the text still streaming (shown as it is, replaced when its block is printed). */
  setPreview(text: string): void {
    this.preview = text;
    this.draw();
  }

  /** Shows a question below everything (an approval prompt); '' removes it. */
  setQuestion(text: string): void {
    this.question = text;
    this.draw();
  }

  /** Prints text that stays (above the live part). */
  print(text: string): void {
    this.log.clear();
    this.log.persist(text);
    this.draw();
  }

  /** Removes everything live (spinner, preview, question). */
  clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.spinnerLabel = undefined;
    this.preview = '';
    this.question = '';
    this.log.clear();
  }

  private draw(): void {
    const parts: string[] = [];
    if (this.preview) parts.push(this.preview);
    if (this.question) parts.push(this.question);
    else if (this.spinnerLabel !== undefined) {
      const seconds = Math.floor((Date.now() - this.started) / 1000);
      parts.push(`${this.theme.cyan(FRAMES[this.frame]!)} ${this.theme.dim(`${this.spinnerLabel}${seconds >= 2 ? ` (${seconds}s · Ctrl+C to cancel)` : ''}`)}`);
    }
    if (parts.length) this.log(parts.join('\n'));
    else this.log.clear();
  }
}
