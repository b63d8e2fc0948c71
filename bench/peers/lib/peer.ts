/**
 * Loads a peer framework from bench/peers/node_modules (installed by `npm run bench:setup`, never
 * by the root `npm ci`). Peers are typed `any` on purpose: the repository typechecks without them.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/peers (the separate npm project holding the peers). */
export const PEERS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Whether `npm run bench:setup` has installed the peers. */
export function peersInstalled(): boolean {
  return existsSync(path.join(PEERS_DIR, 'node_modules', 'ai', 'package.json'));
}

/** The Markdown note a peer bench prints when the peers are missing. */
export const PEERS_MISSING_NOTE = 'Peers not installed: run `npm run bench:setup` (installs bench/peers, ≈500 MB), then run this bench again.';

/** Version of an installed peer package. */
export function peerVersion(name: string): string {
  try {
    return JSON.parse(readFileSync(path.join(PEERS_DIR, 'node_modules', name, 'package.json'), 'utf8')).version as string;
  } catch {
    return '?';
  }
}

/**
 * Imports a peer package by name. The specifier is resolved from this file, so Node walks up to
 * bench/peers/node_modules.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function peer(name: string): Promise<any> {
  const specifier: string = name;
  return import(specifier);
}
