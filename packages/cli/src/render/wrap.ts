/**
 * Word wrapping for the terminal's current width: lines break between words (a word longer than
 * the line is the only thing cut), and the continuation of an indented line or a list item lines
 * up under its text. Colour codes are kept.
 * @module
 */
import { stripVTControlCharacters } from 'node:util';

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
  if (visibleWidth(plain) <= width || TABLE_LINE.test(plain)) return line;
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

/** Visible width of `text` (escape codes do not count; one column per code point). */
function visibleWidth(text: string): number {
  let n = 0;
  for (const _ of stripVTControlCharacters(text)) n++;
  return n;
}

/** Cuts a word longer than the line into line-long pieces (escape codes kept with their characters). */
function cutWord(word: string, width: number): string[] {
  const pieces: string[] = [];
  let current = '';
  let count = 0;
  let i = 0;
  while (i < word.length) {
    const esc = /^\u001b\[[0-9;]*[A-Za-z]/.exec(word.slice(i, i + 16));
    if (esc) {
      current += esc[0];
      i += esc[0].length;
      continue;
    }
    const ch = String.fromCodePoint(word.codePointAt(i)!);
    if (count === width) {
      pieces.push(current);
      current = '';
      count = 0;
    }
    current += ch;
    count++;
    i += ch.length;
  }
  if (current) pieces.push(current);
  return pieces;
}

/**
 * Word wrap to `width` columns: lines break at spaces (the spaces at a break are dropped, other
 * runs of spaces are kept); a word longer than the line starts on a line of its own and is cut
 * there. Linear in the text.
 */
function wrapWords(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  let lineWidth = 0;
  let gap = '';
  for (const token of text.split(/( +)/)) {
    if (token === '') continue;
    if (token.startsWith(' ')) {
      gap = line ? token : '';
      continue;
    }
    const w = visibleWidth(token);
    if (w > width) {
      if (line) lines.push(line);
      const pieces = cutWord(token, width);
      line = pieces.pop()!;
      lines.push(...pieces);
      lineWidth = visibleWidth(line);
      gap = '';
      continue;
    }
    if (line && lineWidth + gap.length + w > width) {
      lines.push(line);
      line = '';
      lineWidth = 0;
      gap = '';
    }
    line += gap + token;
    lineWidth += gap.length + w;
    gap = '';
  }
  lines.push(line);
  return lines.join('\n');
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
