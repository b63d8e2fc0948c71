/**
 * Fuzzy location of a text in a file, by normalised Levenshtein similarity
 * (fastest-levenshtein computes the distances). Windows are sliced by characters (code points),
 * never by bytes or UTF-16 units, so multi-byte text is never cut in half.
 * @module
 */
import { distance } from 'fastest-levenshtein';

/** Default lowest similarity (0..1) a fuzzy match must reach. */
export const DEFAULT_FUZZY_THRESHOLD = 0.7;
/** Largest file (characters) fuzzy matching searches; bigger files need an exact match. */
export const DEFAULT_FUZZY_MAX_FILE_CHARS = 200_000;
/** Window lengths tried around the pattern's length, as a fraction of it. */
export const FUZZY_LENGTH_SLACK = 0.1;

/** A fuzzy match: character offsets (code points) into the text, and its similarity. */
export interface FuzzyMatch {
  /** Start, in UTF-16 units of the original string (usable with `slice`). */
  start: number;
  /** End (exclusive), in UTF-16 units. */
  end: number;
  similarity: number;
  text: string;
}

/** Similarity of two strings: 1 - distance / longer length. */
export function similarity(a: string, b: string): number {
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 1 : 1 - distance(a, b) / longer;
}

/** Work (characters × pattern length) below which every start position is tried. */
export const FUZZY_EXHAUSTIVE_WORK = 4_000_000;

/**
 * Finds the window of `text` most similar to `pattern`, trying window lengths of the pattern's
 * length ±10%. Small inputs try every start character. Larger ones first try line starts and a
 * regular stride, then refine around the best candidate character by character.
 * Returns null when nothing reaches `threshold`.
 */
export function findBestFuzzyMatch(text: string, pattern: string, threshold: number): FuzzyMatch | null {
  const chars = Array.from(text);
  const patternLength = Array.from(pattern).length;
  if (patternLength === 0 || chars.length === 0) return null;
  // UTF-16 offset of each code point, so a window maps back to a `slice` of the original string.
  const offsets = new Array<number>(chars.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < chars.length; i++) offsets[i + 1] = (offsets[i] as number) + (chars[i] as string).length;
  const slack = Math.max(1, Math.round(patternLength * FUZZY_LENGTH_SLACK));
  const lengths = [...new Set([patternLength, Math.max(1, patternLength - slack), patternLength + slack])].filter((l) => l <= chars.length);
  if (lengths.length === 0) lengths.push(chars.length);

  let best: FuzzyMatch | null = null;
  const tryWindow = (start: number, length: number): void => {
    if (start < 0 || start + length > chars.length) return;
    const from = offsets[start] as number;
    const to = offsets[start + length] as number;
    const window = text.slice(from, to);
    const score = similarity(window, pattern);
    if (best === null || score > best.similarity) best = { start: from, end: to, similarity: score, text: window };
  };
  const startIndexOf = (utf16: number): number => {
    // Binary search: code point index whose offset is utf16.
    let lo = 0;
    let hi = chars.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((offsets[mid] as number) < utf16) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  if (chars.length * patternLength <= FUZZY_EXHAUSTIVE_WORK) {
    for (const length of lengths) for (let start = 0; start + length <= chars.length; start++) tryWindow(start, length);
  } else {
    const stride = Math.max(1, Math.floor(patternLength / 8));
    const starts = new Set<number>();
    for (let i = 0; i < chars.length; i += stride) starts.add(i);
    for (let i = 0; i < chars.length; i++) if (chars[i] === '\n' && i + 1 < chars.length) starts.add(i + 1);
    for (const start of starts) for (const length of lengths) tryWindow(start, length);
    const coarse = best as FuzzyMatch | null;
    if (coarse !== null) {
      const center = startIndexOf(coarse.start);
      const reach = Math.max(stride, 1);
      for (let start = center - reach; start <= center + reach; start++) {
        for (let length = patternLength - slack; length <= patternLength + slack; length++) if (length > 0) tryWindow(start, length);
      }
    }
  }
  const found = best as FuzzyMatch | null;
  return found !== null && found.similarity >= threshold ? found : null;
}
