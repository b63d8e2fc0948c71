import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CanonicalJsonError, canonicalJson, hashParams } from '../src/permissions/canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys recursively, keeps array order and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('writes scalars as JSON does, leaving out undefined properties', () => {
    expect(canonicalJson({ s: 'a"b\n\u0001', n: -1.5, t: true, f: false, z: null, u: undefined })).toBe(
      '{"f":false,"n":-1.5,"s":"a\\"b\\n\\u0001","t":true,"z":null}',
    );
    expect(canonicalJson([undefined, NaN, Infinity])).toBe('[null,null,null]');
    expect(canonicalJson(12345678901234567890n)).toBe('12345678901234567890');
    expect(canonicalJson({ at: new Date('2026-01-02T03:04:05.006Z') })).toBe('{"at":"2026-01-02T03:04:05.006Z"}');
  });

  it('prints numbers as JavaScript does (1.0 is 1, unlike serde_json)', () => {
    expect(canonicalJson(JSON.parse('{"x": 1.0, "y": 1e21}'))).toBe('{"x":1,"y":1e+21}');
  });

  it('sorts keys by code point (UTF-8 byte order), as serde_json does', () => {
    // U+FF21 (fullwidth A) sorts before U+1F600 (an emoji) by code point, after it by UTF-16 unit.
    expect(canonicalJson({ '\u{1F600}': 1, '\uFF21': 2, b: 3, a: 4 })).toBe('{"a":4,"b":3,"\uFF21":2,"\u{1F600}":1}');
  });

  it('refuses a cycle with a clear error instead of overflowing the stack', () => {
    const value: Record<string, unknown> = { a: 1 };
    value.self = value;
    expect(() => canonicalJson(value)).toThrow(CanonicalJsonError);
    // The same object twice (not a cycle) is fine.
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe('hashParams', () => {
  it('is the SHA-256 hex of the canonical JSON', () => {
    // sha256('{"a":1}') — the same value the Rust original's hash_params gives.
    expect(hashParams({ a: 1 })).toBe('015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862');
    expect(hashParams({})).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is stable under key order, also nested', () => {
    const a = { path: '/x', options: { recursive: true, depth: 2, filter: { ext: ['ts', 'js'], hidden: false } } };
    const b = { options: { filter: { hidden: false, ext: ['ts', 'js'] }, depth: 2, recursive: true }, path: '/x' };
    expect(hashParams(a)).toBe(hashParams(b));
  });

  it('changes when a value, a nested value or the array order changes', () => {
    const base = hashParams({ a: { b: [1, 2] } });
    expect(hashParams({ a: { b: [2, 1] } })).not.toBe(base);
    expect(hashParams({ a: { b: [1, 3] } })).not.toBe(base);
    expect(hashParams({ a: { b: [1, 2], c: 0 } })).not.toBe(base);
    expect(hashParams({ a: { b: '1,2' } })).not.toBe(base);
  });
});

describe('hashParams properties', () => {
  // Rebuilds a JSON value with every object's keys rotated by the seed (and reversed for odd seeds).
  const shuffled = (value: unknown, seed: number): unknown => {
    if (Array.isArray(value)) return value.map((v) => shuffled(v, seed + 1));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    const k = entries.length ? seed % entries.length : 0;
    const rotated = [...entries.slice(k), ...entries.slice(0, k)];
    if (seed % 2) rotated.reverse();
    return Object.fromEntries(rotated.map(([key, v]) => [key, shuffled(v, seed + 1)]));
  };

  it('gives the same hash for any key order, and canonical JSON parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        expect(hashParams(shuffled(value, seed))).toBe(hashParams(value));
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });
});
