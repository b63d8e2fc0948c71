/**
 * AWS SDK errors → {@link ProviderError}s with a kind, retryability and advice.
 * @module
 */
import { isAbortError, providerError, retryAfterMs, type ProviderError, type ProviderErrorKind } from '@mixtape/core';

/** What to set when Bedrock rejects the credentials. */
export const BEDROCK_CREDENTIAL_HINT =
  'set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), AWS_PROFILE, or pass `credentials`; ' +
  'the identity needs bedrock:InvokeModelWithResponseStream and access to the model in this region';

/** Bedrock exception names (HTTP errors and stream exception frames) and what they mean. */
const KIND_BY_NAME: Record<string, { kind: ProviderErrorKind; retryable: boolean }> = {
  ThrottlingException: { kind: 'rate_limited', retryable: true },
  ServiceQuotaExceededException: { kind: 'rate_limited', retryable: false },
  TooManyRequestsException: { kind: 'rate_limited', retryable: true },
  ModelNotReadyException: { kind: 'overloaded', retryable: true },
  ServiceUnavailableException: { kind: 'overloaded', retryable: true },
  InternalServerException: { kind: 'server', retryable: true },
  ModelStreamErrorException: { kind: 'server', retryable: true },
  ModelTimeoutException: { kind: 'server', retryable: true },
  ModelErrorException: { kind: 'server', retryable: false },
  AccessDeniedException: { kind: 'authentication', retryable: false },
  UnrecognizedClientException: { kind: 'authentication', retryable: false },
  InvalidSignatureException: { kind: 'authentication', retryable: false },
  ExpiredTokenException: { kind: 'authentication', retryable: false },
  ExpiredToken: { kind: 'authentication', retryable: false },
  InvalidClientTokenId: { kind: 'authentication', retryable: false },
  IncompleteSignature: { kind: 'authentication', retryable: false },
  CredentialsProviderError: { kind: 'authentication', retryable: false },
  ValidationException: { kind: 'invalid_request', retryable: false },
  ResourceNotFoundException: { kind: 'invalid_request', retryable: false },
  ConflictException: { kind: 'server', retryable: true },
};

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { headers?: Record<string, string | undefined> };
  $retryable?: { throttling?: boolean };
}

/**
 * Turns anything the SDK throws into a {@link ProviderError}. `streamStarted`: output has already
 * been emitted, so the error is a broken stream (kind 'stream', not retried).
 */
export function toBedrockError(error: unknown, options: { modelId: string; streamStarted?: boolean; signal?: AbortSignal }): ProviderError {
  if (error instanceof Error && error.name === 'ProviderError') return error as ProviderError;
  const e = (error ?? {}) as SdkErrorShape;
  const name = e.name ?? 'Error';
  const message = (e.message ?? String(error)).trim();
  const status = e.$metadata?.httpStatusCode;
  const requestId = e.$metadata?.requestId;
  const base = {
    provider: 'bedrock',
    cause: error,
    ...(status !== undefined && { status }),
    ...(requestId !== undefined && { requestId }),
  };

  if (options.signal?.aborted || isAbortError(error)) {
    return providerError({ ...base, kind: 'aborted', retryable: false, detail: `call to ${options.modelId} was aborted` });
  }

  let mapped = KIND_BY_NAME[name];
  if (!mapped && /region is missing/i.test(message)) {
    return providerError({
      ...base,
      kind: 'invalid_request',
      retryable: false,
      detail: 'no AWS region configured — set AWS_REGION (or AWS_PROFILE with a region) or pass `region`',
    });
  }
  if (!mapped && /credential/i.test(name + ' ' + message) && !status) mapped = { kind: 'authentication', retryable: false };
  if (
    !mapped &&
    (NETWORK_CODES.has(e.code ?? '') ||
      /socket hang up|ECONNRESET|network|TimeoutError|premature close|aborted/i.test(`${name} ${message}`))
  ) {
    mapped = { kind: 'network', retryable: true };
  }
  if (!mapped && status !== undefined) {
    mapped =
      status === 429
        ? { kind: 'rate_limited', retryable: true }
        : status === 401 || status === 403
          ? { kind: 'authentication', retryable: false }
          : status >= 500 || status === 408
            ? { kind: 'server', retryable: true }
            : { kind: 'invalid_request', retryable: false };
  }
  mapped ??= { kind: e.$fault === 'server' ? 'server' : 'other', retryable: e.$fault === 'server' };

  if (options.streamStarted) {
    return providerError({
      ...base,
      kind: 'stream',
      retryable: false,
      detail: `the response stream of ${options.modelId} broke off after output had started: ${name}: ${message}`,
    });
  }
  const after = retryAfterMs(e.$response?.headers);
  return providerError({
    ...base,
    kind: mapped.kind,
    retryable: mapped.retryable,
    ...(after !== undefined && { retryAfterMs: after }),
    detail: `${name} from ${options.modelId}: ${message}`,
    ...(mapped.kind === 'authentication' && { credentialHint: BEDROCK_CREDENTIAL_HINT }),
  });
}
