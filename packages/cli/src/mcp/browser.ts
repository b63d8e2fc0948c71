/**
 * Opening a URL in the person's browser: `$BROWSER` when set (a command, or several separated by
 * `:`; `%s` stands for the URL), else `open` (macOS) or `xdg-open` when on the PATH. Never
 * fails: without a browser the caller has printed the URL for the person to open.
 * @module
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

function onPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  if (command.includes('/')) return command;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder of the PATH; look in the next.
    }
  }
  return undefined;
}

/** The command and arguments that would open `url`, or undefined when there is no browser. */
export function browserCommand(url: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string[] | undefined {
  const configured = env.BROWSER?.split(':').find((c) => c.trim() !== '');
  if (configured) {
    const words = configured.trim().split(/\s+/);
    const withUrl = words.some((w) => w.includes('%s')) ? words.map((w) => w.replaceAll('%s', url)) : [...words, url];
    const found = onPath(withUrl[0]!, env);
    return found ? [found, ...withUrl.slice(1)] : undefined;
  }
  const opener = onPath(platform === 'darwin' ? 'open' : 'xdg-open', env);
  return opener ? [opener, url] : undefined;
}

/**
 * Starts the browser on `url` (detached; its output is ignored). Returns false when no browser
 * command was found or it could not be started.
 */
export function openInBrowser(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const command = browserCommand(url, env);
  if (!command) return false;
  try {
    const child = spawn(command[0]!, command.slice(1), { detached: true, stdio: 'ignore', env });
    // A browser that fails to start is the same as no browser: the URL is on the screen.
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
