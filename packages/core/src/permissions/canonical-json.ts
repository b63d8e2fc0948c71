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

function write(value: unknown, seen: Set<object>, out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'number':
      // JSON has no NaN or Infinity; JSON.stringify writes null for them, and so do we.
      out.push(Number.isFinite(value) ? String(value) : 'null');
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'bigint':
      // Written as the integer it is (serde_json writes u64/i64 the same way).
      out.push(value.toString());
      return;
    case 'undefined':
    case 'function':
    case 'symbol':
      out.push('null');
      return;
    default:
      break;
  }
  const object = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof object.toJSON === 'function') {
    write(object.toJSON(), seen, out);
    return;
  }
  if (seen.has(object)) throw new CanonicalJsonError('Cannot hash tool parameters that contain a cycle (an object that refers to itself).');
  seen.add(object);
  if (Array.isArray(object)) {
    out.push('[');
    for (let i = 0; i < object.length; i++) {
      if (i > 0) out.push(',');
      write(object[i], seen, out);
    }
    out.push(']');
  } else {
    const keys = Object.keys(object)
      .filter((key) => {
        const v = object[key];
        return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
      })
      .sort(compareCodePoints);
    out.push('{');
    keys.forEach((key, i) => {
      if (i > 0) out.push(',');
      out.push(JSON.stringify(key), ':');
      write(object[key], seen, out);
    });
    out.push('}');
  }
  seen.delete(object);
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
  const out: string[] = [];
  write(value, new Set(), out);
  return out.join('');
}

/**
 * SHA-256 (lowercase hex, 64 characters) of the {@link canonicalJson} of a tool call's parsed
 * input. Two inputs that differ only in key order have the same hash. Pass the parsed input
 * object, not its JSON text (a string is hashed as a JSON string).
 */
export function hashParams(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
