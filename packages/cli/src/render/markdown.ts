/**
 * Markdown for the terminal, with marked + marked-terminal. Both are loaded on first use (they
 * take a few hundred milliseconds to import), so `mixtape --help` and the prompt never wait for them.
 * @module
 */
import { stripVTControlCharacters } from 'node:util';
import type * as MarkedModule from 'marked';
import type * as MarkedTerminalModule from 'marked-terminal';
import { MIN_WRAP_WIDTH, wrapText } from './wrap.js';

/** Width used when the terminal's is unknown. */
export const DEFAULT_MARKDOWN_WIDTH = 80;

/** Renders one Markdown block (or document) to terminal text. */
export type MarkdownRenderer = (markdown: string) => string;

let loading: Promise<typeof MarkedModule> | undefined;
let loadingTerminal: Promise<typeof MarkedTerminalModule> | undefined;

/** Starts importing the Markdown libraries in the background (idempotent). */
export function preloadMarkdown(): Promise<unknown> {
  loading ??= import('marked');
  loadingTerminal ??= import('marked-terminal');
  return Promise.all([loading, loadingTerminal]);
}

/**
 * A renderer for a terminal `width` columns wide (a number, or a function read at each render so
 * that a resized terminal gets the new width). Without colours, escape codes are removed
 * (marked-terminal's colour library does its own terminal detection, which ignores NO_COLOR).
 * Lines the renderer leaves too long (list items, long words) are word-wrapped afterwards.
 */
export async function createMarkdownRenderer(options: { width?: number | (() => number); colors: boolean }): Promise<MarkdownRenderer> {
  await preloadMarkdown();
  const { Marked } = await loading!;
  const { markedTerminal } = await loadingTerminal!;
  const widthNow = () => (typeof options.width === 'function' ? options.width() : (options.width ?? DEFAULT_MARKDOWN_WIDTH));
  const instances = new Map<number, InstanceType<typeof Marked>>();
  const markedFor = (columns: number) => {
    let marked = instances.get(columns);
    if (marked) return marked;
    const width = Math.max(MIN_WRAP_WIDTH, columns - 2);
    // The types of marked-terminal's extension lag behind marked's; it is a valid MarkedExtension.
    marked = new Marked(markedTerminal({ width, reflowText: true, tab: 2, emoji: false, showSectionPrefix: false }) as never);
    // marked-terminal prints the text of tight list items without their inline formatting
    // (**bold** stays as typed); render those inline tokens, and fall back to it otherwise.
    marked.use({
      renderer: {
        text(token) {
          if (typeof token === 'object' && token.type === 'text' && 'tokens' in token && token.tokens?.length)
            return this.parser.parseInline(token.tokens);
          return false;
        },
      },
    });
    instances.set(columns, marked);
    return marked;
  };
  return (markdown: string) => {
    const columns = widthNow();
    const marked = markedFor(columns);
    let out = marked.parse(markdown, { async: false }) as string;
    if (!options.colors) out = stripVTControlCharacters(out);
    out = out.replace(/\n+$/, '');
    // A table wider than the terminal is shown row by row ("header: cell"), word-wrapped.
    if (out.split('\n').some((l) => stripVTControlCharacters(l).length > columns)) {
      const tokens = marked.lexer(markdown);
      if (tokens.length && tokens.every((t) => t.type === 'table' || t.type === 'space')) {
        return wrapText(
          tokens
            .filter((t) => t.type === 'table')
            .map((t) => tableAsRows(t as TableToken))
            .join('\n\n'),
          columns,
        );
      }
    }
    return wrapText(out, columns);
  };
}

/** The parts of marked's table token used here. */
interface TableToken {
  header: { text: string }[];
  rows: { text: string }[][];
}

/** A table as one line per row: "- header: cell · header: cell". */
export function tableAsRows(table: TableToken): string {
  const plain = (text: string) =>
    text
      .trim()
      .replace(/`([^`]+)`/g, '$1')
      .replace(/\*\*([^*]+)\*\*/g, '$1');
  const headers = table.header.map((h) => plain(h.text));
  return table.rows
    .map((row) => `- ${row.map((cell, i) => `${headers[i] ? `${headers[i]}: ` : ''}${plain(cell.text)}`).join(' · ')}`)
    .join('\n');
}
