/** An error as the server's catalogue describes it: what happened and what to do. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface ErrorBody {
  error?: { message?: unknown; hint?: unknown; code?: unknown };
}

/** Turns anything (an error body, a network failure) into an ApiError. */
export function toApiError(thing: unknown, status = 0): ApiError {
  if (thing instanceof ApiError) return thing;
  const body = thing as ErrorBody | null;
  if (body && typeof body === 'object' && body.error && typeof body.error.message === 'string') {
    return new ApiError(
      body.error.message,
      typeof body.error.hint === 'string' ? body.error.hint : '',
      typeof body.error.code === 'string' ? body.error.code : 'UNKNOWN',
      status,
    );
  }
  if (thing instanceof TypeError) {
    return new ApiError(
      'The server cannot be reached.',
      'Check that `autod serve` is running, then reload.',
      'NETWORK',
      0,
    );
  }
  const message = thing instanceof Error ? thing.message : 'Something went wrong.';
  return new ApiError(
    message,
    'Reload the page; if it happens again, the server log has the details.',
    'UNKNOWN',
    status,
  );
}

/**
 * Unwraps an openapi-fetch result: the data, or an ApiError with the catalogue's message and hint.
 * `T` names the body for routes whose OpenAPI document has no response schema yet (see models.ts).
 */
export async function unwrap<T>(call: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<T> {
  let result;
  try {
    result = await call;
  } catch (error) {
    throw toApiError(error);
  }
  if (result.error !== undefined || !result.response.ok) throw toApiError(result.error, result.response.status);
  return result.data as T;
}
