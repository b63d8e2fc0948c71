#!/usr/bin/env node
/**
 * Builds the workspace package in the current directory (each package's `build` and, through
 * it, `prepack` script): clears dist/, compiles src/ with `tsc -p tsconfig.build.json`
 * (JavaScript, declarations and source maps) and writes the files its "require" export
 * conditions point to (dist/require.cjs beside dist/index.js, and so on for each subpath).
 *
 * The packages are ESM-only. Each require.cjs hands `require()` the ES module where Node can
 * load one synchronously (require(esm), Node ≥ 20.19 / ≥ 22.12), and otherwise throws an error
 * that says the package is ESM-only and how to load it, instead of Node's
 * ERR_PACKAGE_PATH_NOT_EXPORTED.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';

const dir = process.cwd();
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(join(dir, 'dist'), { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error(`${pkg.name}: tsc -p tsconfig.build.json failed (exit ${compiled.status ?? compiled.signal})`);
  process.exit(1);
}
for (const [subpath, conditions] of Object.entries(pkg.exports ?? {})) {
  if (typeof conditions !== 'object' || !conditions.import || !conditions.require) continue;
  if (dirname(conditions.require) !== dirname(conditions.import)) {
    throw new Error(`${pkg.name} exports["${subpath}"]: "require" must sit beside "import" (${conditions.import})`);
  }
  const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
  writeFileSync(join(dir, conditions.require), requireStub(specifier, `./${basename(conditions.import)}`));
}

/** The CommonJS entry of the export path `name`, beside its ES module `target`. */
function requireStub(name, target) {
  const message =
    `${name} is an ES module package (ESM-only) and this Node.js cannot require() it. ` +
    `Use \`import { ... } from '${name}'\` in an ES module (a .mjs file, or "type": "module" in package.json), ` +
    `or \`const m = await import('${name}')\` from CommonJS; Node.js 20.19+ and 22.12+ also load it with require().`;
  return `'use strict';
// ${name} is ESM-only. This file is what require('${name}') loads: the ES module itself where
// Node.js supports require(esm), otherwise an error saying how to load the package.
const ESM_REQUIRE_CODES = new Set(['ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE']);
try {
  module.exports = require(${JSON.stringify(target)});
} catch (error) {
  if (!ESM_REQUIRE_CODES.has(error && error.code)) throw error;
  throw Object.assign(new Error(${JSON.stringify(message)}, { cause: error }), { code: 'ERR_MIXTAPE_ESM_ONLY' });
}
`;
}
