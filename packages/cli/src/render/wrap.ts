/**
 * Word wrapping for the terminal's current width: lines break between words (a word longer than
 * the line is the only thing cut), and the continuation of an indented line or a list item lines
 * up under its text. Colour codes are kept.
 * @module
 */
import { stripVTControlCharacters } from 'node:util';
import wrapAnsi from 'wrap-ansi';

/** Width used when the terminal's is unknown (not a terminal). */
export const DEFAULT_WIDTH = 80;
/** Narrowest width wrapped to (below it, lines are left to the terminal). */
export const MIN_WRAP_WIDTH = 20;

/** The width to wrap to on `stream` now (it changes when the terminal is resized). */
export function widthOf(stream: { columns?: number; isTTY?: boolean }): number {
  return stream.isTTY && stream.columns ? stream.columns : DEFAULT_WIDTH;
}

/** Table borders drawn by the Markdown renderer: tables are not re-wrapped (their cells are). */
const TABLE_LINE = /^\s*[┌├└╭╰╞║═][─┬┼┴═]|^\s*│.*│\s*$/;
/** A list marker or similar prefix after the indentation ("- ", "* ", "• ", "12. ", "└ ", "● "). */
const HANGING_PREFIX = /^(\s*)((?:[-*+•●└?!✓✗✖]|\d{1,3}[.)])\s+)?/;

/** Wraps one line: continuation lines are indented under the line's text. */
export function wrapLine(line: string, width: number): string {
  if (width < MIN_WRAP_WIDTH) return line;
  const plain = stripVTControlCharacters(line);
  if (plain.length <= width || TABLE_LINE.test(plain)) return line;
  const m = HANGING_PREFIX.exec(plain)!;
  const hang = (m[1] ?? '').length + (m[2] ?? '').length;
  const indent = hang > 0 && hang <= width / 2 ? hang : 0;
  if (indent === 0) return wrapWords(line, width);
  const at = indexAfterVisible(line, indent);
  const pad = ' '.repeat(indent);
  return wrapWords(line.slice(at), width - indent)
    .split('\n')
    .map((l, i) => (i === 0 ? line.slice(0, at) : pad) + l)
    .join('\n');
}

/** Word wrap; a word longer than the line starts on a line of its own and only then is cut. */
function wrapWords(text: string, width: number): string {
  // A word longer than the line is cut into line-long pieces first, so the text after it flows on.
  const pieces = text.replace(/\S+/g, (word) => (word.length > width && !word.includes('\u001b') ? (word.match(new RegExp(`.{1,${width}}`, 'gu')) ?? [word]).join(' ') : word));
  return wrapAnsi(pieces, width, { hard: false, trim: true, wordWrap: true })
    .split('\n')
    .map((l) => (stripVTControlCharacters(l).length > width ? wrapAnsi(l, width, { hard: true, trim: true, wordWrap: true }) : l))
    .join('\n');
}

/** The index in `text` after its first `count` visible characters (escape sequences skipped). */
function indexAfterVisible(text: string, count: number): number {
  let seen = 0;
  let i = 0;
  while (i < text.length && seen < count) {
    const esc = /^\u001b\[[0-9;]*[A-Za-z]/.exec(text.slice(i, i + 16));
    if (esc) {
      i += esc[0].length;
      continue;
    }
    i += text.codePointAt(i)! > 0xffff ? 2 : 1;
    seen++;
  }
  return i;
}

/** Wraps every line of `text` to `width` columns. */
export function wrapText(text: string, width: number): string {
  return text
    .split('\n')
    .map((l) => wrapLine(l, width))
    .join('\n');
}
