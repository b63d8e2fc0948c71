/**
 * What a shell command string runs, for command rules: a small tokenizer and analyser of POSIX
 * shell / bash syntax that lists every simple command the string would run — through compound
 * commands (`;`, `&&`, `||`, pipes, `&`, `!`, `{ }`, `( )`, if/while/until/for), inside
 * substitutions (`$(…)`, backticks, `<(…)`, `${x:-$(…)}`), and through wrappers that run their
 * arguments as a command (env, command, exec, nice, nohup, timeout, xargs, sudo, setsid, stdbuf,
 * sh/bash -c, eval, trap, find -exec) — and says when it cannot know (an expansion or glob in
 * command position, a function or alias definition, a heredoc, backslash-newline, inline code
 * for an interpreter, a shell reading a script or stdin, `source`).
 *
 * Hand-written rather than a library: no maintained JavaScript bash parser fits (shell-quote
 * only splits words and operators and misses compound commands, keywords and nesting;
 * bash-parser and mvdan/sh's JS build are unmaintained or large WebAssembly/GopherJS bundles),
 * and a guard needs exactly this fail-closed subset, in linear time. The scanner reads the text
 * once; nested command substitutions are parsed in the same pass; strings re-parsed as commands
 * (`sh -c`, `eval`) are at most {@link MAX_SHELL_NESTING} levels deep, so the total work is
 * linear in the input.
 * @module
 */

/** Deepest nesting of substitutions and re-parsed strings (`sh -c "sh -c …"`) analysed. */
export const MAX_SHELL_NESTING = 8;
/** Most wrappers unwrapped in one command (`env nice nohup … rm`); more cannot be analysed. */
export const MAX_WRAPPER_CHAIN = 16;

/**
 * Commands that do what another command does, for deny rules: a rule on the command on the
 * right also covers these (`unlink x` is `rm x`; `find … -delete` counts as `rm`).
 */
export const COMMAND_EQUIVALENTS: Readonly<Record<string, string>> = { unlink: 'rm' };

/** What a command string runs. */
export interface ShellAnalysis {
  /** Every simple command it would run, as argv (quotes removed, wrappers unwrapped). */
  commands: string[][];
  /** Why the string cannot be fully analysed, or null when it can. */
  opaque: string | null;
  /** True when the string is exactly one simple command: no operators, redirections, substitutions or wrappers. */
  simple: boolean;
}

interface Word {
  text: string;
  /** Holds an expansion or substitution (`$x`, `$(…)`, backticks, `$'…'`, braces). */
  expands: boolean;
  /** Holds an unquoted glob character. */
  glob: boolean;
}

const RESERVED = new Set(['if', 'then', 'elif', 'else', 'fi', 'do', 'done', 'while', 'until', '!', '{', '}', '[[', ']]']);
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh', 'yash', 'fish', 'csh', 'tcsh', 'rbash']);
const INLINE_CODE: Record<string, readonly string[]> = {
  perl: ['-e', '-E'],
  ruby: ['-e'],
  node: ['-e', '--eval', '-p', '--print'],
  nodejs: ['-e', '--eval', '-p', '--print'],
  deno: ['eval'],
  bun: ['-e', '--eval'],
  php: ['-r'],
  lua: ['-e'],
  Rscript: ['-e'],
};
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
/** Options taking a value, per wrapper (long options given as `--x=value` need no entry). */
const WRAPPER_OPTIONS: Record<string, { withValue: readonly string[]; stop?: readonly string[] }> = {
  env: { withValue: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string', '-a', '--argv0'] },
  command: { withValue: [], stop: ['-v', '-V'] },
  exec: { withValue: ['-a'] },
  builtin: { withValue: [] },
  nice: { withValue: ['-n', '--adjustment'] },
  nohup: { withValue: [] },
  setsid: { withValue: [] },
  time: { withValue: ['-f', '--format', '-o', '--output'] },
  stdbuf: { withValue: ['-i', '-o', '-e', '--input', '--output', '--error'] },
  ionice: { withValue: ['-c', '--class', '-n', '--classdata'], stop: ['-p', '--pid', '-P', '--pgid', '-u', '--uid'] },
  sudo: {
    withValue: [
      '-u',
      '--user',
      '-g',
      '--group',
      '-C',
      '--close-from',
      '-D',
      '--chdir',
      '-h',
      '--host',
      '-p',
      '--prompt',
      '-r',
      '--role',
      '-t',
      '--type',
      '-U',
      '--other-user',
      '-T',
      '--command-timeout',
    ],
    stop: ['-l', '--list', '-v', '--validate', '-k', '-K', '-e', '--edit'],
  },
  doas: { withValue: ['-u', '-C'] },
  timeout: { withValue: ['-s', '--signal', '-k', '--kill-after'] },
  xargs: {
    withValue: [
      '-a',
      '--arg-file',
      '-d',
      '--delimiter',
      '-E',
      '-e',
      '--eof',
      '-I',
      '-i',
      '--replace',
      '-L',
      '-l',
      '--max-lines',
      '-n',
      '--max-args',
      '-P',
      '--max-procs',
      '-s',
      '--max-chars',
      '--process-slot-var',
    ],
  },
  chrt: { withValue: [] },
  taskset: { withValue: [] },
  watch: { withValue: ['-n', '--interval', '-d', '--differences', '-q', '--equexit'] },
  flock: { withValue: ['-w', '--timeout', '-E', '--conflict-exit-code'] },
};

function basename(word: string): string {
  const slash = word.lastIndexOf('/');
  return slash === -1 ? word : word.slice(slash + 1);
}

class Analyser {
  readonly commands: string[][] = [];
  opaque: string | null = null;
  compound = false;
  private i = 0;
  /** Backtick substitutions currently open. */
  private backticks = 0;

  constructor(
    private readonly s: string,
    private readonly depth: number,
  ) {}

  fail(reason: string): void {
    this.opaque ??= reason;
    this.compound = true;
  }

  /** Parses the whole string. */
  run(): void {
    this.list(null, this.depth);
  }

  /** Parses commands until `end` (')' or '`') or the end of the text. */
  private list(end: ')' | '`' | null, depth: number): void {
    if (depth > MAX_SHELL_NESTING) {
      this.fail('nested too deeply');
      this.skipTo(end);
      return;
    }
    if (end === '`') this.backticks++;
    try {
      this.listBody(end, depth);
    } finally {
      if (end === '`') this.backticks--;
    }
  }

  private listBody(end: ')' | '`' | null, depth: number): void {
    const s = this.s;
    let words: Word[] = [];
    let redirected = false;
    const finish = (): void => {
      if (words.length > 0) this.command(words, depth);
      else if (redirected) this.compound = true;
      words = [];
      redirected = false;
    };
    while (this.i < s.length) {
      const c = s[this.i] as string;
      if (c === ' ' || c === '\t') {
        this.i++;
      } else if (c === '\\' && s[this.i + 1] === '\n') {
        this.fail('a backslash-newline (line continuation)');
        this.i += 2;
      } else if (c === '#') {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
        this.compound = true;
      } else if (c === '\n' || c === '\r' || c === ';' || c === '&' || c === '|') {
        if (c === ';' && s[this.i + 1] === ';') this.fail('a case statement');
        if (c === '\r' && s[this.i + 1] !== '\n') this.fail('a carriage return');
        finish();
        this.compound = true;
        this.i++;
      } else if (c === '(') {
        if (words.length > 0) {
          this.fail('a function definition');
        }
        this.compound = true;
        this.i++;
        finish();
        this.list(')', depth + 1);
      } else if (c === ')') {
        finish();
        if (end === ')') {
          this.i++;
          return;
        }
        this.fail('an unbalanced )');
        this.i++;
      } else if (c === '`' && end === '`') {
        finish();
        this.i++;
        return;
      } else if (c === '`' && this.backticks > 0) {
        // Closes an enclosing backtick substitution while this list is still open.
        finish();
        this.fail('an unbalanced `');
        return;
      } else if ((c === '<' || c === '>') && s[this.i + 1] === '(') {
        this.compound = true;
        this.i += 2;
        this.list(')', depth + 1);
        words.push({ text: '', expands: true, glob: false });
      } else if (c === '<' || c === '>') {
        this.redirect(depth);
        redirected = true;
      } else {
        const start = this.i;
        const word = this.word(depth);
        if (this.i === start) {
          this.fail(`an unexpected '${c}'`); // never loop without reading
          this.i++;
          continue;
        }
        if (/^\d+$/.test(s.slice(start, this.i)) && (s[this.i] === '<' || s[this.i] === '>')) {
          continue; // the fd number of a redirection such as 2>&1
        }
        words.push(word);
      }
    }
    finish();
    if (end !== null) this.fail(`an unclosed ${end === ')' ? '(' : '`'}`);
  }

  private skipTo(end: ')' | '`' | null): void {
    if (end === null) this.i = this.s.length;
    else {
      const at = this.s.indexOf(end, this.i);
      this.i = at === -1 ? this.s.length : at + 1;
    }
  }

  private redirect(depth: number): void {
    const s = this.s;
    this.compound = true;
    let op = s[this.i] as string;
    this.i++;
    while (this.i < s.length && '<>&|'.includes(s[this.i] as string) && op.length < 3) op += s[this.i++];
    if (op.startsWith('<<') && op !== '<<<') this.fail('a here-document');
    if (op.endsWith('&') && /[\d-]/.test(s[this.i] ?? '')) {
      while (/[\d-]/.test(s[this.i] ?? '')) this.i++;
      return;
    }
    while (s[this.i] === ' ' || s[this.i] === '\t') this.i++;
    if (this.i < s.length && !'\n;&|()<>'.includes(s[this.i] as string)) this.word(depth);
  }

  /** Reads one word, removing quotes; substitutions inside are parsed as commands. */
  private word(depth: number): Word {
    const s = this.s;
    const w: Word = { text: '', expands: false, glob: false };
    const start = this.i;
    while (this.i < s.length) {
      const c = s[this.i] as string;
      if (' \t\n\r;&|()<>'.includes(c)) break;
      if (c === '`' && this.backticks > 0) break; // closes the enclosing backtick substitution
      if (c === '`') {
        this.i++;
        w.expands = true;
        this.list('`', depth + 1);
      } else if (c === '\\') {
        if (s[this.i + 1] === '\n') {
          this.fail('a backslash-newline (line continuation)');
          this.i += 2;
        } else {
          w.text += s[this.i + 1] ?? '';
          this.i += 2;
        }
      } else if (c === "'") {
        const close = s.indexOf("'", this.i + 1);
        if (close === -1) {
          this.fail('an unclosed quote');
          this.i = s.length;
        } else {
          w.text += s.slice(this.i + 1, close);
          this.i = close + 1;
        }
      } else if (c === '"') {
        this.doubleQuoted(w, depth);
      } else if (c === '$') {
        this.dollar(w, depth);
      } else {
        if (c === '*' || c === '?' || c === '[') w.glob = true;
        if (c === '{' || c === '}') {
          // `{` or `}` alone is a reserved word; inside a word it may be a brace expansion.
          const alone = this.i === start && (this.i + 1 >= s.length || ' \t\n\r;&|()<>'.includes(s[this.i + 1] as string));
          if (!alone) w.expands = true;
        }
        if (c === '~' && this.i === start) w.expands = true;
        w.text += c;
        this.i++;
      }
    }
    return w;
  }

  private doubleQuoted(w: Word, depth: number): void {
    const s = this.s;
    this.i++;
    while (this.i < s.length && s[this.i] !== '"') {
      const c = s[this.i] as string;
      if (c === '\\') {
        const next = s[this.i + 1] ?? '';
        if (next === '\n') this.fail('a backslash-newline (line continuation)');
        else w.text += '$`"\\'.includes(next) ? next : c + next;
        this.i += 2;
      } else if (c === '$') {
        this.dollar(w, depth);
      } else if (c === '`') {
        this.i++;
        w.expands = true;
        this.list('`', depth + 1);
      } else {
        w.text += c;
        this.i++;
      }
    }
    if (this.i >= s.length) this.fail('an unclosed quote');
    this.i++;
  }

  private dollar(w: Word, depth: number): void {
    const s = this.s;
    const next = s[this.i + 1] ?? '';
    if (next === '(') {
      w.expands = true;
      this.compound = true;
      this.i += 2;
      this.list(')', depth + 1); // $((…)) arithmetic parses as a nested list too (fail-safe)
    } else if (next === '{') {
      w.expands = true;
      this.i += 2;
      let braces = 1;
      while (this.i < s.length && braces > 0) {
        const c = s[this.i] as string;
        if (c === '$' && s[this.i + 1] === '(') {
          this.dollar(w, depth + 1); // nested `${` are counted as braces, not recursed into
          continue;
        }
        if (c === '`') {
          this.i++;
          this.list('`', depth + 1);
          continue;
        }
        if (c === '\\') this.i++;
        else if (c === '{') braces++;
        else if (c === '}') braces--;
        this.i++;
      }
      if (braces > 0) this.fail('an unclosed ${');
    } else if (next === "'") {
      w.expands = true; // ANSI-C quoting: $'\x72m' is "rm"
      let j = this.i + 2;
      while (j < s.length && s[j] !== "'") j += s[j] === '\\' ? 2 : 1;
      if (j >= s.length) this.fail('an unclosed quote');
      w.text += s.slice(this.i + 2, j);
      this.i = j + 1;
    } else if (/[A-Za-z0-9_@*#?$!-]/.test(next)) {
      w.expands = true;
      this.i++;
      if (/[A-Za-z_]/.test(next)) while (/[A-Za-z0-9_]/.test(s[this.i] ?? '')) this.i++;
      else this.i++;
    } else {
      w.text += '$';
      this.i++;
    }
  }

  /** One simple command: drop keywords and assignments, then unwrap wrappers. */
  private command(words: Word[], depth: number): void {
    let k = 0;
    for (;;) {
      const first = words[k];
      if (first === undefined) return;
      if (!first.expands && !first.glob && RESERVED.has(first.text)) {
        k++;
        continue;
      }
      if (!first.expands && (first.text === 'for' || first.text === 'select')) return; // `for x in a b` runs nothing
      if (!first.expands && (first.text === 'case' || first.text === 'function' || first.text === 'coproc')) {
        this.fail(`a '${first.text}' construct`);
        return;
      }
      if (ASSIGNMENT.test(first.text) && !first.text.startsWith('=')) {
        k++;
        continue;
      }
      break;
    }
    if (k > 0) this.compound = true;
    this.argv(words.slice(k), depth);
  }

  private argv(words: Word[], depth: number, hops = 0): void {
    const head = words[0];
    if (head === undefined) return;
    if (hops > MAX_WRAPPER_CHAIN) return this.fail('too many wrappers');
    if (head.expands || head.glob) {
      this.fail('an expansion, substitution or glob in command position');
      return;
    }
    const name = basename(head.text);
    const args = words.slice(1);
    const literal = (w: Word | undefined): string | null => (w === undefined || w.expands ? null : w.text);

    const wrapper = WRAPPER_OPTIONS[name];
    if (wrapper !== undefined) {
      this.compound = true;
      let j = 0;
      while (j < args.length) {
        const a = literal(args[j]);
        if (a === null) {
          this.fail(`an expansion in the options of ${name}`);
          return;
        }
        if (wrapper.stop?.includes(a)) return; // e.g. `command -v rm` runs nothing
        if (
          name === 'env' &&
          (a === '-S' || a === '--split-string' || a.startsWith('--split-string=') || (a.startsWith('-S') && a.length > 2))
        ) {
          const inline = a.startsWith('--split-string=')
            ? a.slice(15)
            : a.startsWith('-S') && a.length > 2
              ? a.slice(2)
              : literal(args[j + 1]);
          if (inline === null) return this.fail('an expansion in env -S');
          this.nested(inline, depth);
          return;
        }
        if (a === '--') {
          j++;
          break;
        }
        if (name === 'env' && ASSIGNMENT.test(a)) {
          j++;
          continue;
        }
        if (!a.startsWith('-') || a === '-') break;
        if (name === 'nice' && /^-\d+$/.test(a)) {
          j++;
          continue;
        }
        j += wrapper.withValue.includes(a) ? 2 : 1;
      }
      if (name === 'timeout') j++; // the duration
      if (name === 'chrt' || name === 'taskset') j++; // priority / CPU mask
      const rest = args.slice(j);
      if (name === 'watch') {
        const joined = rest.map(literal);
        if (joined.includes(null)) return this.fail('an expansion in watch');
        this.nested(joined.join(' '), depth);
        return;
      }
      if (rest.length === 0) {
        if (name === 'xargs') this.commands.push(['echo']);
        return;
      }
      this.argv(rest, depth, hops + 1);
      return;
    }

    if (SHELLS.has(name) || (name === 'busybox' && args[0] !== undefined && SHELLS.has(args[0].text))) {
      this.compound = true;
      const opts = name === 'busybox' ? args.slice(1) : args;
      let j = 0;
      let inline = false;
      for (; j < opts.length; j++) {
        const a = literal(opts[j]);
        if (a === null) return this.fail(`an expansion in the options of ${name}`);
        if (a === '--' || !/^[-+]/.test(a)) break;
        if (a === '-o' || a === '+o' || a === '-O' || a === '+O' || a === '--rcfile' || a === '--init-file') j++;
        else if (/^-[A-Za-z]*c[A-Za-z]*$/.test(a)) inline = true;
      }
      if (!inline) return this.fail(`${name} running a script or standard input`);
      const code = literal(opts[j]);
      if (code === null) return this.fail(`an expansion in ${name} -c`);
      this.nested(code, depth);
      return;
    }

    if (name === 'eval' || name === 'trap') {
      this.compound = true;
      const parts = (name === 'trap' ? args.slice(0, 1) : args).map(literal);
      if (parts.includes(null)) return this.fail(`an expansion in ${name}`);
      if (parts.length > 0 && !(name === 'trap' && parts[0]?.startsWith('-'))) this.nested(parts.join(' '), depth);
      return;
    }

    if (name === 'source' || name === '.' || name === 'alias' || name === 'enable')
      return this.fail(`'${name}' (runs or defines code that is not in the string)`);

    if (/^python[0-9.]*$/.test(name) || name === 'pypy' || name === 'pypy3') {
      if (args.some((a) => a.text === '-c' || /^-[A-Za-z]*c$/.test(a.text))) return this.fail(`inline code for ${name}`);
    }
    const codeFlags = INLINE_CODE[name];
    if (
      codeFlags &&
      args.some(
        (a) =>
          codeFlags.includes(a.text) ||
          codeFlags.some((f) => f.length === 2 && a.text.startsWith(f) && a.text.length > 2 && !a.text.startsWith('--')),
      )
    ) {
      return this.fail(`inline code for ${name}`);
    }

    const argv = words.map((w) => w.text);
    this.commands.push(argv);
    const equivalent = COMMAND_EQUIVALENTS[name];
    if (equivalent !== undefined) this.commands.push([equivalent, ...argv.slice(1)]);

    if (name === 'find') {
      for (let j = 0; j < args.length; j++) {
        const a = args[j]?.text;
        if (a === '-delete') this.commands.push(['rm', ...argv.slice(1, 2)]);
        if (a === '-exec' || a === '-execdir' || a === '-ok' || a === '-okdir') {
          let e = j + 1;
          while (e < args.length && args[e]?.text !== ';' && args[e]?.text !== '+') e++;
          this.compound = true;
          this.argv(args.slice(j + 1, e), depth, hops + 1);
          j = e;
        }
      }
    }
  }

  private nested(code: string, depth: number): void {
    if (depth + 1 > MAX_SHELL_NESTING) return this.fail('nested too deeply');
    const inner = new Analyser(code, depth + 1);
    inner.run();
    this.commands.push(...inner.commands);
    if (inner.opaque !== null) this.fail(inner.opaque);
  }
}

/** Analyses a shell command string: every command it would run, and whether that is certain. */
export function analyseShellCommand(command: string): ShellAnalysis {
  const analyser = new Analyser(command, 0);
  analyser.run();
  const simple = analyser.opaque === null && !analyser.compound && analyser.commands.length === 1;
  return { commands: analyser.commands, opaque: analyser.opaque, simple };
}
