/**
 * Keys while a turn runs: the terminal is in raw mode so Ctrl+C arrives as a key (it cancels the
 * turn) and approval answers need no Enter. Typed-ahead text is ignored.
 * @module
 */
import { emitKeypressEvents, type Key } from 'node:readline';
import { PASTE_MARKER, PasteCollector } from './paste.js';

/** Handles a key; return true when handled. */
export type KeyHandler = (text: string | undefined, key: Key) => boolean | void;

/** Raw-mode key input for the duration of a turn. */
export class TurnKeys {
  private readonly handlers: KeyHandler[] = [];
  private readonly listener = (text: string | undefined, key: Key | undefined) => {
    const k: Key = key ?? { sequence: text ?? '' };
    // A paste during an answer is kept whole for the next prompt (not as many Enters).
    const pasted = this.paste.key(text, k.name);
    if (pasted !== undefined) {
      if (typeof pasted === 'object') {
        this.pastes.push(pasted.text);
        this.typeahead += PASTE_MARKER;
      }
      return;
    }
    for (let i = this.handlers.length - 1; i >= 0; i--) if (this.handlers[i]!(text, k)) return;
    // Nobody wanted it: keep it for the next prompt (type-ahead).
    if (k.name === 'backspace') this.typeahead = this.typeahead.slice(0, -1);
    else if (k.name === 'return') this.typeahead += '\r';
    else if (text && !k.ctrl && !k.meta && !/[\x00-\x1f\x7f]/.test(text)) this.typeahead += text;
  };
  /** Text typed during the turn that no handler took, for the next prompt. */
  private typeahead = '';
  /** Texts pasted during the turn (each marked in the type-ahead by PASTE_MARKER). */
  private pastes: string[] = [];
  private readonly paste = new PasteCollector();
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

  /**
   * Stops listening; the input is paused for the line editor and stays in raw mode (call
   * {@link TurnKeys.restore} before leaving or before a child process uses the terminal).
   */
  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.input.off('keypress', this.listener);
    this.input.pause();
  }

  /** Puts the terminal back in normal (cooked) mode. */
  restore(): void {
    if (this.input.isTTY) this.input.setRawMode(false);
  }

  /** Takes the type-ahead text (Enter is '\r', each paste a PASTE_MARKER) and the pasted texts. */
  takeTypeahead(): { text: string; pastes: string[] } {
    const taken = { text: this.typeahead, pastes: this.pastes };
    this.typeahead = '';
    this.pastes = [];
    return taken;
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
