/**
 * Hostile-input benchmark (issue 12): the worst-case cost per character of the token estimator,
 * the search tool and the fetch tool's HTML rendering on adversarial inputs, as ratios to
 * ordinary inputs of the same size measured in the same run (goal: ≤ 2×). Each figure is the
 * median of {@link REPEATS} runs; random inputs are generated afresh for every run, so the BPE
 * tokenizer's word cache helps them no more than it would in real use.
 *
 * Run: `node --conditions=mixtape-source --import tsx bench/run.ts hostile-input`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { estimateTextTokens, MAX_EXACT_TOKEN_CHARS } from '@mixtape/core';
import { htmlToMarkdown, searchTool } from '@mixtape/tools';

/** Runs per figure (the median is reported). */
export const REPEATS = 5;
/** Characters of each token-estimator input (the largest size tokenised exactly). */
export const TOKEN_INPUT_CHARS = MAX_EXACT_TOKEN_CHARS;
/** Characters of each search corpus. */
export const SEARCH_INPUT_CHARS = 2 * 1024 * 1024;
/** Characters of each HTML page. */
export const HTML_INPUT_CHARS = 1024 * 1024;

let seed = 12;
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const fill = (n: number, next: () => string): string => {
  const parts: string[] = [];
  let length = 0;
  while (length < n) {
    const p = next();
    parts.push(p);
    length += p.length;
  }
  return parts.join('').slice(0, n);
};

const WORDS =
  'the of and to in is was for on that with as by at from his her which be this are or an had not but what all were when we there can more if will one about up out them some so into has its time agent tool call model window token'.split(
    ' ',
  );
const prose = (n: number) => fill(n, () => pick(WORDS) + (random() < 0.1 ? '. ' : ' '));
const letters = (n: number, alphabet: string) => fill(n, () => alphabet[Math.floor(random() * alphabet.length)] as string);
const randomWords = (n: number) => fill(n, () => `${letters(2 + Math.floor(random() * 8), 'abcdefghijklmnopqrstuvwxyz')} `);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Median nanoseconds per character of `work` over inputs from `make`. */
async function perChar(make: () => string, work: (input: string) => unknown): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const input = make();
    const t0 = performance.now();
    await work(input);
    times.push(((performance.now() - t0) * 1e6) / input.length);
  }
  return median(times);
}

function table(title: string, rows: [string, number][], baseline: number, second?: { name: string; ns: number }): string {
  const lines = [`| ${title} | ns/char | × ordinary |${second ? ` × ${second.name} |` : ''}`, `|---|---:|---:|${second ? '---:|' : ''}`];
  for (const [name, ns] of rows)
    lines.push(`| ${name} | ${ns.toFixed(0)} | ${(ns / baseline).toFixed(2)} |${second ? ` ${(ns / second.ns).toFixed(2)} |` : ''}`);
  return lines.join('\n');
}

async function tokenSection(): Promise<string> {
  const n = TOKEN_INPUT_CHARS;
  const estimate = (s: string) => estimateTextTokens(s);
  const ordinary = await perChar(() => prose(n), estimate);
  const cold = await perChar(() => randomWords(n), estimate);
  const rows: [string, number][] = [
    ['English prose (ordinary)', ordinary],
    ['random words, cache-cold (ordinary)', cold],
    ['one character repeated ("x" × n)', await perChar(() => 'x'.repeat(n), estimate)],
    ['random letters, no spaces', await perChar(() => letters(n, 'abcdefghijklmnopqrstuvwxyz'), estimate)],
    [
      'random base64, no spaces',
      await perChar(() => letters(n, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'), estimate),
    ],
    ['CJK without spaces', await perChar(() => letters(n, '漢字中文日本語한국어'), estimate)],
    ['whitespace run', await perChar(() => ' '.repeat(n), estimate)],
    ['punctuation run', await perChar(() => letters(n, '!?.,;:-_=+*&^%$#@'), estimate)],
    ['emoji run', await perChar(() => '😀'.repeat(n / 2), estimate)],
    ['"x" × 50 MiB (sampled above the exact size)', await perChar(() => 'x'.repeat(50 * 1024 * 1024), estimate)],
  ];
  return table(`token estimator, ${n / 1024} KiB inputs`, rows, ordinary, { name: 'cache-cold words', ns: cold });
}

async function searchSection(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mixtape-bench-hostile-'));
  try {
    let k = 0;
    const searchOver = (content: () => string, pattern: string) => async () => {
      const root = join(dir, `s${k++}`);
      mkdirSync(root);
      const text = content();
      for (let f = 0; f < 4; f++) writeFileSync(join(root, `f${f}.txt`), text.slice((f * text.length) / 4, ((f + 1) * text.length) / 4));
      return { root, pattern, size: text.length };
    };
    const measure = async (setup: () => Promise<{ root: string; pattern: string; size: number }>): Promise<number> => {
      const times: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        const { root, pattern, size } = await setup();
        const search = searchTool({ root, maxFileBytes: SEARCH_INPUT_CHARS });
        const parsed = search.validate({ pattern, max_results: 5_000 });
        if (!parsed.ok) throw new Error(parsed.error);
        const t0 = performance.now();
        await search.execute(parsed.value, { signal: new AbortController().signal, toolUseId: 'bench' });
        times.push(((performance.now() - t0) * 1e6) / size);
      }
      return median(times);
    };
    const n = SEARCH_INPUT_CHARS;
    const source = () => fill(n, () => `  const ${pick(WORDS)} = ${pick(WORDS)}(${pick(WORDS)}, ${Math.floor(random() * 100)});\n`);
    const ordinary = await measure(searchOver(source, 'function\\s+\\w+'));
    const rows: [string, number][] = [
      ['source text, `function\\s+\\w+` (ordinary)', ordinary],
      ['source text, literal word', await measure(searchOver(source, 'agent'))],
      ['28 × "a" + "!" lines, `(a+)+$`', await measure(searchOver(() => fill(n, () => `${'a'.repeat(28)}!\n`), '(a+)+$'))],
      ['one 2 MiB line of "a", `(a|aa)+b`', await measure(searchOver(() => `${'a'.repeat(n - 1)}!`, '(a|aa)+b'))],
      ['"a" lines, `(.*a){12}x`', await measure(searchOver(() => fill(n, () => `${'a'.repeat(60)}\n`), '(.*a){12}x'))],
    ];
    return table(`search, ${n / 1024 / 1024} MiB in 4 files`, rows, ordinary);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function htmlSection(): Promise<string> {
  const n = HTML_INPUT_CHARS;
  const render = (s: string) => htmlToMarkdown(s);
  const page = () =>
    `<!doctype html><html><head><title>Page</title><style>p{}</style></head><body>` +
    fill(
      n,
      () =>
        `<h2>${pick(WORDS)}</h2><p>Some <b>${pick(WORDS)}</b> text and a <a href="/${pick(WORDS)}">link</a>.</p><ul><li>${pick(WORDS)}</li><li>${pick(WORDS)}</li></ul>\n`,
    ) +
    '</body></html>';
  const ordinary = await perChar(page, render);
  const rows: [string, number][] = [
    ['ordinary page (ordinary)', ordinary],
    ['"<title" × n, unclosed', await perChar(() => '<title'.repeat(n / 6), render)],
    ['"<title>" then "<title" × n', await perChar(() => `<title>${'<title'.repeat(n / 6)}`, render)],
    ['"<div>" × n (deep nesting)', await perChar(() => '<div>'.repeat(n / 5), render)],
    ['"<a href=x>" × n', await perChar(() => '<a href=x>'.repeat(n / 10), render)],
    ['"<ul><li>" × n', await perChar(() => '<ul><li>'.repeat(n / 8), render)],
    ['"<" × n', await perChar(() => '<'.repeat(n), render)],
    ['"&amp" × n (entities)', await perChar(() => '&amp'.repeat(n / 4), render)],
    ['"<b id=i>" × n', await perChar(() => fill(n, () => `<b id=${Math.floor(random() * 1e6)}>`), render)],
  ];
  return table(`fetch HTML → Markdown, ${n / 1024 / 1024} MiB pages`, rows, ordinary);
}

export default async function bench(): Promise<string> {
  const sections = [await tokenSection(), await searchSection(), await htmlSection()];
  return [
    '## Hostile input (issue 12)',
    '',
    'Cost per character on adversarial inputs, as a ratio to ordinary input of the same size in the same run (goal ≤ 2×). ' +
      'Token estimation is linear (text cut into bounded pieces) and above 256 KiB sampled, so its cost per character falls with size; ' +
      "text no BPE word cache has seen (random letters, CJK, punctuation) costs more per character than prose, whose words the tokenizer's cache holds.",
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
}
