#!/usr/bin/env node
/**
 * Pack-and-install smoke test: what a new user gets from npm.
 *
 * 1. `npm pack` every workspace package (each package's prepack builds it) and check that every
 *    file its package.json points to (exports, bin) is in the tarball — dist/ above all.
 * 2. Install the tarballs into a temporary project outside the repository.
 * 3. With plain node: import every export path, run the README quick start (its code block, with a
 *    ScriptedModel from @mixtape/core/testing in place of the Anthropic model) twice — the second
 *    run must see the first conversation — run `mixtape --help`, and check what `require()` does.
 * 4. Type-check a user file with skipLibCheck off, under moduleResolution nodenext and bundler
 *    (lib ES2023 without DOM, except for DOM_LIB_PACKAGES).
 * 5. Again with the lowest zod of the peer range.
 *
 * Exits non-zero on the first failure. `--keep` leaves the temporary folder for inspection;
 * `--reuse DIR` runs steps 3-5 again in a folder a kept (or failed) run left.
 * Usage: node scripts/pack-smoke.mjs [--keep] [--reuse DIR]
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
/** `--reuse DIR`: run the checks again on the project a kept run left in DIR (no pack, no install). */
const reuse = process.argv.includes('--reuse') ? path.resolve(process.argv[process.argv.indexOf('--reuse') + 1] ?? '') : undefined;
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
/** Jobs run at once where a step has several (CI has 2 cores). */
const CONCURRENCY = Math.max(1, Math.min(2, os.availableParallelism()));

/** The lowest version of the zod peer range (`^4.3.0`: z.fromJSONSchema came in 4.3), tested after the locked one. */
const ZOD_FLOOR = '4.3.0';

/**
 * Packages whose declarations need the DOM lib: @mixtape/mcp exposes types of the official MCP
 * SDK, whose declarations use fetch types (HeadersInit) that @types/node does not declare
 * globally, and @mixtape/cli exposes @mixtape/mcp's (its MCP building blocks for programs that
 * embed the REPL). They are type-checked in a second user file with lib DOM; every other
 * package (the server included) must type-check without it.
 */
const DOM_LIB_PACKAGES = ['@mixtape/mcp', '@mixtape/cli'];

/** The versions the temporary project installs beside the tarballs: the ones the repository tests with. */
const lockedVersion = (name) => JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

const packages = readdirSync(path.join(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => {
    const dir = path.join(root, 'packages', d.name);
    return { dir, manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) };
  })
  .filter((p) => !p.manifest.private);

const work = reuse ?? mkdtempSync(path.join(os.tmpdir(), 'mixtape-pack-smoke-'));
if (work.startsWith(root + path.sep)) throw new Error(`the temporary project must live outside the repository (${work})`);
const tarballs = path.join(work, 'tarballs');
const project = path.join(work, 'project');
if (!reuse) {
  mkdirSync(tarballs);
  mkdirSync(project);
}

let failed = false;
try {
  if (!reuse)
    await step('pack every package (prepack builds it)', () => {
      const out = run(npm, ['pack', '--workspaces', '--json', '--pack-destination', tarballs], { cwd: root, quiet: true });
      const packed = JSON.parse(out.slice(out.indexOf('[')));
      for (const { manifest } of packages) {
        const entry = packed.find((p) => p.name === manifest.name);
        if (!entry) throw new Error(`${manifest.name} was not packed`);
        const files = new Set(entry.files.map((f) => f.path));
        const wanted = new Set(['README.md', 'LICENSE', 'package.json']);
        for (const target of exportTargets(manifest)) wanted.add(target);
        for (const bin of Object.values(typeof manifest.bin === 'string' ? { bin: manifest.bin } : (manifest.bin ?? {})))
          wanted.add(bin.replace(/^\.\//, ''));
        const missing = [...wanted].filter((f) => !files.has(f));
        if (missing.length) throw new Error(`${manifest.name}@${manifest.version}: the tarball lacks ${missing.join(', ')}`);
        if (![...files].some((f) => f.startsWith('dist/') && f.endsWith('.js')))
          throw new Error(`${manifest.name}: no dist/*.js in the tarball`);
        console.log(`  ${entry.filename}: ${entry.entryCount} files, ${(entry.size / 1024).toFixed(0)} kB`);
      }
    });

  if (!reuse)
    await step('publint and arethetypeswrong (esm-only profile) on every tarball', async () => {
      const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
      await inParallel(files, async (file) => {
        const tarball = path.join(tarballs, file);
        await runAsync(bin('publint'), ['run', tarball, '--strict']);
        // false-esm: CommonJS resolution reaches require.cjs with the ESM declarations, which is
        // right — require.cjs hands over the ES module itself (require(esm)) or throws.
        await runAsync(bin('attw'), [tarball, '--profile', 'esm-only', '--ignore-rules', 'false-esm', '--format', 'table-flipped']);
      });
      console.log(`  ${files.length} tarballs: no problems`);
    });

  if (!reuse)
    await step('install the tarballs into a temporary project', () => {
      const tgz = readdirSync(tarballs)
        .filter((f) => f.endsWith('.tgz'))
        .map((f) => `file:${path.join(tarballs, f)}`);
      const deps = Object.fromEntries(
        tgz.map((spec) => [packages.find((p) => spec.includes(tarballName(p.manifest)))?.manifest.name, spec]),
      );
      if (Object.keys(deps).length !== packages.length || deps.undefined)
        throw new Error(`tarballs and packages do not match: ${tgz.join(', ')}`);
      writeFileSync(
        path.join(project, 'package.json'),
        JSON.stringify(
          {
            name: 'mixtape-smoke-user',
            private: true,
            type: 'module',
            // npm resolves the packages' dependencies on each other to these tarballs, not to the registry.
            overrides: deps,
            dependencies: { ...deps, zod: lockedVersion('zod'), '@types/node': lockedVersion('@types/node') },
          },
          null,
          2,
        ),
      );
      // Install scripts off: better-sqlite3 would compile SQLite again (a minute or more on CI),
      // which tests its build, not our tarballs. Its addon is the one the repository built for
      // this same Node (same package version, checked below), copied in place.
      run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', '--ignore-scripts'], { cwd: project });
      const ours = path.join(root, 'node_modules', 'better-sqlite3');
      const theirs = path.join(project, 'node_modules', 'better-sqlite3');
      const version = (dir) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
      if (version(ours) !== version(theirs))
        throw new Error(`better-sqlite3 ${version(theirs)} installed, the repository built ${version(ours)}: rebuild instead`);
      mkdirSync(path.join(theirs, 'build', 'Release'), { recursive: true });
      cpSync(path.join(ours, 'build', 'Release', 'better_sqlite3.node'), path.join(theirs, 'build', 'Release', 'better_sqlite3.node'));
    });

  await step('import every export path with plain node', () => {
    const specifiers = packages.flatMap(({ manifest }) =>
      Object.keys(manifest.exports).map((sub) => (sub === '.' ? manifest.name : `${manifest.name}/${sub.slice(2)}`)),
    );
    const script =
      specifiers.map((s) => `await import(${JSON.stringify(s)});`).join('\n') +
      `\nconsole.log('  imported ${specifiers.length} export paths');\n`;
    writeFileSync(path.join(project, 'import-all.mjs'), script);
    process.stdout.write(run(process.execPath, ['import-all.mjs'], { cwd: project }));
  });

  await step('the README quick start with a ScriptedModel, twice (the second run remembers)', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const block = /## Quick start\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!block) throw new Error('README.md has no ```ts block under "## Quick start"');
    if (!block.includes('anthropic(DEFAULT_MODEL)'))
      throw new Error('the quick start no longer builds its model with anthropic(DEFAULT_MODEL): update this smoke test');
    const quickStart = [
      `import { ScriptedModel } from '@mixtape/core/testing';`,
      block.replace('anthropic(DEFAULT_MODEL)', 'scripted'),
      `process.on('exit', () => console.error('REQUEST_MESSAGES=' + scripted.requests.at(-1).messages.length));`,
    ].join('\n');
    // `scripted` is hoisted into the quick start's module scope by a var declaration.
    const first = `var scripted = new ScriptedModel().toolUse('add', { a: 2, b: 2 }).text('2 + 2 = 4.');\n`;
    const second = `var scripted = new ScriptedModel().text('You asked about 2 + 2.');\n`;
    writeFileSync(path.join(project, 'quick-start-1.mjs'), quickStart.replace('\n', `\n${first}`));
    writeFileSync(path.join(project, 'quick-start-2.mjs'), quickStart.replace('\n', `\n${second}`));
    rmSync(path.join(project, '.mixtape'), { recursive: true, force: true });
    const one = runBoth(process.execPath, ['quick-start-1.mjs'], { cwd: project });
    if (one.stdout !== '2 + 2 = 4.') throw new Error(`first run printed ${JSON.stringify(one.stdout)}, expected "2 + 2 = 4."`);
    const two = runBoth(process.execPath, ['quick-start-2.mjs'], { cwd: project });
    if (two.stdout !== 'You asked about 2 + 2.') throw new Error(`second run printed ${JSON.stringify(two.stdout)}`);
    const count = Number(/REQUEST_MESSAGES=(\d+)/.exec(two.stderr)?.[1]);
    // The first conversation (prompt, tool call, tool result, answer) plus the new prompt.
    if (!(count >= 5))
      throw new Error(
        `the second run sent ${count} messages: it did not load the first conversation from .mixtape/sessions.db\n${two.stderr}`,
      );
    console.log(`  first run: ${JSON.stringify(one.stdout)}; second run sent ${count} messages`);
  });

  await step('the mixtape command runs from the install', () => {
    const out = run(path.join(project, 'node_modules', '.bin', 'mixtape'), ['--help'], { cwd: project });
    if (!/Usage: mixtape/.test(out)) throw new Error(`mixtape --help printed:\n${out}`);
  });

  await step('require(): the module where Node supports require(esm), else an error that says ESM-only', () => {
    writeFileSync(
      path.join(project, 'require.cjs'),
      `const core = require('@mixtape/core');\nif (typeof core.Agent !== 'function') throw new Error('require() gave no Agent');\n`,
    );
    const supported = Boolean(process.features.require_module);
    if (supported) run(process.execPath, ['require.cjs'], { cwd: project });
    let error;
    try {
      run(process.execPath, ['--no-experimental-require-module', 'require.cjs'], { cwd: project, quiet: true });
    } catch (e) {
      error = e;
    }
    if (!error || !/ESM-only/.test(String(error.stderr)))
      throw new Error(`require() without require(esm) did not fail with the ESM-only message:\n${error?.stderr ?? 'it succeeded'}`);
    console.log(
      `  require(esm) ${supported ? 'loads the package' : 'not in this Node'}; without it: ${/Error: (@mixtape\/core is[^.]*)/.exec(error.stderr)?.[1]}`,
    );
  });

  await step('type-check a user file (skipLibCheck off) under nodenext and bundler resolution', async () => {
    const names = packages.map((p) => p.manifest.name);
    writeFileSync(path.join(project, 'user.ts'), userFile(names.filter((n) => !DOM_LIB_PACKAGES.includes(n))));
    writeFileSync(path.join(project, 'user-dom.ts'), userFile(names.filter((n) => DOM_LIB_PACKAGES.includes(n))));
    const base = {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: 'ES2022',
      lib: ['ES2023'],
      types: ['node'],
      verbatimModuleSyntax: true,
    };
    const resolutions = {
      nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
      bundler: { module: 'esnext', moduleResolution: 'bundler' },
    };
    const configs = Object.entries(resolutions).flatMap(([name, resolution]) => [
      [`tsconfig.${name}.json`, { ...base, ...resolution }, 'user.ts'],
      [`tsconfig.${name}-dom.json`, { ...base, ...resolution, lib: ['ES2023', 'DOM'] }, 'user-dom.ts'],
    ]);
    await inParallel(configs, async ([file, compilerOptions, user]) => {
      writeFileSync(path.join(project, file), JSON.stringify({ compilerOptions, files: [user] }, null, 2));
      await runAsync(process.execPath, [tsc, '-p', file], { cwd: project });
      console.log(`  ${file} (${user}): no errors`);
    });
  });

  await step(`the lowest zod of the peer range (${ZOD_FLOOR}): the quick start runs and the user file type-checks`, async () => {
    run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', '--ignore-scripts', `zod@${ZOD_FLOOR}`], {
      cwd: project,
    });
    const installed = JSON.parse(readFileSync(path.join(project, 'node_modules', 'zod', 'package.json'), 'utf8')).version;
    if (installed !== ZOD_FLOOR) throw new Error(`zod ${installed} installed, expected ${ZOD_FLOOR}`);
    rmSync(path.join(project, '.mixtape'), { recursive: true, force: true });
    const one = runBoth(process.execPath, ['quick-start-1.mjs'], { cwd: project });
    if (one.stdout !== '2 + 2 = 4.') throw new Error(`with zod ${ZOD_FLOOR} the quick start printed ${JSON.stringify(one.stdout)}`);
    await runAsync(process.execPath, [tsc, '-p', 'tsconfig.nodenext.json'], { cwd: project });
  });
} catch (error) {
  failed = true;
  console.error(`\npack smoke test FAILED: ${error instanceof Error ? error.message : error}`);
  if (error?.stdout) console.error(String(error.stdout));
  if (error?.stderr) console.error(String(error.stderr));
} finally {
  if (keep || failed || reuse) console.log(`temporary project kept at ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
if (!failed) console.log('pack smoke test passed');

/** Runs one named step, printing its name and time. */
async function step(name, fn) {
  const started = performance.now();
  console.log(`pack smoke: ${name}`);
  await fn();
  console.log(`  ok (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

/** Runs a command; returns its stdout. Throws with its output when it fails. */
function run(command, args, { cwd, quiet = false }) {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs a command in the background; rejects with its output when it fails. */
async function runAsync(command, args, { cwd = root } = {}) {
  try {
    return (await promisify(execFile)(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    throw Object.assign(new Error(`${path.basename(command)} ${args.join(' ')} failed`), { stdout: error.stdout, stderr: error.stderr });
  }
}

/** Runs `fn` on every item, {@link CONCURRENCY} at a time; the first failure rejects. */
async function inParallel(items, fn) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (queue.length) await fn(queue.shift());
    }),
  );
}

/** Runs a command; returns stdout and stderr. Throws with both when it fails. */
function runBoth(command, args, { cwd }) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0)
    throw Object.assign(new Error(`${args.join(' ')} exited with ${r.status ?? r.signal}`), { stdout: r.stdout, stderr: r.stderr });
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Every file an export condition points to (minus the mixtape-source condition, which points to src/). */
function exportTargets(manifest) {
  const targets = [];
  for (const conditions of Object.values(manifest.exports ?? {})) {
    if (typeof conditions === 'string') targets.push(conditions);
    else for (const [condition, target] of Object.entries(conditions)) if (condition !== 'mixtape-source') targets.push(target);
  }
  return targets.map((t) => t.replace(/^\.\//, ''));
}

/** `@mixtape/core@0.1.0` packs to mixtape-core-0.1.0.tgz. */
function tarballName(manifest) {
  return `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`;
}

/** A user's file: the quick start, typed, plus a namespace import of each package in `names`. */
function userFile(names) {
  const imports = names.map((name, i) => `import * as pkg${i} from '${name}';`).join('\n');
  return `${imports}
import { Agent, DEFAULT_MODEL, tool, type AgentEvent } from '@mixtape/core';
import { ScriptedModel } from '@mixtape/core/testing';
import { anthropic } from '@mixtape/anthropic';
import { SqliteSessionStore } from '@mixtape/sqlite';
import { z } from 'zod';

const add = tool({ name: 'add', description: 'Adds two numbers', input: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => String(a + b) });
const model = process.env.ANTHROPIC_API_KEY ? anthropic(DEFAULT_MODEL) : new ScriptedModel().text('4');
const agent = new Agent({ model, tools: [add], sessionStore: new SqliteSessionStore() });
export async function main(): Promise<string> {
  for await (const e of agent.stream('What is 2 + 2?')) if (e.type === 'model_call_streaming' && e.kind === 'text') process.stdout.write(e.delta);
  const seen: AgentEvent['type'][] = [];
  agent.addHook((e) => void seen.push(e.type));
  const result = await agent.run('And 3 + 3?');
  return result.text;
}
export const everyPackage = [${names.map((_, i) => `pkg${i}`).join(', ')}];
`;
}
