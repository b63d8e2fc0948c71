/**
 * Cassettes shipped with the CLI (`mixtape --replay tour`) and cassette files given by path.
 * @module
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliUsageError } from './errors.js';

/** The shipped cassettes' folder (the package's `cassettes/`, next to `src/` and `dist/`). */
export const CASSETTES_DIR = fileURLToPath(new URL('../cassettes/', import.meta.url));

/** File name suffix of a shipped cassette. */
export const CASSETTE_SUFFIX = '.cassette.json';

/** Names of the shipped cassettes (`tour`, ...). */
export function shippedCassettes(): string[] {
  try {
    return readdirSync(CASSETTES_DIR)
      .filter((f) => f.endsWith(CASSETTE_SUFFIX))
      .map((f) => f.slice(0, -CASSETTE_SUFFIX.length))
      .sort();
  } catch {
    // No cassettes folder (a custom build): only paths work.
    return [];
  }
}

/**
 * The cassette file for `--replay <value>`: a file (relative to `cwd`) when one exists there,
 * else a shipped cassette of that name.
 * @throws CliUsageError naming the shipped cassettes when neither exists.
 */
export function resolveCassette(value: string, cwd: string): string {
  const file = path.resolve(cwd, value);
  if (existsSync(file)) return file;
  if (/^[\w-]+$/.test(value)) {
    const shipped = path.join(CASSETTES_DIR, `${value}${CASSETTE_SUFFIX}`);
    if (existsSync(shipped)) return shipped;
  }
  const names = shippedCassettes();
  throw new CliUsageError(
    `--replay ${value}: no such cassette file${names.length ? `, and no shipped cassette of that name. Shipped: ${names.join(', ')} (e.g. mixtape --replay ${names[0]})` : ''}.`,
  );
}
