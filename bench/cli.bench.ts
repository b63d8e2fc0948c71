/**
 * Start-up time of the `mixtape` command: `mixtape --help`, and the REPL until its prompt is on
 * screen (in a pseudo-terminal made by `script`). Measured from source (node + tsx, how the repo
 * runs it) and from a JavaScript build (esbuild, workspace packages compiled, npm dependencies
 * external: what a published package runs). Bare `node -e 0` is the floor, measured in the same run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = 7;
/** Longest wait for one start. */
const START_TIMEOUT_MS = 60_000;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsx = path.join(root, 'node_modules/tsx/dist/esm/index.mjs');
const fromSource = ['--conditions=mixtape-source', '--import', tsx, path.join(root, 'packages/cli/src/bin.ts')];

function env(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    TERM: 'xterm-256color',
    ANTHROPIC_API_KEY: 'bench',
    // Never contacted: no prompt is sent.
    ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
  };
}

function timeCommand(args: string[], cwd: string, home: string): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, env: env(home), stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

/** Starts the REPL in a pseudo-terminal and resolves when the prompt (❯) is printed. */
function timeRepl(args: string[], cwd: string, home: string): Promise<number> {
  const command = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: env(home), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no prompt after ${START_TIMEOUT_MS} ms: ${out}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!done && out.includes('❯')) {
        done = true;
        const ms = performance.now() - start;
        clearTimeout(timer);
        child.stdin.write('\u0004'); // Ctrl+D: leave
        child.on('close', () => resolve(ms));
      }
    });
    child.on('error', reject);
  });
}

function stats(samples: number[]): { min: number; median: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]! };
}

async function measure(fn: () => number | Promise<number>): Promise<{ min: number; median: number }> {
  await fn(); // warm the disk cache and tsx's transform cache
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await fn());
  return stats(samples);
}

/** Compiles the CLI and the workspace packages to JavaScript (dependencies stay external). */
async function buildJs(outdir: string): Promise<string> {
  const esbuild = await import('esbuild');
  const external = new Set<string>();
  for (const dir of readdirSync(path.join(root, 'packages'))) {
    const pkg = JSON.parse(readFileSync(path.join(root, 'packages', dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) if (!name.startsWith('@mixtape/')) external.add(name);
  }
  for (const name of [...external]) external.add(`${name}/*`);
  await esbuild.build({
    entryPoints: [path.join(root, 'packages/cli/src/bin.ts')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    conditions: ['mixtape-source'],
    external: [...external],
    logLevel: 'silent',
  });
  return path.join(outdir, 'bin.js');
}

export default async function (): Promise<string> {
  const project = mkdtempSync(path.join(os.tmpdir(), 'mixtape-bench-cli-'));
  const home = mkdtempSync(path.join(os.tmpdir(), 'mixtape-bench-home-'));
  // Inside the repository so that the build finds node_modules.
  const outdir = mkdtempSync(path.join(root, 'packages/cli/.bench-build-'));
  try {
    const built = await buildJs(outdir);
    const rows: [string, { min: number; median: number }][] = [];
    rows.push(['`node -e 0` (floor)', await measure(() => timeCommand(['-e', '0'], project, home))]);
    rows.push(['`mixtape --help`, JS build', await measure(() => timeCommand([built, '--help'], project, home))]);
    rows.push(['`mixtape --help`, from source (tsx)', await measure(() => timeCommand([...fromSource, '--help'], project, home))]);
    rows.push(['REPL until the prompt, JS build', await measure(() => timeRepl([built], project, home))]);
    rows.push(['REPL until the prompt, from source (tsx)', await measure(() => timeRepl(fromSource, project, home))]);
    const floor = rows[0]![1].min;
    const load = os.loadavg().map((l) => l.toFixed(1)).join(' / ');
    return [
      '## CLI start-up',
      '',
      `Wall time from spawn to exit (\`--help\`) or to the prompt on screen (REPL, resuming a session in a fresh project), ${RUNS} runs after one warm-up. Goal: well under 300 ms. Load average during the run: ${load} on ${os.cpus().length} cores — other work on the machine inflates every number, the floor included.`,
      '',
      '| what | min (ms) | median (ms) | min / node floor |',
      '|---|---:|---:|---:|',
      ...rows.map(([name, s]) => `| ${name} | ${s.min.toFixed(0)} | ${s.median.toFixed(0)} | ${(s.min / floor).toFixed(1)}× |`),
    ].join('\n');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}
