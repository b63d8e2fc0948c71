#!/usr/bin/env node
// The `mixtape` executable. A published package runs its build (dist/bin.js). In a source
// checkout (no dist/), it runs src/ through tsx and resolves the workspace packages' `source`
// export condition, so `npx mixtape` works without a build step.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const dist = new URL('../dist/bin.js', import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  register('./source-condition.js', import.meta.url);
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(new URL('../src/bin.ts', import.meta.url).href);
}
