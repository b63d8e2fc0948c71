/**
 * The REPL's input line, on node:readline: history kept across runs (a JSON-lines file),
 * multi-line input (a trailing backslash, or Ctrl+J), reverse history search (Ctrl+R),
 * Ctrl+C clears the line (twice on an empty line exits), Ctrl+D exits.
 *
 * node:readline has no multi-line keys or history search, and no well-kept line-editor library
 * for Node does (the ones on npm are unmaintained), so these two keys are added by wrapping
 * readline's key handler `_ttyWrite` (still how Node 20-24 dispatch keys); readline draws
 * multi-line input itself.
 * @module
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { clearScreenDown, createInterface, cursorTo, emitKeypressEvents, type Interface, type Key, moveCursor } from 'node:readline';
import type { Theme } from '../render/theme.js';
import { BRACKETED_PASTE_ON, PASTE_MARKER, PasteChips, PasteCollector } from './paste.js';

/** Entries kept in the history file. */
export const HISTORY_SIZE = 1000;
/** Time within which a line feed after a carriage return is part of one Enter (CR LF), not Ctrl+J. */
export const CRLF_DELAY_MS = 100;

/** What reading a line gave. */
export type LineResult = { type: 'line'; text: string } | { type: 'exit'; reason: 'eof' | 'interrupt' };

/** Options of {@link LineEditor}. */
export interface LineEditorOptions {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  theme: Theme;
  /** History file (JSON lines); no persistence when undefined. */
  historyFile?: string;
  /** Prompt text (default "❯ "). */
  prompt?: string;
  /** Called when Ctrl+C on an empty line does not exit yet (to print a hint). */
  onInterruptHint?: () => void;
  /** Ctrl+O: text to show above the prompt (the last thinking block, in full). */
  onExpand?: () => string;
  /** Tab completion: the candidates and the text they complete (readline's completer). */
  complete?: (line: string) => Promise<[string[], string]>;
}

type TtyWrite = (s: string | undefined, key: Key | undefined) => void;
type ReadlineInternals = Interface & {
  line: string;
  cursor: number;
  history: string[];
  _refreshLine(): void;
  _insertString(s: string): void;
  // readline's key handler: its internal symbol-keyed method reads this property.
  _ttyWrite: TtyWrite;
};

/** Reads lines from a terminal with history, multi-line input and search. */
export class LineEditor {
  readonly history: string[] = [];
  private readonly options: LineEditorOptions;
  private lastInterrupt = false;
  /** The readline interface of the read in progress, and how to end that read. */
  private active: { rl: ReadlineInternals; end(): void } | undefined;

  constructor(options: LineEditorOptions) {
    this.options = options;
  }

  /** Loads the history file (a missing or damaged file gives an empty history). */
  async loadHistory(): Promise<void> {
    const file = this.options.historyFile;
    if (!file) return;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return;
    }
    const entries: string[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const value = JSON.parse(line) as unknown;
        if (typeof value === 'string') entries.push(value);
      } catch {
        // A damaged line is skipped; the rest of the history is still useful.
      }
    }
    // File: oldest first. readline: newest first.
    this.history.splice(0, this.history.length, ...entries.reverse().slice(0, HISTORY_SIZE));
  }

  /** Adds an entry (newest first, duplicates moved to the front) and saves the file. */
  async remember(entry: string): Promise<void> {
    if (!entry.trim()) return;
    const existing = this.history.indexOf(entry);
    if (existing >= 0) this.history.splice(existing, 1);
    this.history.unshift(entry);
    this.history.length = Math.min(this.history.length, HISTORY_SIZE);
    const file = this.options.historyFile;
    if (!file) return;
    try {
      await mkdir(dirname(file), { recursive: true });
      const lines = [...this.history].reverse().map((e) => JSON.stringify(e));
      await writeFile(file, lines.join('\n') + '\n');
    } catch {
      // History is a convenience: failing to save it must not break the session.
    }
  }

  /**
   * Shows the prompt (with `typeahead`, text typed earlier, as if typed now) and reads one entry. A line ending in a backslash continues on the next
   * line; Ctrl+J inserts a newline. Resolves `exit` on Ctrl+D (empty line) or on a second
   * Ctrl+C in a row on an empty line.
   */
  read(typeahead = '', pastes: readonly string[] = []): Promise<LineResult> {
    const { input, output, theme } = this.options;
    const prompt = this.options.prompt ?? `${theme.cyan(theme.sym.prompt)} `;
    const continuation = `${theme.dim(theme.sym.continuation)} `;
    emitKeypressEvents(input);
    // Pastes arrive marked, so that a paste of many lines is one entry, not many Enters.
    if (output.isTTY && input.isTTY) output.write(BRACKETED_PASTE_ON);
    const rl = createInterface({
      input,
      output,
      terminal: Boolean(output.isTTY && input.isTTY),
      history: [...this.history],
      historySize: HISTORY_SIZE,
      removeHistoryDuplicates: true,
      prompt,
      tabSize: 4,
      ...(this.options.complete && { completer: completerOf(this.options.complete) }),
    }) as ReadlineInternals;
    const chips = new PasteChips();
    this.installKeys(rl, prompt, chips);
    const parts: string[] = [];

    return new Promise<LineResult>((resolve) => {
      let settled = false;
      const finish = (result: LineResult) => {
        if (settled) return;
        settled = true;
        this.active = undefined;
        // (readline's own 'close' listener detaches it from the input: keep it.)
        rl.close();
        // readline leaves raw mode on close; stay in raw mode so that keys typed before the
        // next reader starts are neither echoed nor line-edited by the terminal.
        if (rl.terminal && input.isTTY) input.setRawMode(true);
        resolve(result);
      };
      rl.on('line', (line: string) => {
        this.lastInterrupt = false;
        if (line.endsWith('\\') && !line.endsWith('\\\\')) {
          parts.push(line.slice(0, -1));
          rl.setPrompt(continuation);
          rl.prompt();
          return;
        }
        parts.push(line);
        finish({ type: 'line', text: chips.expand(parts.join('\n')) });
      });
      rl.on('SIGINT', () => {
        if (rl.line !== '' || parts.length) {
          parts.length = 0;
          chips.clear();
          this.lastInterrupt = false;
          output.write('^C\n');
          rl.line = '';
          rl.cursor = 0;
          rl.setPrompt(prompt);
          rl.prompt();
          return;
        }
        if (this.lastInterrupt) {
          output.write('\n');
          finish({ type: 'exit', reason: 'interrupt' });
          return;
        }
        this.lastInterrupt = true;
        output.write('\n');
        this.options.onInterruptHint?.();
        rl.prompt();
      });
      rl.on('close', () => {
        if (settled) return;
        output.write('\n');
        finish({ type: 'exit', reason: 'eof' });
      });
      this.active = { rl, end: () => finish({ type: 'exit', reason: 'eof' }) };
      rl.prompt();
      // Keys typed (and pastes) while the previous answer was running, as if typed now.
      const segments = typeahead.split(PASTE_MARKER);
      segments.forEach((segment, i) => {
        if (segment) rl.write(segment);
        if (i < segments.length - 1) insertPaste(rl, chips, pastes[i] ?? '');
      });
    });
  }

  /**
   * Prints lines above the prompt while a read is in progress (the prompt and what was typed are
   * drawn again below them); without a read in progress, simply prints them.
   */
  printAbove(text: string): void {
    const { output } = this.options;
    const active = this.active;
    if (!active || !active.rl.terminal) {
      output.write(`${text}\n`);
      return;
    }
    const rl = active.rl as ReadlineInternals & { prevRows?: number; getCursorPos(): { rows: number } };
    moveCursor(output, 0, -rl.getCursorPos().rows);
    cursorTo(output, 0);
    clearScreenDown(output);
    output.write(`${text}\n`);
    // readline redraws from the row it last drew on; the prompt now starts on this row.
    rl.prevRows = 0;
    rl._refreshLine();
  }

  /** Ends the read in progress as if Ctrl+D was pressed (e.g. start-up failed after the prompt was shown). */
  cancel(): void {
    this.active?.end();
  }

  /**
   * Adds Ctrl+J (newline), Ctrl+R (reverse search), Ctrl+O (show the last thinking) and pastes
   * (a chip standing for the pasted lines; Backspace removes it, Tab opens it) to readline's keys.
   */
  private installKeys(rl: ReadlineInternals, prompt: string, chips: PasteChips): void {
    if (typeof rl._ttyWrite !== 'function') return;
    const original = rl._ttyWrite.bind(rl);
    const paste = new PasteCollector();
    let lastReturnAt = 0;
    let search: { query: string; index: number; saved: string } | undefined;

    const history = () => rl.history ?? [];
    const showSearch = () => {
      const s = search!;
      const entries = history();
      let found = -1;
      if (s.query)
        for (let i = s.index; i < entries.length; i++)
          if (entries[i]!.includes(s.query)) {
            found = i;
            break;
          }
      if (found >= 0) s.index = found;
      const match = found >= 0 ? entries[found]! : s.query ? rl.line : s.saved;
      rl.setPrompt(`(search${found < 0 && s.query ? ' failed' : ''} '${s.query}') `);
      rl.line = match;
      rl.cursor = match.length;
      rl._refreshLine();
    };
    const endSearch = (keep: boolean) => {
      const s = search!;
      search = undefined;
      rl.setPrompt(prompt);
      if (!keep) rl.line = s.saved;
      rl.cursor = rl.line.length;
      rl._refreshLine();
    };

    rl._ttyWrite = (s, key) => {
      const pasted = paste.key(s, key?.name);
      if (pasted !== undefined) {
        if (typeof pasted === 'object') insertPaste(rl, chips, pasted.text);
        return;
      }
      if (!search && key?.ctrl && key.name === 'o' && this.options.onExpand) {
        this.printAbove(this.options.onExpand());
        return;
      }
      if (!search && chips.size && (key?.name === 'backspace' || key?.name === 'tab')) {
        const chip = chips.chipEndingAt(rl.line, rl.cursor);
        if (chip) {
          const replacement = key.name === 'tab' ? chip.text : '';
          rl.line = rl.line.slice(0, chip.start) + replacement + rl.line.slice(rl.cursor);
          rl.cursor = chip.start + replacement.length;
          chips.remove(chip.label);
          rl._refreshLine();
          return;
        }
      }
      if (search) {
        if (key?.ctrl && key.name === 'r') {
          search.index++;
          showSearch();
        } else if (key?.ctrl && (key.name === 'g' || key.name === 'c')) {
          endSearch(false);
        } else if (key?.name === 'return' || key?.name === 'enter') {
          endSearch(true);
          original(s, key);
        } else if (key?.name === 'backspace') {
          search.query = search.query.slice(0, -1);
          search.index = 0;
          showSearch();
        } else if (key?.name === 'escape' || key?.name === 'left' || key?.name === 'right' || key?.ctrl || key?.meta) {
          endSearch(true);
        } else if (s && !/[\x00-\x1f]/.test(s)) {
          search.query += s;
          showSearch();
        }
        return;
      }
      if (key?.ctrl && key.name === 'r') {
        search = { query: '', index: 0, saved: rl.line };
        showSearch();
        return;
      }
      if (key?.name === 'return') lastReturnAt = Date.now();
      if (key?.name === 'enter' && !key.meta) {
        // '\n' alone is Ctrl+J; '\n' right after '\r' is the second half of a CR LF Enter.
        if (Date.now() - lastReturnAt > CRLF_DELAY_MS) rl._insertString('\n');
        lastReturnAt = 0;
        return;
      }
      original(s, key);
    };
  }
}

/** readline's callback completer for an async one (no candidates when it fails). */
function completerOf(complete: (line: string) => Promise<[string[], string]>) {
  return (line: string, callback: (error: null, result: [string[], string]) => void) => {
    complete(line).then(
      (result) => callback(null, result),
      () => callback(null, [[], line]),
    );
  };
}

/** Inserts pasted text: a chip for several lines, the text itself for one line. */
function insertPaste(rl: ReadlineInternals, chips: PasteChips, text: string): void {
  const chip = chips.add(text);
  rl._insertString(chip ?? text.replace(/\r?\n$/, ''));
}
