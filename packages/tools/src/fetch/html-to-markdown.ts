/**
 * HTML to Markdown (and the page title) in one linear pass over parse5's HTML tokenizer.
 *
 * Why the tokenizer and not a tree: parse5's tree construction (like every spec-compliant tree
 * builder) is quadratic on hostile nesting — 80,000 unclosed `<div>`s took minutes, because each
 * start tag scans the stack of open elements — and turndown walks the tree recursively (deep
 * pages overflow the stack). The tokenizer is the spec's, so entities, comments, attributes,
 * `<script>`/`<style>` raw text and `<title>` are read exactly as a browser reads them; the
 * rendering keeps only bounded state (list, quote and link nesting are capped), so every input
 * byte costs O(1) and the output is linear in the input.
 * @module
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createRequire } from 'node:module';
import type * as Parse5 from 'parse5';
import type { Token } from 'parse5';
import { ToolError } from '../errors.js';

/** Deepest list or quote nesting rendered with its own indentation; deeper levels share the last. */
export const MAX_MARKDOWN_NESTING = 8;

/** Longest page title returned; the rest is cut with an ellipsis. */
export const MAX_TITLE_CHARS = 300;

/** Elements whose content is dropped. */
const SKIPPED = new Set([
  'script',
  'style',
  'noscript',
  'iframe',
  'template',
  'svg',
  'math',
  'object',
  'canvas',
  'head',
  'select',
  'noembed',
  'noframes',
  'xmp',
]);
/** Elements whose content the tokenizer reads as raw text (the tree builder's switches). */
function textModes(mode: typeof Parse5.TokenizerMode): Record<string, Parse5.Tokenizer['state']> {
  return {
    title: mode.RCDATA,
    textarea: mode.RCDATA,
    style: mode.RAWTEXT,
    xmp: mode.RAWTEXT,
    iframe: mode.RAWTEXT,
    noembed: mode.RAWTEXT,
    noframes: mode.RAWTEXT,
    noscript: mode.RAWTEXT,
    script: mode.SCRIPT_DATA,
    plaintext: mode.PLAINTEXT,
  };
}

let parse5: { Tokenizer: typeof Parse5.Tokenizer; modes: Record<string, Parse5.Tokenizer['state']> } | undefined;
/** parse5's tokenizer, loaded on first use (keeps `import '@mixtape/tools'` fast). */
function loadParse5(): NonNullable<typeof parse5> {
  if (!parse5) {
    const mod = createRequire(import.meta.url)('parse5') as typeof Parse5;
    parse5 = { Tokenizer: mod.Tokenizer, modes: textModes(mod.TokenizerMode) };
  }
  return parse5;
}
const BLOCKS = new Set([
  'p',
  'div',
  'section',
  'article',
  'header',
  'footer',
  'main',
  'nav',
  'aside',
  'figure',
  'figcaption',
  'address',
  'form',
  'fieldset',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'dl',
  'dt',
  'dd',
  'details',
  'summary',
  'body',
  'html',
  'center',
  'caption',
]);
/** Elements that may stand in `<head>`; any other start tag ends a `<head>` left open. */
const HEAD_CONTENT = new Set(['title', 'meta', 'link', 'style', 'script', 'base', 'noscript', 'template']);
const INLINE_MARKS: Record<string, string> = { strong: '**', b: '**', em: '_', i: '_', del: '~~', s: '~~', strike: '~~' };

/** A page rendered as Markdown. */
export interface HtmlPage {
  title: string | null;
  markdown: string;
}

function cleanTitle(parts: string[]): string | null {
  const t = parts.join('').replace(/\s+/g, ' ').trim();
  if (t === '') return null;
  return t.length > MAX_TITLE_CHARS ? `${t.slice(0, MAX_TITLE_CHARS)}…` : t;
}

function attr(token: Token.TagToken, name: string): string | undefined {
  for (const a of token.attrs) if (a.name === name) return a.value;
  return undefined;
}

/** Characters of HTML rendered between two turns of the event loop by {@link htmlToMarkdownInSlices}. */
export const HTML_SLICE_CHARS = 64 * 1024;

/** Renders an HTML page as Markdown and reads its first `<title>`, in time linear in its length. */
export function htmlToMarkdown(html: string): HtmlPage {
  const r = renderer();
  r.write(html, true);
  return r.result();
}

/**
 * Like {@link htmlToMarkdown}, in slices of {@link HTML_SLICE_CHARS} with a turn of the event
 * loop between them, so a timeout or cancellation stops it.
 * @throws ToolError kind 'timeout' when `signal` is aborted.
 */
export async function htmlToMarkdownInSlices(html: string, signal: AbortSignal): Promise<HtmlPage> {
  const r = renderer();
  let at = 0;
  do {
    let end = Math.min(html.length, at + HTML_SLICE_CHARS);
    const code = html.charCodeAt(end);
    if (end < html.length && code >= 0xdc00 && code <= 0xdfff) end--; // keep a surrogate pair whole
    r.write(html.slice(at, end), end >= html.length);
    at = end;
    if (at < html.length) {
      await nextTurn();
      if (signal.aborted)
        throw new ToolError('timeout', 'Converting the page to Markdown was stopped: the fetch timed out or was cancelled.');
    }
  } while (at < html.length);
  return r.result();
}

function renderer(): { write(chunk: string, last: boolean): void; result(): HtmlPage } {
  const { Tokenizer, modes: TEXT_MODES } = loadParse5();
  const out: string[] = [];
  let title: string | null = null;
  let titleParts: string[] | null = null;
  let skipTag: string | null = null;
  let skipDepth = 0;
  let pre = 0;
  let breaks = 0; // newlines owed before the next text
  let lineStart = true;
  let pendingSpace = false;
  let wroteAny = false;
  const lists: { ordered: boolean; n: number }[] = [];
  let quote = 0;
  let link: string | null = null;
  let rowCells = 0;
  let rowIsHeader = false;
  let rows = 0;

  const prefix = (): string =>
    '> '.repeat(Math.min(quote, MAX_MARKDOWN_NESTING)) + '  '.repeat(Math.max(0, Math.min(lists.length, MAX_MARKDOWN_NESTING) - 1));
  const block = (n: number): void => {
    if (wroteAny) breaks = Math.max(breaks, n);
    pendingSpace = false;
  };
  const emit = (text: string): void => {
    if (breaks > 0) {
      out.push('\n'.repeat(breaks));
      breaks = 0;
      lineStart = true;
    }
    if (lineStart) {
      out.push(prefix());
      lineStart = false;
    } else if (pendingSpace) {
      out.push(' ');
    }
    pendingSpace = false;
    out.push(text);
    wroteAny = true;
  };
  const mark = (text: string): void => {
    const space = pendingSpace;
    pendingSpace = false;
    if (space && !lineStart) out.push(' ');
    if (breaks > 0 || lineStart) emit(text);
    else {
      out.push(text);
      wroteAny = true;
    }
  };

  const text = (chars: string, whitespace: boolean): void => {
    if (titleParts !== null) {
      titleParts.push(chars);
      return;
    }
    if (skipTag !== null) return;
    if (pre > 0) {
      if (breaks > 0 || lineStart) emit('');
      out.push(chars.replace(/\n/g, `\n${prefix()}`));
      return;
    }
    if (whitespace) {
      if (!lineStart || breaks === 0) pendingSpace = wroteAny;
      return;
    }
    const collapsed = chars.replace(/\s+/g, ' ');
    const leading = collapsed.startsWith(' ');
    const trailing = collapsed.endsWith(' ') && collapsed.length > 1;
    const body = collapsed.trim();
    if (leading) pendingSpace = wroteAny;
    if (body !== '') emit(body);
    if (trailing) pendingSpace = true;
  };

  const tokenizer: InstanceType<typeof Tokenizer> = new Tokenizer(
    {},
    {
      onComment() {},
      onDoctype() {},
      onEof() {},
      onNullCharacter() {},
      onCharacter: (t) => text(t.chars, false),
      onWhitespaceCharacter: (t) => text(t.chars, true),
      onStartTag: (t) => {
        const name = t.tagName;
        const mode = TEXT_MODES[name];
        // As in the tree builder, a self-closing flag on a non-void element is ignored.
        if (mode !== undefined) tokenizer.state = mode;
        if (name === 'title' && title === null && titleParts === null && (skipTag === null || skipTag === 'head')) {
          titleParts = [];
          return;
        }
        if (skipTag === 'head' && !HEAD_CONTENT.has(name)) skipTag = null; // <head> left open
        if (skipTag !== null) {
          if (name === skipTag && !t.selfClosing) skipDepth++;
          return;
        }
        if (SKIPPED.has(name) && !(t.selfClosing && (name === 'svg' || name === 'math'))) {
          skipTag = name;
          skipDepth = 1;
          return;
        }
        if (/^h[1-6]$/.test(name)) {
          block(2);
          emit('#'.repeat(Number(name[1])) + ' ');
          pendingSpace = false;
        } else if (BLOCKS.has(name)) block(2);
        else if (name === 'br') {
          breaks = Math.max(breaks, 1);
          if (!wroteAny) breaks = 0;
        } else if (name === 'hr') {
          block(2);
          emit('---');
          block(2);
        } else if (name === 'pre') {
          block(2);
          emit('```');
          breaks = 1;
          pre++;
        } else if (name === 'code' && pre === 0) mark('`');
        else if (name === 'blockquote') {
          block(2);
          quote++;
        } else if (name === 'ul' || name === 'ol') {
          block(lists.length === 0 ? 2 : 1);
          lists.push({ ordered: name === 'ol', n: 0 });
        } else if (name === 'li') {
          block(1);
          const list = lists[lists.length - 1];
          if (list) list.n++;
          emit(list?.ordered ? `${list.n}. ` : '- ');
          pendingSpace = false;
        } else if (name === 'tr') {
          block(1);
          rowCells = 0;
          rowIsHeader = false;
        } else if (name === 'td' || name === 'th') {
          if (name === 'th') rowIsHeader = true;
          mark(rowCells === 0 ? '| ' : ' | ');
          pendingSpace = false;
          rowCells++;
        } else if (name === 'a') {
          if (link !== null) mark(`](${link})`);
          link = attr(t, 'href') ?? '';
          mark('[');
          pendingSpace = false;
        } else if (name === 'img') {
          const src = attr(t, 'src');
          if (src) mark(`![${(attr(t, 'alt') ?? '').replace(/\s+/g, ' ')}](${src})`);
        } else if (INLINE_MARKS[name] !== undefined) mark(INLINE_MARKS[name]);
      },
      onEndTag: (t) => {
        const name = t.tagName;
        if (titleParts !== null) {
          if (name === 'title') {
            title = cleanTitle(titleParts);
            titleParts = null;
          }
          return;
        }
        if (skipTag !== null) {
          if (name === skipTag && --skipDepth === 0) skipTag = null;
          return;
        }
        if (/^h[1-6]$/.test(name) || BLOCKS.has(name)) block(2);
        else if (name === 'pre' && pre > 0) {
          pre--;
          breaks = 1;
          emit('```');
          block(2);
        } else if (name === 'code' && pre === 0) mark('`');
        else if (name === 'blockquote' && quote > 0) {
          quote--;
          block(2);
        } else if ((name === 'ul' || name === 'ol') && lists.length > 0) {
          lists.pop();
          block(lists.length === 0 ? 2 : 1);
        } else if (name === 'tr') {
          if (rowCells > 0) {
            mark(' |');
            rows++;
            if (rowIsHeader && rows === 1) {
              breaks = 1;
              emit(`|${' --- |'.repeat(Math.min(rowCells, 1000))}`);
            }
          }
          block(1);
        } else if (name === 'a' && link !== null) {
          mark(`](${link})`);
          link = null;
        } else if (INLINE_MARKS[name] !== undefined) mark(INLINE_MARKS[name]);
      },
    },
  );
  return {
    write: (chunk, last) => tokenizer.write(chunk, last),
    result: () => {
      if (link !== null) mark(`](${link})`);
      if (titleParts !== null) title = cleanTitle(titleParts);
      return { title, markdown: out.join('').trim() };
    },
  };
}
