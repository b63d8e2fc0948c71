/**
 * Deep copies of plain data (messages, tool inputs and results) without structuredClone's
 * serialisation round trip, which costs tens of microseconds per run on the agent's hot path.
 * @module
 */

/** Nesting beyond which a value is handed to structuredClone (which also copes with cycles). */
const MAX_PLAIN_DEPTH = 64;

/**
 * A deep copy of `value`: plain objects and arrays are copied key by key, primitives returned
 * as they are, anything else (typed arrays, dates, maps, class instances) through structuredClone.
 * A value nested deeper than 64 levels (or a cycle) is copied by structuredClone as a whole.
 */
export function copyData<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  try {
    return copyPlain(value, 0) as T;
  } catch (error) {
    if (error instanceof TooDeep) return structuredClone(value);
    throw error;
  }
}

class TooDeep extends Error {}

function copyPlain(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_PLAIN_DEPTH) throw new TooDeep();
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyPlain(value[i], depth + 1);
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyPlain((value as Record<string, unknown>)[key], depth + 1);
  return out;
}
