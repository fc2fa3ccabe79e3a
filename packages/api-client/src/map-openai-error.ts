import {
  errorFor,
  isAutodError,
  retryAfterMsFromHeaders,
  shouldRetryStatus,
  type AutodError,
  type ErrorCode,
} from '@autod/errors';
import { loadedOpenAI } from './sdk.js';

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
  // The SDK's error classes: only an SDK that was loaded can have thrown one (it is loaded on first use).
  const sdk = loadedOpenAI();
  if (!sdk) {
    if (error instanceof Error && error.name === 'AbortError')
      return errorFor('ABORTED', 'The OpenAI request was cancelled.', { cause: error });
    return otherError(error);
  }
  const { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } = sdk;
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
    return mapStatusError({
      status: error.status,
      message: error.message,
      headers: error.headers,
      requestId: error.requestID,
      type: error.type,
      providerCode: error.code,
      param: error.param,
      cause: error,
    });
  }
  return otherError(error);
}

/**
 * An HTTP error answer of the API (or of one Batch API line) as an `AutodError`: the code and retryability by status
 * (an `x-should-retry` header wins), the wait a 429/5xx asks for, the provider's type/code/param, the message redacted.
 */
export function mapStatusError(answer: {
  status: number;
  message: string;
  headers?: Headers | undefined;
  requestId?: string | null | undefined;
  type?: string | null | undefined;
  providerCode?: string | null | undefined;
  param?: string | null | undefined;
  cause?: unknown;
}): AutodError {
  const { status, headers } = answer;
  const code = codeForStatus(status);
  const retryable = shouldRetryStatus(status, headers);
  const asked = status === 429 || status >= 500 ? retryAfterMsFromHeaders(headers) : undefined;
  const wait = asked !== undefined && asked >= 0 ? asked : undefined;
  const details: Record<string, unknown> = { status };
  if (answer.requestId) details.requestId = answer.requestId;
  if (answer.type) details.type = answer.type;
  if (answer.providerCode) details.providerCode = answer.providerCode;
  if (answer.param) details.param = answer.param;
  return errorFor(code, `OpenAI API error ${status}: ${redactSecrets(answer.message)}`, {
    ...(answer.cause !== undefined ? { cause: answer.cause } : {}),
    details,
    retryable,
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
  });
}

function otherError(error: unknown): AutodError {
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
