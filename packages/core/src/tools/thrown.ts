/**
 * Describing whatever a tool throws or returns, safely: a null-prototype object, an Error whose
 * `message` getter throws, a revoked Proxy, a Symbol — each becomes text, never a second throw.
 * @module
 */

/** Longest description of a thrown value kept in a tool's error result. */
export const MAX_THROWN_DESCRIPTION_CHARS = 2_000;

function clip(text: string): string {
  return text.length > MAX_THROWN_DESCRIPTION_CHARS ? `${text.slice(0, MAX_THROWN_DESCRIPTION_CHARS)}…` : text;
}

/** Text for a thrown value; never throws. */
export function describeThrown(value: unknown): string {
  try {
    if (value instanceof Error) {
      let message: unknown;
      try {
        message = value.message;
      } catch {
        // A throwing `message` getter: fall back to the error's name.
        message = undefined;
      }
      if (typeof message === 'string' && message) return clip(message);
      let name = 'Error';
      try {
        if (typeof value.name === 'string') name = value.name;
      } catch {
        // A throwing `name` getter: keep 'Error'.
      }
      return `${name} (the error's message could not be read)`;
    }
    if (typeof value === 'string') return clip(value);
    if (typeof value === 'symbol') return clip(value.toString());
    if (typeof value === 'function') return 'a function was thrown';
    if (typeof value !== 'object' || value === null) return String(value);
    try {
      const json = JSON.stringify(value);
      if (json !== undefined && json !== '{}') return clip(json);
    } catch {
      // Not JSON (cycle, BigInt, revoked Proxy): describe it below.
    }
    try {
      const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
      const name =
        proto === null
          ? 'a null-prototype object'
          : typeof proto.constructor?.name === 'string'
            ? `a ${proto.constructor.name}`
            : 'an object';
      return `${name} was thrown`;
    } catch {
      return 'a value that cannot be inspected (e.g. a revoked Proxy) was thrown';
    }
  } catch {
    return 'a value that cannot be inspected was thrown';
  }
}

/** Why a returned value cannot be a tool result, or undefined when it can. Never throws. */
export function unusableResult(value: unknown): string | undefined {
  try {
    if (typeof value === 'function') return 'The tool returned a function, which is not a result; return text or JSON.';
    if (typeof value === 'symbol') return 'The tool returned a Symbol, which is not a result; return text or JSON.';
    if (typeof value === 'bigint') return 'The tool returned a BigInt, which JSON cannot hold; return it as text.';
    if (typeof value === 'object' && value !== null) {
      // Reading it once finds revoked Proxies and throwing getters before the result is stored.
      JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? null : v));
    }
    return undefined;
  } catch (e) {
    return `The tool returned a value that cannot be read as a result (${describeThrown(e)}); return text or JSON.`;
  }
}
