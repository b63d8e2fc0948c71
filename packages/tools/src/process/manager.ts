/**
 * Process sessions: commands started with `sh -c` whose output is kept in a bounded buffer and
 * whose stdin the model can write to.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ToolError } from '../errors.js';
import {
  sandboxedCommand,
  sandboxOptionsOf,
  sandboxProblem,
  SandboxUnavailableError,
  type SandboxOptions,
  type SandboxSetting,
} from '../sandbox/bubblewrap.js';

/** Most output (characters, stdout and stderr together) kept per process; older output is dropped. */
export const DEFAULT_OUTPUT_BUFFER_CHARS = 1024 * 1024;
/** Time between SIGTERM and SIGKILL when a process is killed. */
export const DEFAULT_KILL_GRACE_MS = 5_000;
/** Most finished sessions remembered; the oldest finished ones are forgotten first. */
export const DEFAULT_MAX_FINISHED_SESSIONS = 100;

/** Matches a prompt at the end of output: shells, REPLs, password and yes/no questions. */
export const PROMPT_PATTERN =
  /(?:>>>|\.\.\.|[>$#%?:]|password:|\(yes\/no(?:\/\[fingerprint\])?\)\??|\[[Yy]\/[Nn]\]|irb\([^)]*\)[^>]*>|pry\([^)]*\)[^>]*>|iex\(\d+\)>|(?:scala|ghci|sqlite|mysql|postgres[^>]*|redis[^>]*)>)\s*$/i;

/** Status of a session. */
export type ProcessStatus = 'running' | 'exited' | 'killed';

/** One process started by the process tools. */
export interface ProcessSession {
  readonly pid: number;
  readonly command: string;
  readonly startedAt: Date;
  status: ProcessStatus;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  endedAt?: Date;
}

interface Entry extends ProcessSession {
  child: ChildProcess;
  /** Output since the start, minus what was dropped. */
  buffer: string;
  /** Characters dropped from the front of the buffer so far. */
  dropped: number;
  /** Absolute position (characters since start) up to which the model has read. */
  readPosition: number;
  exited: Promise<void>;
  waiters: Set<() => void>;
  timeout?: NodeJS.Timeout;
}

/** Options of {@link ProcessManager}. */
export interface ProcessManagerOptions {
  /** Working folder of started processes (default `process.cwd()`). */
  cwd?: string;
  /** Shell used as `<shell> -c <command>` (default `sh`). */
  shell?: string;
  /** Environment of started processes (default the current one). */
  env?: NodeJS.ProcessEnv;
  outputBufferChars?: number;
  killGraceMs?: number;
  /**
   * Run every command in a bubblewrap sandbox (Linux): writes confined to the working folder,
   * no network unless `{ network: true }`. Creating the manager throws
   * {@link SandboxUnavailableError} where the sandbox cannot run.
   */
  sandbox?: SandboxSetting;
}

/** New output of a session since the last read. */
export interface OutputChunk {
  text: string;
  /** Characters that were dropped (buffer full) before this text could be read. */
  lost: number;
}

/**
 * Holds the processes started by the process tools. One manager is shared by the tools of one
 * {@link processTools} group; pass your own to share it wider or to shut everything down.
 */
export class ProcessManager {
  private readonly sessions = new Map<number, Entry>();
  readonly cwd: string;
  private readonly shell: string;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly bufferChars: number;
  readonly killGraceMs: number;
  /** The sandbox commands run in, or null when they run directly. */
  readonly sandbox: SandboxOptions | null;

  constructor(options: ProcessManagerOptions = {}) {
    this.sandbox = sandboxOptionsOf(options.sandbox);
    if (this.sandbox !== null) {
      const problem = sandboxProblem(this.sandbox.bwrapPath);
      if (problem !== null) throw new SandboxUnavailableError(problem);
    }
    this.cwd = options.cwd ?? process.cwd();
    this.shell = options.shell ?? 'sh';
    this.env = options.env;
    this.bufferChars = options.outputBufferChars ?? DEFAULT_OUTPUT_BUFFER_CHARS;
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  }

  /** Starts `command` with `sh -c` in its own process group. */
  start(command: string, options: { cwd?: string; timeoutMs?: number } = {}): ProcessSession {
    const cwd = options.cwd ?? this.cwd;
    const { file, args } =
      this.sandbox !== null ? sandboxedCommand(this.sandbox, cwd, this.shell, command) : { file: this.shell, args: ['-c', command] };
    const child = spawn(file, args, {
      cwd,
      env: this.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // own process group, so kill reaches the command's children too
    });
    if (child.pid === undefined) {
      throw new ToolError('process', `Could not start '${command}': the shell '${this.shell}' could not be spawned.`);
    }
    let resolveExit!: () => void;
    const exited = new Promise<void>((resolve) => (resolveExit = resolve));
    const entry: Entry = {
      pid: child.pid,
      command,
      startedAt: new Date(),
      status: 'running',
      exitCode: null,
      signal: null,
      child,
      buffer: '',
      dropped: 0,
      readPosition: 0,
      exited,
      waiters: new Set(),
    };
    const append = (text: string): void => {
      entry.buffer += text;
      if (entry.buffer.length > this.bufferChars) {
        const cut = entry.buffer.length - this.bufferChars;
        entry.buffer = entry.buffer.slice(cut);
        entry.dropped += cut;
      }
      this.wake(entry);
    };
    child.stdout?.setEncoding('utf8').on('data', (d: string) => append(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => append(d));
    child.stdin?.on('error', () => {}); // writing to a process that exited must not crash the host
    child.on('error', (error) => append(`\n[error] ${error.message}\n`));
    child.on('close', (code, signal) => {
      entry.exitCode = code;
      entry.signal = signal;
      if (entry.status === 'running') entry.status = signal ? 'killed' : 'exited';
      entry.endedAt = new Date();
      if (entry.timeout) clearTimeout(entry.timeout);
      resolveExit();
      this.wake(entry);
      this.forgetOldSessions();
    });
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
      entry.timeout = setTimeout(() => {
        append(`\n[timeout] killed after ${options.timeoutMs} ms\n`);
        void this.kill(entry.pid);
      }, options.timeoutMs);
      entry.timeout.unref();
    }
    child.unref();
    this.sessions.set(entry.pid, entry);
    return this.view(entry);
  }

  private view(entry: Entry): ProcessSession {
    return {
      pid: entry.pid,
      command: entry.command,
      startedAt: entry.startedAt,
      status: entry.status,
      exitCode: entry.exitCode,
      signal: entry.signal,
      ...(entry.endedAt ? { endedAt: entry.endedAt } : {}),
    };
  }

  private wake(entry: Entry): void {
    for (const w of [...entry.waiters]) w();
  }

  private forgetOldSessions(): void {
    const finished = [...this.sessions.values()].filter((e) => e.status !== 'running');
    for (const e of finished.slice(0, Math.max(0, finished.length - DEFAULT_MAX_FINISHED_SESSIONS))) this.sessions.delete(e.pid);
  }

  private entry(pid: number): Entry {
    const entry = this.sessions.get(pid);
    if (!entry)
      throw new ToolError(
        'not_found',
        `No process session with PID ${pid}. Use list_sessions to see the sessions started with start_process.`,
      );
    return entry;
  }

  /** The session with this PID, or undefined. */
  get(pid: number): ProcessSession | undefined {
    const entry = this.sessions.get(pid);
    return entry ? this.view(entry) : undefined;
  }

  /** All sessions, oldest first. */
  list(): ProcessSession[] {
    return [...this.sessions.values()].map((e) => this.view(e));
  }

  /** Takes the output not read yet. */
  read(pid: number): OutputChunk {
    const entry = this.entry(pid);
    const end = entry.dropped + entry.buffer.length;
    const from = Math.max(entry.readPosition, entry.dropped);
    const lost = from - entry.readPosition;
    entry.readPosition = end;
    return { text: entry.buffer.slice(from - entry.dropped), lost };
  }

  /** Text not read yet, without consuming it. */
  peek(pid: number): string {
    const entry = this.entry(pid);
    return entry.buffer.slice(Math.max(0, entry.readPosition - entry.dropped));
  }

  /**
   * Waits until `until` says the unread output is enough, the process exits, `timeoutMs`
   * passes or `signal` aborts. Returns why it stopped.
   */
  async waitFor(
    pid: number,
    timeoutMs: number,
    until: (unread: string) => boolean,
    signal?: AbortSignal,
  ): Promise<'condition' | 'exited' | 'timeout' | 'aborted'> {
    const entry = this.entry(pid);
    return new Promise((resolve) => {
      const pending: { timer?: NodeJS.Timeout } = {};
      const finish = (why: 'condition' | 'exited' | 'timeout' | 'aborted'): void => {
        entry.waiters.delete(check);
        if (pending.timer) clearTimeout(pending.timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(why);
      };
      const check = (): void => {
        if (until(this.peek(pid))) finish('condition');
        else if (entry.status !== 'running') finish('exited');
      };
      const onAbort = (): void => finish('aborted');
      if (signal?.aborted) return finish('aborted');
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.waiters.add(check);
      pending.timer = setTimeout(() => finish('timeout'), timeoutMs);
      check();
    });
  }

  /** Writes `text` to the process's stdin. */
  write(pid: number, text: string): void {
    const entry = this.entry(pid);
    if (entry.status !== 'running')
      throw new ToolError(
        'process',
        `Process ${pid} has ${entry.status === 'killed' ? 'been killed' : `exited (code ${entry.exitCode})`}; it cannot take input.`,
      );
    if (!entry.child.stdin || entry.child.stdin.destroyed || !entry.child.stdin.writable)
      throw new ToolError('process', `Process ${pid} has closed its standard input.`);
    entry.child.stdin.write(text);
  }

  /** Sends a signal to a session's process group. */
  signal(pid: number, signal: NodeJS.Signals): void {
    const entry = this.entry(pid);
    if (entry.status !== 'running') return;
    try {
      process.kill(-pid, signal);
    } catch {
      // No such group yet (the child has not reached setsid) or already gone: signal the child itself.
    }
    try {
      entry.child.kill(signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL when the process is still there after the grace period. */
  async kill(pid: number, graceMs = this.killGraceMs): Promise<'terminated' | 'killed' | 'not_running'> {
    const entry = this.entry(pid);
    if (entry.status !== 'running') return 'not_running';
    this.signal(pid, 'SIGTERM');
    const graceful = await Promise.race([
      entry.exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref()),
    ]);
    if (graceful) {
      entry.status = 'killed';
      return 'terminated';
    }
    this.signal(pid, 'SIGKILL');
    await this.exitedWithin(entry, graceMs + 1_000);
    entry.status = 'killed';
    return 'killed';
  }

  /** Waits for the exit of a process, at most `ms` (SIGKILL cannot be refused, but a wait must never hang a tool call). */
  private exitedWithin(entry: Entry, ms: number): Promise<void> {
    return Promise.race([entry.exited, new Promise<void>((r) => setTimeout(r, ms).unref())]);
  }

  /** Kills every running session (SIGKILL) and waits for them to exit. */
  async shutdown(): Promise<void> {
    const running = [...this.sessions.values()].filter((e) => e.status === 'running');
    for (const e of running) this.signal(e.pid, 'SIGKILL');
    await Promise.all(running.map((e) => this.exitedWithin(e, this.killGraceMs)));
  }
}
