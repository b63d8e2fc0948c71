/**
 * Process tools: start_process, read_process_output, interact_with_process, list_sessions,
 * list_processes, kill_process, force_terminate.
 * @module
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tool, type Tool } from '@mixtape/core';
import { z } from 'zod';
import { ToolError } from '../errors.js';
import { PROMPT_PATTERN, ProcessManager, type ProcessManagerOptions, type ProcessSession } from './manager.js';

/** How long start_process waits for the command to finish or print before answering. */
export const DEFAULT_START_WAIT_MS = 1_000;
/** Default wait of read_process_output and interact_with_process for new output. */
export const DEFAULT_OUTPUT_WAIT_MS = 5_000;
/** Longest wait read_process_output and interact_with_process accept. */
export const MAX_OUTPUT_WAIT_MS = 60_000;
/** Most characters of output returned by one call (the rest stays for the next read). */
export const DEFAULT_MAX_OUTPUT_CHARS = 50_000;
/** Default number of processes list_processes shows. */
export const DEFAULT_LIST_PROCESSES_LIMIT = 50;

const execFileAsync = promisify(execFile);

function describeStatus(s: ProcessSession): string {
  if (s.status === 'running') return 'running';
  if (s.status === 'killed') return `killed${s.signal ? ` (${s.signal})` : ''}`;
  return `exited (code ${s.exitCode})`;
}

function formatRuntime(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${(ms / 60_000).toFixed(1)}m`;
}

/** Options of the process tools. */
export interface ProcessToolsOptions extends ProcessManagerOptions {
  /** Share a manager between groups (default: a new one per {@link processTools} call). */
  manager?: ProcessManager;
  /** Wait of start_process (default {@link DEFAULT_START_WAIT_MS}). */
  startWaitMs?: number;
  maxOutputChars?: number;
}

function takeOutput(manager: ProcessManager, pid: number, maxChars: number): string {
  const chunk = manager.read(pid);
  let text = chunk.text;
  let note = chunk.lost > 0 ? `[${chunk.lost} characters of earlier output were dropped: the buffer is full]\n` : '';
  if (text.length > maxChars) {
    note += `[showing the last ${maxChars} of ${text.length} new characters]\n`;
    text = text.slice(text.length - maxChars);
  }
  return note + text;
}

const pidInput = z.number().int().positive().describe('PID of the process (from start_process or list_sessions)');

/** Builds the seven process tools around one {@link ProcessManager}. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a group holds tools of different input types
export function processTools(options: ProcessToolsOptions = {}): Tool<any>[] {
  const manager = options.manager ?? new ProcessManager(options);
  const startWait = options.startWaitMs ?? DEFAULT_START_WAIT_MS;
  const maxOutput = options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS;

  const startProcess = tool({
    name: 'start_process',
    description:
      'Start a shell command (sh -c) in the background. Returns its PID, status and first output. Use read_process_output for more output and interact_with_process to send input.',
    input: z.object({
      command: z.string().min(1),
      timeout_ms: z.number().int().positive().optional().describe('Kill the process after this many ms'),
      wait_ms: z
        .number()
        .int()
        .min(0)
        .max(MAX_OUTPUT_WAIT_MS)
        .optional()
        .describe(`How long to wait for it to finish before answering (default ${startWait})`),
    }),
    formatInput: (input) => input.command,
    async execute(input, ctx) {
      const session = manager.start(input.command, input.timeout_ms !== undefined ? { timeoutMs: input.timeout_ms } : {});
      await manager.waitFor(session.pid, input.wait_ms ?? startWait, (unread) => PROMPT_PATTERN.test(unread), ctx.signal);
      const now = manager.get(session.pid) ?? session;
      const output = takeOutput(manager, session.pid, maxOutput);
      return `Started process: ${input.command}\nPID: ${session.pid}\nStatus: ${describeStatus(now)}\n${output ? `\nOutput:\n${output}` : '\n(no output yet)'}`;
    },
  });

  const readOutput = tool({
    name: 'read_process_output',
    description:
      'Read the output a started process printed since the last read. Waits up to timeout_ms for new output or for the process to exit, and returns as soon as there is some.',
    input: z.object({ pid: pidInput, timeout_ms: z.number().int().min(0).max(MAX_OUTPUT_WAIT_MS).default(DEFAULT_OUTPUT_WAIT_MS) }),
    formatInput: (input) => `PID ${input.pid}`,
    async execute(input, ctx) {
      await manager.waitFor(input.pid, input.timeout_ms, (unread) => unread.length > 0, ctx.signal);
      const session = manager.get(input.pid) as ProcessSession;
      const output = takeOutput(manager, input.pid, maxOutput);
      return `Process ${input.pid}\nStatus: ${describeStatus(session)}\n\n${output ? `Output:\n${output}` : 'No new output'}`;
    },
  });

  const interact = tool({
    name: 'interact_with_process',
    description:
      'Send a line of input to a started process (a newline is added) and return its response: output until it shows a prompt, exits, or timeout_ms passes.',
    input: z.object({
      pid: pidInput,
      input: z.string(),
      wait_for_response: z.boolean().default(true),
      timeout_ms: z.number().int().min(0).max(MAX_OUTPUT_WAIT_MS).default(DEFAULT_OUTPUT_WAIT_MS),
    }),
    formatInput: (input) => `PID ${input.pid} ← ${input.input}`,
    async execute(input, ctx) {
      const previous = takeOutput(manager, input.pid, maxOutput); // output before our input is not the response
      manager.write(input.pid, `${input.input}\n`);
      if (!input.wait_for_response) return `Sent input to process ${input.pid}: ${input.input}`;
      const why = await manager.waitFor(input.pid, input.timeout_ms, (unread) => PROMPT_PATTERN.test(unread), ctx.signal);
      const session = manager.get(input.pid) as ProcessSession;
      const output = takeOutput(manager, input.pid, maxOutput);
      const reason = { condition: 'prompt detected', exited: 'process exited', timeout: 'timed out waiting', aborted: 'cancelled' }[why];
      return (
        `Sent to process ${input.pid}: ${input.input}\nStatus: ${describeStatus(session)} (${reason})\n\n` +
        (previous ? `Earlier unread output:\n${previous}\n` : '') +
        `Response:\n${output || '(none)'}`
      );
    },
  });

  const listSessions = tool({
    name: 'list_sessions',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description: 'List the processes started with start_process, with status and runtime.',
    input: z.object({}),
    formatInput: () => '',
    execute() {
      const sessions = manager.list();
      if (sessions.length === 0) return 'No sessions';
      const rows = sessions.map((s) => {
        const runtime = (s.endedAt ?? new Date()).getTime() - s.startedAt.getTime();
        const command = s.command.length > 60 ? `${s.command.slice(0, 57)}...` : s.command;
        return `${String(s.pid).padEnd(8)} ${describeStatus(s).padEnd(18)} ${formatRuntime(runtime).padEnd(8)} ${command}`;
      });
      return [`${'PID'.padEnd(8)} ${'STATUS'.padEnd(18)} ${'RUNTIME'.padEnd(8)} COMMAND`, ...rows].join('\n');
    },
  });

  const listProcesses = tool({
    name: 'list_processes',
    retrySafe: true, // read-only or idempotent: re-run after a crash (see the README)
    description: `List processes of the machine (ps), busiest first (CPU, then memory), optionally filtered by command text; at most ${DEFAULT_LIST_PROCESSES_LIMIT} by default.`,
    input: z.object({
      filter: z.string().optional().describe('Only processes whose command line contains this text'),
      limit: z.number().int().min(1).max(1000).default(DEFAULT_LIST_PROCESSES_LIMIT),
    }),
    formatInput: (input) => input.filter ?? '',
    async execute(input) {
      let stdout: string;
      try {
        ({ stdout } = await execFileAsync('ps', ['-eo', 'pid=,pcpu=,rss=,args='], { maxBuffer: 16 * 1024 * 1024 }));
      } catch (error) {
        throw new ToolError('process', `Could not list processes with ps: ${(error as Error).message}`);
      }
      let rows = stdout
        .split('\n')
        .map((line) => line.trim().match(/^(\d+)\s+([\d.]+)\s+(\d+)\s+(.*)$/))
        .filter((m): m is RegExpMatchArray => m !== null)
        .map((m) => ({ pid: Number(m[1]), cpu: Number(m[2]), rssKb: Number(m[3]), command: m[4] as string }));
      if (input.filter) rows = rows.filter((r) => r.command.includes(input.filter as string));
      rows.sort((a, b) => b.cpu - a.cpu || b.rssKb - a.rssKb || a.pid - b.pid);
      const shown = rows.slice(0, input.limit);
      const lines = shown.map(
        (r) =>
          `${String(r.pid).padEnd(8)} ${r.cpu.toFixed(1).padStart(5)} ${`${(r.rssKb / 1024).toFixed(1)}MB`.padStart(10)}  ${r.command.length > 100 ? `${r.command.slice(0, 97)}...` : r.command}`,
      );
      const more = rows.length > shown.length ? `\n... and ${rows.length - shown.length} more processes (use filter or limit)` : '';
      return [`${'PID'.padEnd(8)} ${'CPU%'.padStart(5)} ${'MEMORY'.padStart(10)}  COMMAND`, ...lines].join('\n') + more;
    },
  });

  const killProcess = tool({
    name: 'kill_process',
    description: `Stop a process by PID: SIGTERM, then SIGKILL if it is still running after grace_ms (default ${manager.killGraceMs} ms). Works for sessions and other processes of the machine.`,
    input: z.object({ pid: z.number().int().positive(), grace_ms: z.number().int().min(0).max(MAX_OUTPUT_WAIT_MS).optional() }),
    formatInput: (input) => `PID ${input.pid}`,
    async execute(input) {
      const grace = input.grace_ms ?? manager.killGraceMs;
      if (input.pid === 1 || input.pid === process.pid || input.pid === process.ppid) {
        throw new ToolError(
          'invalid_input',
          `Refusing to kill PID ${input.pid}: it is ${input.pid === 1 ? 'the init process' : 'this agent or its parent'}.`,
        );
      }
      if (manager.sandbox !== null && !manager.get(input.pid)) {
        throw new ToolError(
          'permission_denied',
          `Refusing to kill PID ${input.pid}: with the sandbox on, kill_process only stops processes started with start_process.`,
        );
      }
      if (manager.get(input.pid)) {
        const how = await manager.kill(input.pid, grace);
        if (how === 'not_running') return `Process ${input.pid} was not running`;
        return how === 'terminated'
          ? `Process ${input.pid} terminated (SIGTERM)`
          : `Process ${input.pid} did not stop within ${grace} ms after SIGTERM and was killed (SIGKILL)`;
      }
      return killOsProcess(input.pid, grace);
    },
  });

  const forceTerminate = tool({
    name: 'force_terminate',
    description:
      'Immediately stop a session started with start_process: SIGKILL (or SIGTERM with force=false), to its whole process group.',
    input: z.object({ pid: pidInput, force: z.boolean().default(true) }),
    formatInput: (input) => `PID ${input.pid}${input.force ? '' : ' (SIGTERM)'}`,
    async execute(input) {
      const session = manager.get(input.pid);
      if (!session)
        throw new ToolError(
          'not_found',
          `No process session with PID ${input.pid}. Use list_sessions, or kill_process for other processes.`,
        );
      if (session.status !== 'running') return `Process ${input.pid} is not running (${describeStatus(session)})`;
      manager.signal(input.pid, input.force ? 'SIGKILL' : 'SIGTERM');
      if (input.force) await manager.waitFor(input.pid, MAX_OUTPUT_WAIT_MS, () => false);
      return input.force ? `Force killed process ${input.pid}` : `Sent SIGTERM to process ${input.pid}`;
    },
  });

  return [startProcess, readOutput, interact, listSessions, listProcesses, killProcess, forceTerminate];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, poll until gone or the grace period passes, then SIGKILL. For processes we did not start. */
async function killOsProcess(pid: number, graceMs: number): Promise<string> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new ToolError('not_found', `No process with PID ${pid}.`);
    if (code === 'EPERM') throw new ToolError('process', `Not allowed to signal PID ${pid} (it belongs to another user).`);
    throw error;
  }
  // Polling: there is no exit notification for a process that is not our child.
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return `Process ${pid} terminated (SIGTERM)`;
    await new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - Date.now()))));
  }
  if (!isAlive(pid)) return `Process ${pid} terminated (SIGTERM)`;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return `Process ${pid} terminated (SIGTERM)`;
  }
  return `Process ${pid} did not stop within ${graceMs} ms after SIGTERM and was killed (SIGKILL)`;
}
