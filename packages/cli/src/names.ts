/**
 * "Did you mean": the closest of some names to a mistyped one.
 * @module
 */

/** Most edits (insert, delete, replace) between a mistyped name and the name suggested for it. */
export const MAX_SUGGESTION_DISTANCE = 2;

/** Edit distance between two strings (Levenshtein; O(a × b), for short names). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

/** The closest of `names` to `word` (case-insensitive, at most `limit` edits away). */
export function closestName(word: string, names: readonly string[], limit = MAX_SUGGESTION_DISTANCE): string | undefined {
  if (word.length > 64) return undefined;
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = editDistance(word.toLowerCase(), name.toLowerCase());
    if (d <= limit && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}
