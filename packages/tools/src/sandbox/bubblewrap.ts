/**
 * A sandbox for the process tools on Linux, with bubblewrap (`bwrap`, Debian's `bubblewrap`):
 * the command sees the whole file system read-only, with the working folder (and any extra
 * `writable` folders) writable, a private `/tmp`, its own `/dev` and `/proc`, its own PID, IPC
 * and UTS namespaces, and no network unless `network: true`. It dies with the tool's process.
 * Reads are not confined (the command can read what the user can read); writes are.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ToolError } from '../errors.js';

/** Where bubblewrap is looked for by default. */
export const DEFAULT_BWRAP_PATH = '/usr/bin/bwrap';

/** Options of the process sandbox; `sandbox: true` means all defaults. */
export interface SandboxOptions {
  /** Let commands use the network (default false: only a loopback interface of their own). */
  network?: boolean;
  /** Folders writable besides the working folder (absolute, or relative to it). */
  writable?: readonly string[];
  /** Path of the bwrap executable (default {@link DEFAULT_BWRAP_PATH}). */
  bwrapPath?: string;
}

/** `true`, `false` or {@link SandboxOptions}. */
export type SandboxSetting = boolean | SandboxOptions;

/** The sandbox was asked for but cannot run here. */
export class SandboxUnavailableError extends ToolError {
  override name = 'SandboxUnavailableError';
  constructor(reason: string) {
    super(
      'sandbox_unavailable',
      `The process sandbox is not available: ${reason}. It needs Linux with bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and unprivileged user namespaces. ` +
        'Run without sandbox only where commands are trusted.',
    );
  }
}

const probed = new Map<string, string | null>();

/** Why bwrap at `bwrapPath` cannot sandbox a command here, or null when it can (checked once per path). */
export function sandboxProblem(bwrapPath: string = DEFAULT_BWRAP_PATH): string | null {
  const known = probed.get(bwrapPath);
  if (known !== undefined) return known;
  let problem: string | null = null;
  if (process.platform !== 'linux') problem = `this is ${process.platform}, not Linux`;
  else if (!existsSync(bwrapPath)) problem = `${bwrapPath} does not exist`;
  else {
    const probe = spawnSync(
      bwrapPath,
      ['--ro-bind', '/', '/', '--dev', '/dev', '--unshare-net', '--unshare-pid', '--die-with-parent', 'true'],
      { encoding: 'utf8', timeout: 10_000 },
    );
    if (probe.error) problem = `${bwrapPath} could not be run (${probe.error.message})`;
    else if (probe.status !== 0) problem = `${bwrapPath} failed: ${(probe.stderr || `exit status ${probe.status}`).trim()}`;
  }
  probed.set(bwrapPath, problem);
  return problem;
}

/** The normalised options of a setting, or null when the sandbox is off. */
export function sandboxOptionsOf(setting: SandboxSetting | undefined): SandboxOptions | null {
  if (setting === undefined || setting === false) return null;
  return setting === true ? {} : setting;
}

/**
 * The bwrap command line that runs `shell -c command` in `cwd` inside the sandbox.
 * @throws SandboxUnavailableError when bwrap cannot run here.
 */
export function sandboxedCommand(options: SandboxOptions, cwd: string, shell: string, command: string): { file: string; args: string[] } {
  const bwrap = options.bwrapPath ?? DEFAULT_BWRAP_PATH;
  const problem = sandboxProblem(bwrap);
  if (problem !== null) throw new SandboxUnavailableError(problem);
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const workdir = real(cwd);
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'];
  for (const dir of [workdir, ...(options.writable ?? []).map((w) => real(path.resolve(workdir, w)))]) args.push('--bind', dir, dir);
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent');
  if (!options.network) args.push('--unshare-net');
  args.push('--chdir', workdir, '--', shell, '-c', command);
  return { file: bwrap, args };
}
