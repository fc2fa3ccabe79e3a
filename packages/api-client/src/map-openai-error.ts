import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import {
  errorFor,
  isAutodError,
  retryAfterMsFromHeaders,
  shouldRetryStatus,
  type AutodError,
  type ErrorCode,
} from '@autod/errors';

/** Anything that looks like an API key or bearer token (OpenAI echoes a masked key on 401). */
const SECRET_PATTERN = /\b(sk-[A-Za-z0-9_*-]{4,}|Bearer\s+[A-Za-z0-9._~+/*-]+=*)/g;

/** Replace API keys and bearer tokens in `text` with `[redacted]`. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_PATTERN, '[redacted]');
}

function codeForStatus(status: number): ErrorCode {
  if (status === 400) return 'UPSTREAM_BAD_REQUEST';
  if (status === 401 || status === 403) return 'UPSTREAM_AUTH';
  if (status === 404) return 'NOT_FOUND';
  if (status === 408) return 'TIMEOUT';
  if (status === 409) return 'CONFLICT';
  if (status === 422) return 'VALIDATION_FAILED';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 502 || status === 503 || status === 504) return 'UPSTREAM_UNAVAILABLE';
  if (status >= 500) return 'UPSTREAM_ERROR';
  return 'UPSTREAM_BAD_REQUEST';
}

/**
 * The one factory that turns whatever the SDK threw into an `AutodError` (STYLE rule 19).
 * HTTP errors carry `details.status`, `details.requestId` and the provider's `type`/`code`/`param`;
 * connection failures, timeouts and aborts get their own codes and no status. The message is
 * redacted, and neither request headers nor the API key are ever copied.
 *
 * Retryable: 408, 409, 429, 5xx, connection failures and timeouts; an explicit
 * `x-should-retry: true|false` response header wins over the status table (openai-node convention).
 * A 429/5xx carries the wait its `retry-after-ms`/`retry-after` headers ask for; a date in the past carries none
 * (the retry loop then backs off).
 */
export function mapOpenAIError(error: unknown): AutodError {
  if (isAutodError(error)) return error;
  if (error instanceof APIUserAbortError || (error instanceof Error && error.name === 'AbortError')) {
    return errorFor('ABORTED', 'The OpenAI request was cancelled.', { cause: error });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return errorFor('TIMEOUT', 'The OpenAI request timed out; it will be retried.', { cause: error, retryable: true });
  }
  if (error instanceof APIConnectionError) {
    const reason = error.cause instanceof Error ? `: ${redactSecrets(error.cause.message)}` : '';
    return errorFor(
      'CONNECTION_FAILED',
      `Could not reach the OpenAI API${reason}. Check the network or OPENAI_BASE_URL.`,
      {
        cause: error,
        retryable: true,
      },
    );
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const code = codeForStatus(status);
    const retryable = shouldRetryStatus(status, error.headers);
    const asked = status === 429 || status >= 500 ? retryAfterMsFromHeaders(error.headers) : undefined;
    const wait = asked !== undefined && asked >= 0 ? asked : undefined;
    const details: Record<string, unknown> = { status };
    if (error.requestID) details.requestId = error.requestID;
    if (error.type) details.type = error.type;
    if (error.code) details.providerCode = error.code;
    if (error.param) details.param = error.param;
    return errorFor(code, `OpenAI API error ${status}: ${redactSecrets(error.message)}`, {
      cause: error,
      details,
      retryable,
      ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    });
  }
  if (error instanceof Error) {
    return errorFor('UPSTREAM_ERROR', `OpenAI call failed: ${redactSecrets(error.message)}`, {
      cause: error,
      retryable: false,
    });
  }
  return errorFor('UPSTREAM_ERROR', 'OpenAI call failed with a non-error value.', { cause: error, retryable: false });
}

/** Errors that say the upstream is unhealthy (what the circuit breaker counts). */
export function isUpstreamFailure(error: AutodError): boolean {
  const status = typeof error.details?.status === 'number' ? error.details.status : undefined;
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  return error.code === 'TIMEOUT' || error.code === 'CONNECTION_FAILED' || error.code === 'UPSTREAM_UNAVAILABLE';
}
