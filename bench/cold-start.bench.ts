/**
 * Cold start: how long `import('@mixtape/core')` takes in a fresh Node process, from a JavaScript
 * build (what a published package runs) and from source (tsx, how this repository runs it),
 * next to the peers' entry points imported the same way (when `npm run bench:setup` installed
 * them). `mixtape --help` and the REPL start-up are measured by bench/cli.bench.ts ("CLI
 * start-up"), not repeated here. Run: `npm run bench -- cold-start`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PEERS_DIR, peerVersion, peersInstalled } from './peers/lib/peer.js';

/** Fresh processes per row (after one untimed warm-up; median and min reported). */
export const RUNS = 9;
/** Longest one import may take. */
export const IMPORT_TIMEOUT_MS = 60_000;

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const tsx = path.join(root, 'node_modules/tsx/dist/esm/index.mjs');

/** Spawns node, imports `specifiers` in order, returns [ms inside the process for the imports, ms spawn to exit]. */
function once(specifiers: string[], cwd: string, extraArgs: string[] = []): [number, number] {
  const code = `const t = performance.now(); ${specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ')} process.stdout.write(String(performance.now() - t));`;
  const start = performance.now();
  const r = spawnSync(process.execPath, [...extraArgs, '--input-type=module', '-e', code], {
    cwd,
    encoding: 'utf8',
    timeout: IMPORT_TIMEOUT_MS,
    env: { PATH: process.env.PATH, HOME: os.tmpdir() },
  });
  const wall = performance.now() - start;
  if (r.status !== 0) throw new Error(`import ${specifiers.join(', ')} failed: ${r.stderr.slice(0, 300)}`);
  return [Number(r.stdout), wall];
}

function measure(
  specifiers: string[],
  cwd: string,
  extraArgs: string[] = [],
): { importMin: number; importMedian: number; wallMedian: number } {
  once(specifiers, cwd, extraArgs); // warm the disk cache (and tsx's transform cache)
  const runs = Array.from({ length: RUNS }, () => once(specifiers, cwd, extraArgs));
  const imports = runs.map((r) => r[0]).sort((a, b) => a - b);
  const walls = runs.map((r) => r[1]).sort((a, b) => a - b);
  return { importMin: imports[0]!, importMedian: imports[Math.floor(RUNS / 2)]!, wallMedian: walls[Math.floor(RUNS / 2)]! };
}

/** Bundles the workspace packages behind `entries` to JavaScript; npm dependencies stay external. */
async function buildJs(entries: Record<string, string>, outdir: string): Promise<void> {
  const esbuild = await import('esbuild');
  const external = new Set<string>();
  for (const dir of readdirSync(path.join(root, 'packages'))) {
    const pkg = JSON.parse(readFileSync(path.join(root, 'packages', dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })) if (!name.startsWith('@mixtape/')) external.add(name);
  }
  for (const name of [...external]) external.add(`${name}/*`);
  await esbuild.build({
    entryPoints: Object.entries(entries).map(([out, input]) => ({ out, in: input })),
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
}

export default async function (): Promise<string> {
  // Inside the repository so that the build resolves node_modules.
  const outdir = mkdtempSync(path.join(here, '.cold-start-build-'));
  const rows: [string, ReturnType<typeof measure>][] = [];
  const notes: string[] = [];
  try {
    await buildJs(
      {
        core: path.join(root, 'packages/core/src/index.ts'),
        anthropic: path.join(root, 'packages/anthropic/src/index.ts'),
        openai: path.join(root, 'packages/openai/src/index.ts'),
      },
      outdir,
    );
    const js = (name: string) => pathToFileURL(path.join(outdir, `${name}.js`)).href;
    rows.push(['`node -e 0`-like floor (empty import list)', measure([], root)]);
    rows.push(['@mixtape/core, JS build', measure([js('core')], root)]);
    rows.push(['@mixtape/core + @mixtape/anthropic, JS build', measure([js('core'), js('anthropic')], root)]);
    rows.push(['@mixtape/core + @mixtape/openai, JS build', measure([js('core'), js('openai')], root)]);
    rows.push(['@mixtape/core, from source (tsx)', measure(['@mixtape/core'], root, ['--conditions=mixtape-source', '--import', tsx])]);
    if (peersInstalled()) {
      rows.push([
        `ai ${peerVersion('ai')} + @ai-sdk/anthropic ${peerVersion('@ai-sdk/anthropic')}`,
        measure(['ai', '@ai-sdk/anthropic'], PEERS_DIR),
      ]);
      rows.push([`@openai/agents ${peerVersion('@openai/agents')}`, measure(['@openai/agents'], PEERS_DIR)]);
      rows.push([`@mastra/core ${peerVersion('@mastra/core')} (/agent)`, measure(['@mastra/core/agent'], PEERS_DIR)]);
      rows.push([`@langchain/langgraph ${peerVersion('@langchain/langgraph')}`, measure(['@langchain/langgraph'], PEERS_DIR)]);
    } else notes.push('Peer rows skipped: run `npm run bench:setup` to install them.');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  const floor = rows[0]![1].wallMedian;
  const core = rows[1]![1].importMedian;
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  return [
    '## Cold start: importing the framework in a fresh process',
    '',
    `A fresh \`node\` per sample imports the entry points; "import" is the time inside the process from before the first \`import()\` to after the last, "process" is spawn to exit. ${RUNS} samples after one warm-up, medians. ` +
      'The JS build bundles the workspace packages with esbuild (npm dependencies such as the official SDKs stay external and are loaded from node_modules, as for a published package). ' +
      `\`mixtape --help\` and the REPL start-up: see "CLI start-up" (bench/cli.bench.ts). Load average at the end: ${load} on ${os.cpus().length} cores.`,
    ...(notes.length ? ['', ...notes] : []),
    '',
    '| what | import, median (ms) | import, min (ms) | process, median (ms) | import ÷ @mixtape/core (JS) | process − floor (ms) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      ([name, s], i) =>
        `| ${name} | ${s.importMedian.toFixed(1)} | ${s.importMin.toFixed(1)} | ${s.wallMedian.toFixed(0)} | ${i === 0 ? '—' : `${(s.importMedian / core).toFixed(2)}×`} | ${i === 0 ? '—' : (s.wallMedian - floor).toFixed(0)} |`,
    ),
  ].join('\n');
}
