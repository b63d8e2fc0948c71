/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` + `pg_ctl` in a temporary
 * folder, listening on 127.0.0.1 only (a free port), with its Unix socket inside that folder.
 *
 * `initdb` refuses to run as root, so as root the cluster is created and run as the `postgres`
 * user (through `runuser`), with the folder owned by that user. The binaries are looked up in
 * `$PG_BIN` (only there when it is set), else Debian's `/usr/lib/postgresql/<version>/bin` (newest version), then `PATH`.
 * @module
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** How long `pg_ctl start` waits for the server to accept connections (seconds). */
export const CLUSTER_START_TIMEOUT_S = 60;

/** How often the watchdog checks that the process that started a cluster is alive (seconds). */
export const WATCHDOG_POLL_S = 1;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A running throwaway cluster. */
export interface PostgresCluster {
  /** Superuser connection string over TCP on 127.0.0.1 (database `postgres`, trust auth). */
  url: string;
  port: number;
  /** The cluster's folder (data, socket and log); removed by `stop`. */
  folder: string;
  /** Stops the server (immediate shutdown) and removes the folder. */
  stop(): void;
}

/** Why PostgreSQL cannot be started here, or null when its binaries were found. */
export function postgresUnavailableReason(): string | null {
  return findBinDir()
    ? null
    : 'PostgreSQL is not installed (no initdb/pg_ctl in $PG_BIN, /usr/lib/postgresql/*/bin or PATH). Install it, e.g. `apt-get install -y postgresql`.';
}

function findBinDir(): string | null {
  // PG_BIN, when set, is the only place looked at (also a way to run the suite as if
  // PostgreSQL were missing: PG_BIN=/nonexistent).
  if (process.env.PG_BIN)
    return existsSync(join(process.env.PG_BIN, 'initdb')) && existsSync(join(process.env.PG_BIN, 'pg_ctl')) ? process.env.PG_BIN : null;
  const candidates: string[] = [];
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join(debian, v, 'bin'));
  }
  for (const dir of candidates) if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const found = which.status === 0 ? which.stdout.trim() : '';
  return found ? join(found, '..') : null;
}

function postgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'Running as root, but there is no `postgres` user to run initdb as (initdb refuses root). Create one, or run the tests as a normal user.',
    );
  }
}

/** Runs a PostgreSQL binary, as `postgres` when we are root. Throws with its output on failure. */
function runPg(bin: string, args: string[], asPostgres: boolean): void {
  const [cmd, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: tmpdir() });
  if (r.status !== 0)
    throw new Error(`${bin} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout || r.error?.message}`);
}

/**
 * Creates and starts a cluster. Durability settings are off (fsync, synchronous_commit,
 * full_page_writes): the data is thrown away anyway, and tests run faster.
 */
export async function startPostgresCluster(options: { maxConnections?: number } = {}): Promise<PostgresCluster> {
  const bin = findBinDir();
  if (!bin) throw new Error(postgresUnavailableReason()!);
  const owner = postgresUser();
  const folder = mkdtempSync(join(tmpdir(), 'mixtape-pg-'));
  const data = join(folder, 'data');
  if (owner) {
    chownSync(folder, owner.uid, owner.gid);
    chmodSync(folder, 0o700);
  }
  const port = await freePort();
  const opts = [
    `-p ${port}`,
    `-k ${folder}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    `-c max_connections=${options.maxConnections ?? 300}`,
  ].join(' ');
  try {
    runPg(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync'], owner !== null);
    runPg(
      join(bin, 'pg_ctl'),
      ['-D', data, '-l', join(folder, 'server.log'), '-o', opts, '-w', '-t', String(CLUSTER_START_TIMEOUT_S), 'start'],
      owner !== null,
    );
  } catch (e) {
    rmSync(folder, { recursive: true, force: true });
    throw e;
  }
  const stopArgs = ['-D', data, '-m', 'immediate', '-w', 'stop'];
  // A watchdog outlives this process: if it dies without stopping the cluster (killed by a
  // timeout, a crash), the watchdog stops the cluster and removes its folder.
  const pgCtlStop = [...(owner ? ['runuser', '-u', 'postgres', '--'] : []), join(bin, 'pg_ctl'), ...stopArgs].map(shellQuote).join(' ');
  const watchdog = spawn(
    'sh',
    [
      '-c',
      `while kill -0 ${process.pid} 2>/dev/null; do sleep ${WATCHDOG_POLL_S}; done; ${pgCtlStop} >/dev/null 2>&1; rm -rf ${shellQuote(folder)}`,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    folder,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        watchdog.kill();
        runPg(join(bin, 'pg_ctl'), stopArgs, owner !== null);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  };
}
