#!/usr/bin/env node
/**
 * `npm run build` at the root: builds every workspace package (its own `build` script,
 * scripts/build-package.mjs), two at a time. Packages compile against each other's sources (the
 * `mixtape-source` export condition), so the order does not matter.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
/** Packages built at once (each tsc is single-threaded). */
const CONCURRENCY = Math.max(1, Math.min(2, os.availableParallelism()));

const dirs = readdirSync(path.join(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => path.join(root, 'packages', d.name))
  .filter((dir) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).scripts?.build);

const failures = [];
const queue = [...dirs];
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (let dir = queue.shift(); dir; dir = queue.shift()) {
      const started = performance.now();
      const code = await new Promise((resolve) => {
        spawn(process.execPath, [path.join(root, 'scripts', 'build-package.mjs')], { cwd: dir, stdio: 'inherit' }).on('close', resolve);
      });
      const name = path.relative(root, dir);
      if (code === 0) console.log(`built ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      else failures.push(name);
    }
  }),
);
if (failures.length) {
  console.error(`build failed: ${failures.join(', ')}`);
  process.exitCode = 1;
}
