/**
 * fast-check campaigns for issue 12: the command matcher against randomly wrapped and composed
 * `rm` commands, path confinement over random trees of folders, files, links and `..`, and the
 * token estimator's work per character (counted, never timed).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyseShellCommand,
  estimateTextTokens,
  forEachTokenPiece,
  matchesArguments,
  MAX_TOKEN_RUN_CHARS,
  TOKEN_CHUNK_CHARS,
  tokenEstimatorWork,
  type Tool,
} from '@mixtape/core';
import { readFileTool, resolveInRoot, ToolError, writeFileTool } from '@mixtape/tools';

const run = promisify(execFile);
const rmRule = { kind: 'command' as const, prefix: ['rm'] };
const deny = { effect: 'deny' as const, base: '/' };

/** Single-quotes a string for sh. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

const CORES = [
  'rm victim',
  'X=1 rm victim',
  '/bin/rm victim',
  "'rm' victim",
  'r\\m victim',
  'unlink victim',
  'find . -name victim -delete',
  'find . -name victim -exec rm {} +',
];
/** Wrappers that take a simple command (a compound one after them is not shell syntax). */
const SIMPLE_WRAPPERS: readonly ((w: string) => string)[] = [
  (w) => `env ${w}`,
  (w) => `env -i PATH=/usr/bin:/bin ${w}`,
  (w) => `command ${w}`,
  (w) => `nice -n 3 ${w}`,
  (w) => `nohup ${w}`,
  (w) => `timeout -s TERM 5 ${w}`,
];
/** Wrappers that take any command; `simple` says whether the result is a simple command. */
const ANY_WRAPPERS: readonly { wrap: (w: string) => string; simple: boolean }[] = [
  { wrap: (w) => `sh -c ${q(w)}`, simple: true },
  { wrap: (w) => `bash -c ${q(w)}`, simple: true },
  { wrap: (w) => `eval ${q(w)}`, simple: false }, // a builtin: env/nice cannot run it
  { wrap: (w) => `{ ${w}; }`, simple: false },
  { wrap: (w) => `( ${w} )`, simple: false },
  { wrap: (w) => `if true; then ${w}; fi`, simple: false },
  { wrap: (w) => `while false; do :; done; ${w}`, simple: false },
  { wrap: (w) => `! ${w}`, simple: false },
  { wrap: (w) => `true && ${w}`, simple: false },
  { wrap: (w) => `false || ${w}`, simple: false },
  { wrap: (w) => `echo hi | ${w}`, simple: false },
  { wrap: (w) => `${w} 2>/dev/null`, simple: false },
  { wrap: (w) => `echo $(${w})`, simple: false },
  { wrap: (w) => `echo "$(${w})"`, simple: false },
];

const wrappedRm = fc
  .tuple(fc.constantFrom(...CORES), fc.array(fc.nat(SIMPLE_WRAPPERS.length + ANY_WRAPPERS.length - 1), { maxLength: 4 }))
  .map(([core, ws]) => {
    let command = core;
    let simple = !core.startsWith('X='); // an assignment prefix cannot follow env/nice/…
    for (const i of ws) {
      if (i < SIMPLE_WRAPPERS.length) {
        if (simple) command = (SIMPLE_WRAPPERS[i] as (w: string) => string)(command);
      } else {
        const w = ANY_WRAPPERS[i - SIMPLE_WRAPPERS.length]!;
        command = w.wrap(command);
        simple = w.simple;
      }
    }
    return command;
  });

describe('command matcher campaign', () => {
  it('a deny rule on rm matches every randomly wrapped and composed rm command', () => {
    fc.assert(
      fc.property(wrappedRm, (command) => {
        expect(matchesArguments(rmRule, { command }, deny)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('the generated commands are real: a sample run by sh deletes the file', async () => {
    const samples = fc.sample(wrappedRm, { numRuns: 25, seed: 12 });
    for (const command of samples) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mixtape-rm-prop-'));
      writeFileSync(path.join(dir, 'victim'), 'v');
      await run('bash', ['-c', command], { cwd: dir }).catch(() => undefined);
      expect(existsSync(path.join(dir, 'victim')), command).toBe(false);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('any string is analysed without throwing; an allowed command is a single simple command', () => {
    const shellish = fc.string({ unit: fc.constantFrom(...'ab rm-/;&|(){}$`\'"\\\n*?=!#<>'.split('')), maxLength: 120 });
    fc.assert(
      fc.property(shellish, (command) => {
        const analysis = analyseShellCommand(command);
        if (matchesArguments({ kind: 'command', prefix: ['rm'] }, { command }, { effect: 'allow', base: '/' })) {
          expect(analysis.simple).toBe(true);
          expect(analysis.commands).toHaveLength(1);
        }
        // Fail closed: a deny rule on the first word of any analysed command matches.
        for (const argv of analysis.commands) {
          const head = path.posix.basename(argv[0] ?? '');
          if (head !== '') expect(matchesArguments({ kind: 'command', prefix: [head] }, { command }, deny)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

const SEGMENTS = ['a', 'b', 'c', '..', '.', 'l1', 'l2', 'l3'];
const LINK_TARGETS = [
  '..',
  '../..',
  'a',
  'a/b',
  '../outside',
  '../../outside/secret.txt',
  'missing/new',
  '/etc',
  'OUTSIDE',
  'OUTSIDE/new.txt',
  '.',
];

interface Tree {
  dirs: string[][];
  files: string[][];
  links: { at: string[]; target: string }[];
}

const treeArb: fc.Arbitrary<Tree> = fc.record({
  dirs: fc.array(fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 }), { maxLength: 6 }),
  files: fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'f.txt'), { minLength: 1, maxLength: 3 }), { maxLength: 6 }),
  links: fc.array(
    fc.record({
      at: fc.array(fc.constantFrom('a', 'b', 'l1', 'l2', 'l3'), { minLength: 1, maxLength: 2 }),
      target: fc.constantFrom(...LINK_TARGETS),
    }),
    { maxLength: 5 },
  ),
});
const queryArb = fc.tuple(
  fc.constantFrom('', 'ROOT/', 'OUTSIDE/'),
  fc.array(fc.constantFrom(...SEGMENTS, 'f.txt', 'secret.txt'), { minLength: 1, maxLength: 6 }),
);

/** Every file under `dir` with its content (links listed, not followed). */
function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else out.push(`${full}:${st.isFile() ? readFileSync(full, 'utf8') : 'link'}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

async function attempt(t: Tool<any>, input: unknown): Promise<unknown> {
  const parsed = t.validate(input);
  if (!parsed.ok) throw new Error(parsed.error);
  return t.execute(parsed.value, { signal: new AbortController().signal, toolUseId: 'toolu_prop' });
}

describe('path confinement campaign', () => {
  it('over random trees of folders, files, links and .., nothing outside is read, written or created', async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, fc.array(queryArb, { minLength: 1, maxLength: 8 }), async (tree, queries) => {
        const base = mkdtempSync(path.join(os.tmpdir(), 'mixtape-confine-prop-'));
        const root = path.join(base, 'root');
        const outside = path.join(base, 'outside');
        mkdirSync(root);
        mkdirSync(outside);
        writeFileSync(path.join(outside, 'secret.txt'), 'OUTSIDE\n');
        const fill = (s: string) => s.replace('OUTSIDE', outside);
        for (const d of tree.dirs) mkdirSync(path.join(root, ...d), { recursive: true });
        for (const f of tree.files) {
          try {
            mkdirSync(path.join(root, ...f.slice(0, -1)), { recursive: true });
            writeFileSync(path.join(root, ...f), 'inside\n');
          } catch {
            // a file where a folder is wanted (or the reverse): that tree simply lacks this entry
          }
        }
        for (const l of tree.links) {
          try {
            mkdirSync(path.join(root, ...l.at.slice(0, -1)), { recursive: true });
            symlinkSync(fill(l.target), path.join(root, ...l.at));
          } catch {
            // the name is taken: that tree simply lacks this link
          }
        }
        const before = snapshot(outside);
        const read = readFileTool({ root });
        const write = writeFileTool({ root });
        try {
          for (const [prefix, segments] of queries) {
            const p = prefix.replace('ROOT', root).replace('OUTSIDE', outside) + segments.join('/');
            const resolved = await resolveInRoot(root, p).catch((e: unknown) => e);
            if (typeof resolved === 'string') expect(path.relative(root, resolved).startsWith('..')).toBe(false);
            else expect(resolved).toBeInstanceOf(ToolError);
            const text = await attempt(read, { path: p }).catch((e: unknown) => e);
            if (typeof text === 'string') expect(text).not.toContain('OUTSIDE');
            else expect(text).toBeInstanceOf(ToolError);
            for (const mode of ['append', 'rewrite']) {
              const w = await attempt(write, { path: p, content: 'W\n', mode }).catch((e: unknown) => e);
              if (typeof w !== 'string') expect(w).toBeInstanceOf(ToolError);
            }
          }
          expect(snapshot(outside)).toBe(before);
        } finally {
          rmSync(base, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });
});

const require = createRequire(import.meta.url);
const exact = require('gpt-tokenizer/cjs/encoding/cl100k_base') as { countTokens(text: string): number };

function isSpaceCode(c: number): boolean {
  return /\s/.test(String.fromCharCode(c));
}

const hostileText = fc
  .array(
    fc.oneof(
      fc
        .tuple(fc.constantFrom('x', ' ', '\n', '漢', '😀', '!', '1', 'ab', 'a1', '\t '), fc.integer({ min: 1, max: 3000 }))
        .map(([unit, n]) => unit.repeat(n)),
      fc.string({ maxLength: 200 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

describe('token estimation campaign', () => {
  it('cuts any text into bounded pieces in one pass, so the tokenizer work per character is bounded', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        let at = 0;
        let pieces = 0;
        const before = tokenEstimatorWork();
        forEachTokenPiece(text, 0, text.length, (start, end) => {
          expect(start).toBe(at);
          expect(end).toBeGreaterThan(start);
          expect(end - start).toBeLessThanOrEqual(TOKEN_CHUNK_CHARS + 1);
          const first = text.charCodeAt(start);
          expect(first >= 0xdc00 && first <= 0xdfff && start > 0).toBe(false);
          let run = 0;
          let longest = 0;
          for (let i = start; i < end; i++) {
            run = i > start && isSpaceCode(text.charCodeAt(i)) === isSpaceCode(text.charCodeAt(i - 1)) ? run + 1 : 1;
            longest = Math.max(longest, run);
          }
          expect(longest).toBeLessThanOrEqual(MAX_TOKEN_RUN_CHARS + 1);
          at = end;
          pieces++;
        });
        expect(at).toBe(text.length);
        // One scan of the text; every piece is bounded, so BPE work is O(pieces × bound) = O(n).
        expect(tokenEstimatorWork().scanned - before.scanned).toBe(text.length);
        expect(pieces).toBeLessThanOrEqual(Math.max(1, text.length));
      }),
      { numRuns: 300 },
    );
  });

  it('the estimator hands each character to the tokenizer at most once', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const before = tokenEstimatorWork();
        estimateTextTokens(text);
        const after = tokenEstimatorWork();
        expect(after.chars - before.chars).toBe(text.length);
        expect(after.calls - before.calls).toBeLessThanOrEqual(text.length);
      }),
      { numRuns: 200 },
    );
  });

  it('stays within 1% of the exact count on ordinary text', () => {
    const words = [
      'the',
      'agent',
      'calls',
      'a',
      'tool',
      'and',
      'reads',
      'files',
      'in',
      'parallel',
      'Überprüfung',
      'naïve',
      '2026',
      'JSON',
      '{"a":1}',
      'función',
    ];
    const prose = fc
      .array(fc.tuple(fc.constantFrom(...words), fc.constantFrom(' ', ' ', ' ', '\n', '. ', ', ')), { minLength: 1, maxLength: 3000 })
      .map((ps) => ps.map(([w, s]) => w + s).join(''));
    fc.assert(
      fc.property(prose, (text) => {
        const want = exact.countTokens(text);
        expect(Math.abs(estimateTextTokens(text) - want)).toBeLessThanOrEqual(Math.ceil(want * 0.01) + 2);
      }),
      { numRuns: 100 },
    );
  });
});
