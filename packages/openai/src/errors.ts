/**
 * Turns openai SDK errors into {@link ProviderError}s.
 * @module
 */
import OpenAI from 'openai';
import {
  ProviderError,
  abortedError,
  kindForStatus,
  providerError,
  retryAfterMs,
  serverAllowsRetry,
  isRetryableStatus,
  type ProviderErrorKind,
} from '@mixtape/core';

/** What to set when the key is missing or rejected. */
export const OPENAI_CREDENTIAL_HINT = 'set OPENAI_API_KEY (or pass apiKey)';

/** A ProviderError for anything the SDK (or the stream) threw; see the Anthropic provider for `beforeOutput`. */
export function toOpenAIProviderError(
  provider: string,
  error: unknown,
  signal: AbortSignal | undefined,
  beforeOutput: boolean,
): ProviderError {
  if (error instanceof ProviderError) return error;
  if (signal?.aborted || error instanceof OpenAI.APIUserAbortError) return abortedError(signal, provider, error);
  if (error instanceof OpenAI.APIConnectionError) {
    const cause = error.cause as { code?: string; message?: string } | undefined;
    return providerError({
      provider,
      kind: 'network',
      detail: `could not connect (${error.message}${cause ? `: ${cause.code ?? cause.message}` : ''})`,
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIError) {
    const body = error.error as { message?: string; type?: string; code?: string } | undefined;
    const type = body?.type ?? error.type ?? undefined;
    const message = body?.message ?? error.message;
    if (error.status === undefined) {
      // `data: {"error": ...}` inside the stream.
      const kind: ProviderErrorKind = /rate/i.test(type ?? '')
        ? 'rate_limited'
        : /overload/i.test(type ?? '')
          ? 'overloaded'
          : /server|internal/i.test(type ?? '') || !type
            ? 'server'
            : 'invalid_request';
      return providerError({
        provider,
        kind,
        detail: `error in the stream: ${type ?? 'error'}: ${message}`,
        retryable: beforeOutput && (kind === 'server' || kind === 'rate_limited' || kind === 'overloaded'),
        cause: error,
      });
    }
    const after = retryAfterMs(error.headers as Headers | undefined);
    const requestId = error.requestID ?? undefined;
    return providerError({
      provider,
      kind: kindForStatus(error.status),
      status: error.status,
      retryable: isRetryableStatus(error.status) && serverAllowsRetry(error.headers as Headers | undefined),
      detail: `${type ?? 'error'}: ${message}`,
      credentialHint: OPENAI_CREDENTIAL_HINT,
      ...(after !== undefined && { retryAfterMs: after }),
      ...(requestId && { requestId }),
      cause: error,
    });
  }
  const text = error instanceof Error ? error.message : String(error);
  return providerError({
    provider,
    kind: 'stream',
    detail: beforeOutput ? `the response stream broke before any output (${text})` : `the response stream broke off mid-way (${text})`,
    retryable: beforeOutput,
    cause: error,
  });
}
