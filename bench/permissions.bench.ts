/**
 * Permissions benchmark: what deciding one tool call costs (`PermissionAuthorizer.check`,
 * including its audit-log write) with each grant store, with few and many stored grants, and
 * what hashing a call's input costs. The ratio column compares each store with the memory store
 * measured in the same run.
 *
 * Run: `npm run bench -- permissions`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type GrantStore,
  JsonFileGrantStore,
  MemoryGrantStore,
  PermissionAuthorizer,
  type PermissionRule,
  hashParams,
} from '@mixtape/core';
import { SqliteGrantStore } from '@mixtape/sqlite';

/** Numbers of stored grants (for other tools and sessions) the check has to look past. */
export const GRANT_COUNTS = [10, 1_000] as const;
/** Checks timed per configuration (the median is reported). */
export const CHECKS = 300;
/** Hashes timed. */
export const HASHES = 20_000;

const rules: PermissionRule[] = [
  { tool: 'bash', effect: 'deny', match: { kind: 'command', prefix: 'rm' } },
  { tool: '*', effect: 'deny', match: { kind: 'path', argument: 'path', glob: '**/.env' } },
  { tool: 'bash', effect: 'allow', match: { kind: 'command', prefix: 'git status' } },
];
const input = { path: 'src/module.ts', offset: 0, length: 200, options: { encoding: 'utf8', lines: [1, 2, 3] } };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function measure(store: GrantStore, grants: number): Promise<number> {
  for (let i = 0; i < grants; i++) await store.save({ tool: `tool_${i % 50}`, scope: 'session', sessionId: `s${i}` });
  const authorizer = new PermissionAuthorizer({ store, rules, project: '/work/project', sessionId: 'bench' });
  await authorizer.grant({ tool: 'read_file', scope: 'user' });
  const request = { toolName: 'read_file', toolUseId: 'u', input, paramsHash: hashParams(input) };
  for (let i = 0; i < 20; i++) await authorizer.check(request); // warm-up
  const times: number[] = [];
  for (let i = 0; i < CHECKS; i++) {
    const t0 = performance.now();
    const check = await authorizer.check({ ...request, toolUseId: `u${i}` });
    times.push(performance.now() - t0);
    if (check.decision !== 'granted') throw new Error('benchmark setup: expected a grant');
  }
  return median(times) * 1000;
}

export default async function bench(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mixtape-bench-permissions-'));
  const stores: [string, (n: number) => GrantStore][] = [
    ['MemoryGrantStore', () => new MemoryGrantStore()],
    ['JsonFileGrantStore', (n) => new JsonFileGrantStore(join(dir, `grants-${n}.json`))],
    ['SqliteGrantStore', (n) => new SqliteGrantStore(join(dir, `grants-${n}.db`))],
  ];
  const rows: string[] = [];
  try {
    for (const n of GRANT_COUNTS) {
      let memory = 0;
      for (const [name, make] of stores) {
        const store = make(n);
        const us = await measure(store, n);
        if (name === 'MemoryGrantStore') memory = us;
        rows.push(`| ${name} | ${n.toLocaleString('en')} | ${us.toFixed(1)} | ${(us / memory).toFixed(1)}× |`);
        if (store instanceof SqliteGrantStore) await store.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const t0 = performance.now();
  for (let i = 0; i < HASHES; i++) hashParams({ ...input, offset: i });
  const hashUs = ((performance.now() - t0) / HASHES) * 1000;
  return [
    '## Permissions: cost of deciding one tool call',
    '',
    `Median of ${CHECKS} \`PermissionAuthorizer.check\` calls (3 rules, the answer from a stored grant, one audit entry written per call), with N other stored grants. Ratio: against the memory store with the same N.`,
    '',
    '| store | stored grants | µs per check | vs memory |',
    '|---|---:|---:|---:|',
    ...rows,
    '',
    `\`hashParams\` of a typical input (${JSON.stringify(input).length} bytes of JSON): ${hashUs.toFixed(2)} µs.`,
  ].join('\n');
}
