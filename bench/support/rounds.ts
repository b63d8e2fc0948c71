/**
 * Interleaved rounds for benches on a shared machine: every variant runs once per round, the
 * order rotating from round to round, so that a change of load hits every variant alike; the
 * figures are medians (or lower quartiles) over rounds. CPU time is the bench process's own
 * (process.cpuUsage), which other processes disturb less than wall time.
 */

/** One round of one variant: wall and CPU µs per unit of work. */
export interface Sample {
  wallUs: number;
  cpuUs: number;
}

/** Runs `work` once and returns its wall and CPU time divided by `units`. */
export async function measure(work: () => Promise<void>, units: number): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const wallUs = ((performance.now() - started) * 1000) / units;
  const used = process.cpuUsage(cpu);
  return { wallUs, cpuUs: (used.user + used.system) / units };
}

/**
 * Runs each variant's `round` once per round for `rounds` rounds, rotating the order; returns
 * the samples per variant name (in the order of `variants`).
 */
export async function interleaved(
  variants: ReadonlyArray<readonly [string, () => Promise<Sample>]>,
  rounds: number,
): Promise<Map<string, Sample[]>> {
  const samples = new Map<string, Sample[]>(variants.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const [name, round] = variants[(k + r) % variants.length]!;
      samples.get(name)!.push(await round());
    }
  }
  return samples;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Lower quartile: on a shared machine interference only ever adds time, so the quieter rounds
 * estimate the intrinsic cost better than the median.
 */
export function lowerQuartile(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 4)]!;
}
