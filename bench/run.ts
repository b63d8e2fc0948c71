/**
 * `npm run bench`: runs every benchmark module in bench/ (files named `*.bench.ts`, each with a
 * default export returning a Markdown section), prints the sections and writes bench/RESULTS.md.
 * Pass names to run a subset: `npm run bench -- session-store`.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
const sections: string[] = [
  `# Mixtape benchmarks\n\nMachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString()}\n`,
];
for (const file of files) {
  const name = file.replace(/\.bench\.ts$/, '');
  if (only.length && !only.includes(name)) continue;
  process.stderr.write(`running ${name}...\n`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<string> };
  const section = await mod.default();
  console.log(section + '\n');
  sections.push(section);
}
if (!only.length) await writeFile(join(here, 'RESULTS.md'), sections.join('\n') + '\n');
