/**
 * Canonical JSON and parameter hashes for exact-call grants.
 * @module
 */
import { createHash } from 'node:crypto';

/** Thrown when a value cannot be written as canonical JSON (a cycle). */
export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError';
}

/**
 * Compares two strings by Unicode code point, which is the order of their UTF-8 bytes: the order
 * Rust's `BTreeMap<String, _>` (serde_json's canonical map) uses. JavaScript's default sort
 * compares UTF-16 code units, which differs for characters above U+FFFF versus U+E000–U+FFFF.
 */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Both below the surrogate range (the common case): code unit order is code point order.
    if (ca < 0xd800 && cb < 0xd800) return ca - cb;
    const pa = a.codePointAt(i) ?? ca;
    const pb = b.codePointAt(i) ?? cb;
    return pa - pb;
  }
  return a.length - b.length;
}

function needsCodePointSort(keys: string[]): boolean {
  for (const key of keys) {
    for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) >= 0xd800) return true;
  }
  return false;
}

function write(value: unknown, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // JSON has no NaN or Infinity; JSON.stringify writes null for them, and so do we.
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      // Written as the integer it is (serde_json writes u64/i64 the same way).
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return 'null';
    default:
      break;
  }
  const object = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof object.toJSON === 'function') return write(object.toJSON(), seen);
  if (seen.has(object)) throw new CanonicalJsonError('Cannot hash tool parameters that contain a cycle (an object that refers to itself).');
  seen.add(object);
  let out: string;
  if (Array.isArray(object)) {
    out = '[';
    for (let i = 0; i < object.length; i++) out += (i > 0 ? ',' : '') + write(object[i], seen);
    out += ']';
  } else {
    const keys = Object.keys(object);
    // Default sort compares UTF-16 code units, which equals code point order unless a key holds
    // a surrogate pair or a character from U+D800 up: only then is the slower comparator needed.
    if (needsCodePointSort(keys)) keys.sort(compareCodePoints);
    else keys.sort();
    out = '{';
    let first = true;
    for (const key of keys) {
      const v = object[key];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      out += (first ? '' : ',') + JSON.stringify(key) + ':' + write(v, seen);
      first = false;
    }
    out += '}';
  }
  seen.delete(object);
  return out;
}

/**
 * Writes a value as canonical JSON: object keys sorted recursively (by code point, i.e. UTF-8
 * byte order), array order kept, no whitespace. Properties whose value is `undefined` are
 * left out (as `JSON.stringify` does); `toJSON` is honoured (dates become ISO strings).
 *
 * Numbers are written as JavaScript prints them. This differs from the Rust original (serde_json)
 * for floats with an integral value: serde_json writes a float `1.0` as `1.0`, JavaScript as `1`
 * (a parsed JSON number does not remember that it was written `1.0`), and serde_json writes
 * `1e21` where JavaScript writes `1e+21`. Hashes of parameters with such numbers therefore differ
 * from the original's; all other JSON (strings, integers, nesting) hashes identically.
 *
 * @throws CanonicalJsonError when the value contains a cycle.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
}

/**
 * SHA-256 (lowercase hex, 64 characters) of the {@link canonicalJson} of a tool call's parsed
 * input. Two inputs that differ only in key order have the same hash. Pass the parsed input
 * object, not its JSON text (a string is hashed as a JSON string).
 */
export function hashParams(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
