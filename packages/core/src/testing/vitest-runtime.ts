/**
 * vitest for the conformance suites, loaded only inside a vitest run (vitest sets VITEST in its
 * workers). Importing `@mixtape/core/testing` elsewhere — for ScriptedModel in an example or a
 * demo — never loads vitest, which is large, nor requires it to be installed.
 * @module
 */
import type * as Vitest from 'vitest';

// Outside a vitest run (or without vitest installed) the helpers fall back to plain assertions.
const loaded: typeof Vitest | null = process.env.VITEST ? await import('vitest').catch(() => null) : null;

/** vitest's API, or a clear error when called outside a vitest run. */
export function requireVitest(suite: string): typeof Vitest {
  if (!loaded)
    throw new Error(`${suite} registers vitest tests: install vitest (npm install -D vitest) and call it from a test file run by vitest.`);
  return loaded;
}
