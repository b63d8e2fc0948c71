/**
 * Dependencies loaded on first use instead of at import, so that `import '@mixtape/core'` does
 * not pay for what a program never calls (OpenTelemetry, glob matching, shell parsing, partial
 * JSON, the BPE tokenizer). Only CommonJS packages are loaded this way: Node's `import` of a CommonJS package and
 * `require()` of it return the same module instance, so nothing is loaded twice and global state
 * (such as OpenTelemetry's registered providers) is shared with the user's own imports.
 * @module
 */
import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type * as PartialJson from 'partial-json';
import type Picomatch from 'picomatch';
import type * as ShellQuote from 'shell-quote';

const require = createRequire(import.meta.url);

/** A getter that `require()`s the CommonJS package `id` on its first call and then returns it. */
function lazy<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}

/** `@opentelemetry/api` (CommonJS in Node: the same instance as the user's `import`). */
export const otelApi: () => typeof OtelApi = lazy('@opentelemetry/api');
/** `picomatch`'s glob compiler. */
export const picomatch: () => typeof Picomatch = lazy('picomatch');
/** `shell-quote` (its `parse`). */
export const shellQuote: () => typeof ShellQuote = lazy('shell-quote');
/** gpt-tokenizer's cl100k_base encoding (its data is large: loaded on the first count that needs it). */
export const cl100kTokenizer: () => { countTokens(text: string): number } = lazy('gpt-tokenizer/cjs/encoding/cl100k_base');
/** `partial-json` (its `parse` and `Allow`). */
export const partialJson: () => typeof PartialJson = lazy('partial-json');
