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

/** Goals of issue 17, as ratios to the `node -e 0` floor (150 ms and 100 ms over a 40 ms floor on a quiet machine). */
export const REFERENCE_FLOOR_MS = 40;
/** Start-up to the prompt, JS build: 150 ms. */
export const REPL_GOAL_MS = 150;
/** `mixtape --help`, JS build: 100 ms. */
export const HELP_GOAL_MS = 100;

/** Starts the REPL in a pseudo-terminal and resolves when `marker` is printed (the prompt ❯ by default). */
function timeRepl(args: string[], cwd: string, home: string, marker = '❯'): Promise<number> {
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
      if (!done && out.includes(marker)) {
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

/** Compiles the CLI and the workspace packages to JavaScript (dependencies stay external). */
async function buildJs(outdir: string): Promise<string> {
  const esbuild = await import('esbuild');
  const external = new Set<string>();
  for (const dir of readdirSync(path.join(root, 'packages'))) {
    const pkg = JSON.parse(readFileSync(path.join(root, 'packages', dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
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
    const tasks: [string, () => number | Promise<number>][] = [
      ['`node -e 0` (floor)', () => timeCommand(['-e', '0'], project, home)],
      ['`mixtape --help`, JS build', () => timeCommand([built, '--help'], project, home)],
      ['`mixtape --help`, from source (tsx)', () => timeCommand([...fromSource, '--help'], project, home)],
      ['REPL until the prompt, JS build', () => timeRepl([built], project, home)],
      ['REPL until the session line (agent loaded), JS build', () => timeRepl([built], project, home, 'session')],
      ['REPL until the prompt, from source (tsx)', () => timeRepl(fromSource, project, home)],
    ];
    // Interleaved rounds: a change in the machine's load hits every row alike.
    const samples = tasks.map((): number[] => []);
    for (const [, fn] of tasks) await fn(); // warm the disk cache and tsx's transform cache
    for (let round = 0; round < RUNS; round++) for (const [i, [, fn]] of tasks.entries()) samples[i]!.push(await fn());
    const rows: [string, { min: number; median: number }][] = tasks.map(([name], i) => [name, stats(samples[i]!)]);
    const floor = rows[0]![1].median;
    const goals: Record<string, number> = { '`mixtape --help`, JS build': HELP_GOAL_MS, 'REPL until the prompt, JS build': REPL_GOAL_MS };
    const load = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ');
    const goalCell = (name: string, ratio: number) => {
      const goal = goals[name];
      if (goal === undefined) return '—';
      const limit = goal / REFERENCE_FLOOR_MS;
      return `≤ ${limit.toFixed(2)}× ${ratio <= limit ? '(met)' : '(not met)'}`;
    };
    return [
      '## CLI start-up',
      '',
      `Wall time from spawn to exit (\`--help\`) or to the prompt on screen (REPL in a fresh project, in a pseudo-terminal made by \`script\`), ${RUNS} interleaved rounds after one warm-up. The REPL shows its prompt before it loads the framework and the session store (you can type at once; the banner and the session line are printed above the prompt when the agent is ready: "until the session line"). Goals (issue 17): ${REPL_GOAL_MS} ms to the prompt and ${HELP_GOAL_MS} ms for \`--help\` (JS build), as ratios to \`node -e 0\` over a ${REFERENCE_FLOOR_MS} ms floor on a quiet machine. Load average during the run: ${load} on ${os.cpus().length} cores — other work on the machine inflates every number, the floor included.`,
      '',
      '| what | min (ms) | median (ms) | median / floor median | goal |',
      '|---|---:|---:|---:|---|',
      ...rows.map(
        ([name, s]) =>
          `| ${name} | ${s.min.toFixed(0)} | ${s.median.toFixed(0)} | ${(s.median / floor).toFixed(2)}× | ${goalCell(name, s.median / floor)} |`,
      ),
    ].join('\n');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}
