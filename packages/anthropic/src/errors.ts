/**
 * Turns @anthropic-ai/sdk errors into {@link ProviderError}s.
 * @module
 */
import Anthropic from '@anthropic-ai/sdk';
import {
  ProviderError,
  abortedError,
  providerError,
  retryAfterMs,
  serverAllowsRetry,
  isRetryableStatus,
  type ProviderErrorKind,
} from '@mixtape/core';

/** What to set when the key is missing or rejected. */
export const ANTHROPIC_CREDENTIAL_HINT = 'set ANTHROPIC_API_KEY (or pass apiKey to anthropic())';

const PROVIDER = 'anthropic';

/** The kind of an in-stream `event: error` by its error type. */
function kindForErrorType(type: string | undefined): ProviderErrorKind {
  switch (type) {
    case 'overloaded_error':
      return 'overloaded';
    case 'rate_limit_error':
      return 'rate_limited';
    case 'api_error':
    case 'timeout_error':
      return 'server';
    case 'authentication_error':
    case 'permission_error':
      return 'authentication';
    case undefined:
      return 'server';
    default:
      return 'invalid_request';
  }
}

/**
 * A ProviderError for anything the SDK (or the stream) threw. `beforeOutput` says whether any
 * delta was emitted yet: a broken stream before output is retryable, after output it is not.
 */
export function toProviderError(error: unknown, signal: AbortSignal | undefined, beforeOutput: boolean): ProviderError {
  if (error instanceof ProviderError) return error;
  if (signal?.aborted || error instanceof Anthropic.APIUserAbortError) return abortedError(signal, PROVIDER, error);
  if (error instanceof Anthropic.APIConnectionError) {
    return providerError({
      provider: PROVIDER,
      kind: 'network',
      detail: `could not connect (${error.message}${causeText(error)})`,
      cause: error,
    });
  }
  if (error instanceof Anthropic.APIError) {
    const body = error.error as { error?: { type?: string; message?: string } } | undefined;
    const type = body?.error?.type ?? (error as { type?: string }).type ?? undefined;
    const message = body?.error?.message ?? error.message;
    const requestId = error.requestID ?? undefined;
    if (error.status === undefined) {
      // An `event: error` inside the stream (e.g. overloaded_error).
      const kind = kindForErrorType(type);
      return providerError({
        provider: PROVIDER,
        kind,
        detail: `error event in the stream: ${type ?? 'error'}: ${message}`,
        retryable: beforeOutput && (kind === 'overloaded' || kind === 'rate_limited' || kind === 'server'),
        ...(requestId && { requestId }),
        cause: error,
      });
    }
    const status = error.status;
    const kind: ProviderErrorKind =
      status === 401 || status === 403
        ? 'authentication'
        : status === 429
          ? 'rate_limited'
          : status === 529 || type === 'overloaded_error'
            ? 'overloaded'
            : status >= 500 || status === 408 || status === 409
              ? 'server'
              : 'invalid_request';
    const after = retryAfterMs(error.headers as Headers | undefined);
    return providerError({
      provider: PROVIDER,
      kind,
      status,
      retryable: isRetryableStatus(status) && serverAllowsRetry(error.headers as Headers | undefined),
      detail: `${type ?? 'error'}: ${message}`,
      credentialHint: ANTHROPIC_CREDENTIAL_HINT,
      ...(after !== undefined && { retryAfterMs: after }),
      ...(requestId && { requestId }),
      cause: error,
    });
  }
  // Anything else broke the body of the stream: a reset connection ("terminated"), a malformed event.
  const text = error instanceof Error ? error.message : String(error);
  return providerError({
    provider: PROVIDER,
    kind: 'stream',
    detail: beforeOutput ? `the response stream broke before any output (${text})` : `the response stream broke off mid-way (${text})`,
    retryable: beforeOutput,
    cause: error,
  });
}

function causeText(error: Error): string {
  const cause = error.cause as { message?: string; code?: string } | undefined;
  if (!cause) return '';
  return `: ${cause.code ?? cause.message ?? String(cause)}`;
}
