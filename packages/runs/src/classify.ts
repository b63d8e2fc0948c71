/**
 * Which failures of a run are retried: those that are not the user's fault.
 * @module
 */
import { AgentError, ProviderError, SessionError } from '@mixtape/core';
import { RunsError } from './errors.js';

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

/**
 * True for failures worth another attempt: a provider error its provider marks retryable
 * (429, 5xx, 529, network), a session store or database that could not be reached, a network
 * error. False for the user's (or the model's) fault: invalid requests, authentication,
 * max steps / tokens, content filters, configuration, interrupts.
 */
export function isRetryableFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ProviderError) return e.retryable;
    if (e instanceof SessionError) return e.kind === 'storage';
    if (e instanceof RunsError) return e.kind === 'storage';
    if (e instanceof AgentError && e.kind !== 'provider' && e.kind !== 'session') return false;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08') || code === '57P01')) return true;
  }
  return false;
}

/** A short description of a failure for `RunFailure`. */
export function failureOf(error: unknown): { reason: string; kind?: string } {
  const e = error as { message?: unknown; kind?: unknown; name?: unknown };
  const reason = typeof e?.message === 'string' ? e.message : String(error);
  const kind = typeof e?.kind === 'string' ? e.kind : typeof e?.name === 'string' ? e.name : undefined;
  return { reason: reason.slice(0, 2000), ...(kind !== undefined ? { kind } : {}) };
}
