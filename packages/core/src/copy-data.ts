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
    return copyPlain(value, 0, false) as T;
  } catch (error) {
    if (error instanceof TooDeep) return structuredClone(value);
    throw error;
  }
}

/**
 * {@link copyData} for what a store keeps: a function or symbol anywhere in `value` throws a
 * `DataCloneError` as structuredClone does (stored data must survive serialisation).
 */
export function copyStorable<T>(value: T): T {
  if (typeof value === 'function' || typeof value === 'symbol') throw notCloneable(value);
  if (typeof value !== 'object' || value === null) return value;
  try {
    return copyPlain(value, 0, true) as T;
  } catch (error) {
    if (error instanceof TooDeep) return structuredClone(value);
    throw error;
  }
}

function notCloneable(value: unknown): Error {
  const error = new Error(`${typeof value === 'function' ? 'A function' : 'A symbol'} could not be cloned.`);
  error.name = 'DataCloneError';
  return error;
}

class TooDeep extends Error {}

function copyPlain(value: unknown, depth: number, strict: boolean): unknown {
  if (typeof value !== 'object' || value === null) {
    if (strict && (typeof value === 'function' || typeof value === 'symbol')) throw notCloneable(value);
    return value;
  }
  if (depth > MAX_PLAIN_DEPTH) throw new TooDeep();
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyPlain(value[i], depth + 1, strict);
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    // Every stored message has a Date: copied directly, not through a serialisation round trip.
    if (proto === Date.prototype) return new Date((value as Date).getTime());
    return structuredClone(value);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyPlain((value as Record<string, unknown>)[key], depth + 1, strict);
  return out;
}
