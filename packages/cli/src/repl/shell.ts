/**
 * `!command`: runs a shell command in the working folder with the terminal attached.
 * @module
 */
import { spawn } from 'node:child_process';

/**
 * Runs `command` with `sh -c` (or `cmd /c` on Windows), inheriting the terminal, and resolves
 * with its exit code (or the signal that ended it). Ctrl+C reaches the command, not mixtape.
 */
export function runShellCommand(command: string, cwd: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const [shell, flag] =
    process.platform === 'win32'
      ? ['cmd.exe', '/c']
      : [process.env.SHELL && !process.env.SHELL.endsWith('fish') ? process.env.SHELL : '/bin/sh', '-c'];
  return new Promise((resolve) => {
    const ignore = () => {};
    process.on('SIGINT', ignore);
    const child = spawn(shell, [flag, command], { cwd, stdio: 'inherit' });
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      process.off('SIGINT', ignore);
      resolve({ code, signal });
    };
    child.on('error', () => done(127, null));
    child.on('exit', done);
  });
}
