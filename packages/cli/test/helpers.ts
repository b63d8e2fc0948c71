/**
 * Test helpers: run the real `mixtape` executable as a child process, or inside a real
 * pseudo-terminal with tmux (a private tmux server per test file), and poll the screen.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const binTs = path.join(repoRoot, 'packages/cli/src/bin.ts');
const tsxLoader = path.join(repoRoot, 'node_modules/tsx/dist/esm/index.mjs');

/** Node arguments that run the CLI from source. */
export const nodeArgs = ['--conditions=mixtape-source', '--import', tsxLoader, binTs];

/** Longest time a test waits for text on the screen or a process to end. */
export const WAIT_MS = 45_000;

/** A fresh project folder (real path, so it matches process.cwd() in the child). */
export function tempProject(): string {
  return realpathSync(mkdtempSync(path.join(tmpdir(), 'mixtape-cli-')));
}

/** An environment with no provider credentials (the child sees only what a test gives it). */
export function cleanEnv(extra: Record<string, string> = {}, home?: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home ?? tempProject(),
    LANG: 'C.UTF-8',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/** Result of a finished child process. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mixtape <args>` with no terminal; `input` goes to stdin (stdin is closed either way). */
export function runCli(args: string[], options: { cwd: string; env: Record<string, string>; input?: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mixtape ${args.join(' ')} did not finish in ${WAIT_MS} ms.\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, WAIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

let counter = 0;

/** The REPL in a real pseudo-terminal (tmux), driven like a person at a keyboard. */
export class TmuxSession {
  private constructor(
    readonly socket: string,
    readonly name: string,
  ) {}

  /** Starts `mixtape <args>` in a detached tmux session of a fixed size. */
  static start(args: string[], options: { cwd: string; env: Record<string, string>; width?: number; height?: number }): TmuxSession {
    const socket = `mixtape-test-${process.pid}-${++counter}`;
    const name = 'cli';
    const env = Object.entries({ TERM: 'xterm-256color', ...options.env }).map(([k, v]) => `${k}=${shellQuote(v)}`);
    // A shell waits for mixtape and prints its exit status: tmux sometimes leaves an exited
    // process unreaped for a long time on a busy machine, so its pane status cannot be relied on.
    const inner = `${[process.execPath, ...nodeArgs, ...args].map(shellQuote).join(' ')}; echo "[exit:$?]"`;
    const command = `exec env -i ${env.join(' ')} /bin/sh -c ${shellQuote(inner)}`;
    execFileSync('tmux', [
      '-L',
      socket,
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      String(options.width ?? 100),
      '-y',
      String(options.height ?? 40),
      '-c',
      options.cwd,
      command,
    ]);
    execFileSync('tmux', ['-L', socket, 'set-option', '-t', name, 'remain-on-exit', 'on']);
    execFileSync('tmux', ['-L', socket, 'set-option', '-t', name, 'history-limit', '5000']);
    return new TmuxSession(socket, name);
  }

  /** The whole pane, scrollback included, as plain text (lines the terminal wrapped are joined); `escapes` keeps colour codes. */
  screen(options: { escapes?: boolean } = {}): string {
    return execFileSync(
      'tmux',
      ['-L', this.socket, 'capture-pane', '-p', '-J', ...(options.escapes ? ['-e'] : []), '-S', '-', '-t', this.name],
      { encoding: 'utf8' },
    );
  }

  /**
   * A position for `waitFor(..., { after })`: the start of the last line on screen (the prompt
   * being edited is included; the empty rows below it are not counted).
   */
  mark(): number {
    const text = this.screen().trimEnd();
    return text.lastIndexOf('\n') + 1;
  }

  /** The visible rows of the pane, as the terminal shows them. */
  visible(): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', this.name], { encoding: 'utf8' });
  }

  /** Resizes the terminal (the program gets SIGWINCH). */
  resize(width: number, height = 40): void {
    execFileSync('tmux', ['-L', this.socket, 'resize-window', '-t', this.name, '-x', String(width), '-y', String(height)]);
  }

  /**
   * Resizes the window and waits until the program's terminal has the new size (tmux may resize
   * the pseudo-terminal, and signal the program, a little later), so that keys typed next reach a
   * program that already knows its width.
   */
  async resizeTo(width: number, height = 40, timeoutMs = WAIT_MS): Promise<void> {
    this.resize(width, height);
    const tty = execFileSync('tmux', ['-L', this.socket, 'display-message', '-p', '-t', this.name, '#{pane_tty}'], {
      encoding: 'utf8',
    }).trim();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const size = spawnSync('stty', ['-F', tty, 'size'], { encoding: 'utf8' }).stdout.trim();
      if (size === `${height} ${width}`) return;
      if (Date.now() > deadline) throw new Error(`The terminal ${tty} is ${size}, not ${height} ${width}.`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Pastes text as a terminal does (bracketed paste when the program asked for it). */
  paste(text: string): void {
    execFileSync('tmux', ['-L', this.socket, 'set-buffer', '-b', 'test-paste', '--', text]);
    execFileSync('tmux', ['-L', this.socket, 'paste-buffer', '-p', '-d', '-b', 'test-paste', '-t', this.name]);
  }

  /** Types text literally (no Enter). */
  type(text: string): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', this.name, '-l', text]);
  }

  /** Sends keys by name (Enter, C-c, C-d, C-j, Up, ...). */
  keys(...keys: string[]): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', this.name, ...keys]);
  }

  /** Types a line and presses Enter. */
  line(text: string): void {
    this.type(text);
    this.keys('Enter');
  }

  /** Polls the screen until `match` appears (after `after` characters of it, if given); returns the screen. */
  async waitFor(match: string | RegExp, options: { after?: number; timeoutMs?: number } = {}): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? WAIT_MS);
    for (;;) {
      const screen = this.screen();
      const tail = screen.slice(options.after ?? 0);
      if (typeof match === 'string' ? tail.includes(match) : match.test(tail)) return screen;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${String(match)}. Screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Exit status once the program has ended (printed by the wrapping shell), else undefined. */
  exitStatus(): number | undefined {
    const match = /\[exit:(\d+)\]/.exec(this.screen());
    return match ? Number(match[1]) : undefined;
  }

  /** Waits for the program to end; resolves with its exit status. */
  async waitForExit(timeoutMs = WAIT_MS): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = this.exitStatus();
      if (status !== undefined) return status;
      if (Date.now() > deadline) {
        const [pid, tty] = execFileSync('tmux', ['-L', this.socket, 'display-message', '-p', '-t', this.name, '#{pane_pid} #{pane_tty}'], {
          encoding: 'utf8',
        })
          .trim()
          .split(' ');
        const ps = spawnSync('ps', ['-o', 'pid,ppid,stat,etime,tty,args', '-p', pid!, '--ppid', pid!], { encoding: 'utf8' });
        throw new Error(`mixtape did not exit. Pane process ${pid} on ${tty}:\n${ps.stdout}${ps.stderr}\nScreen:\n${this.screen()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the tmux server of this session (and the program in it). */
  kill(): void {
    try {
      const socketPath = execFileSync('tmux', ['-L', this.socket, 'display-message', '-p', '#{socket_path}'], { encoding: 'utf8' }).trim();
      execFileSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
      if (socketPath) rmSync(socketPath, { force: true });
    } catch {
      // Already gone.
    }
  }
}

/** Whether tmux is available (the pseudo-terminal tests need it). */
export function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The text of the last user message the fake server received. */
export function lastUserText(server: { requests: { body: unknown }[] }): string {
  const body = server.requests.at(-1)?.body as { messages: { role: string; content: { type: string; text?: string }[] | string }[] };
  const last = body.messages.filter((m) => m.role === 'user').at(-1)!;
  return typeof last.content === 'string' ? last.content : last.content.map((b) => b.text ?? '').join('');
}

/** Starts the REPL in tmux against a fake Anthropic server; the session is added to `sessions` (killed after each test). */
export function startAgainst(
  server: { url: string },
  sessions: TmuxSession[],
  project: string,
  args: string[] = [],
  options: { width?: number; env?: Record<string, string> } = {},
): TmuxSession {
  const session = TmuxSession.start(args, {
    cwd: project,
    env: cleanEnv({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: server.url, ...options.env }, project),
    ...(options.width !== undefined && { width: options.width }),
  });
  sessions.push(session);
  return session;
}
