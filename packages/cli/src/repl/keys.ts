/**
 * Keys while a turn runs: the terminal is in raw mode so Ctrl+C arrives as a key (it cancels the
 * turn) and approval answers need no Enter. Typed-ahead text is ignored.
 * @module
 */
import { emitKeypressEvents, type Key } from 'node:readline';

/** Handles a key; return true when handled. */
export type KeyHandler = (text: string | undefined, key: Key) => boolean | void;

/** Raw-mode key input for the duration of a turn. */
export class TurnKeys {
  private readonly handlers: KeyHandler[] = [];
  private readonly listener = (text: string | undefined, key: Key | undefined) => {
    const k: Key = key ?? { sequence: text ?? '' };
    for (let i = this.handlers.length - 1; i >= 0; i--) if (this.handlers[i]!(text, k)) return;
  };
  private active = false;

  constructor(private readonly input: NodeJS.ReadStream) {}

  /** Starts listening (raw mode on). */
  start(): void {
    if (this.active || !this.input.isTTY) return;
    this.active = true;
    emitKeypressEvents(this.input);
    this.input.setRawMode(true);
    this.input.on('keypress', this.listener);
    this.input.resume();
  }

  /** Stops listening (raw mode off, input paused for the line editor). */
  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.input.off('keypress', this.listener);
    this.input.setRawMode(false);
    this.input.pause();
  }

  /** Adds a handler that sees keys before the ones added earlier; returns its remover. */
  push(handler: KeyHandler): () => void {
    this.handlers.push(handler);
    return () => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }
}

/** Whether a key is Ctrl+C. */
export function isCtrlC(text: string | undefined, key: Key): boolean {
  return (key.ctrl === true && key.name === 'c') || text === '\u0003';
}
