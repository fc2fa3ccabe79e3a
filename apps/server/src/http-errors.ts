import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { errorFor, isAutodError, type AutodError, type AutodErrorJSON, type ErrorCode } from '@autod/errors';
import type { Logger } from '@autod/ops';

/** Body of every error response: `{ error: AutodErrorJSON }`. */
export interface ErrorBody {
  error: AutodErrorJSON;
}

/** The 401 body (code UNAUTHORIZED; the hint says which header to send). */
export function unauthorized(message: string): ErrorBody {
  return { error: errorFor('UNAUTHORIZED', message).toJSON() };
}

interface ValidationIssue {
  path: string;
  message: string;
}

function validationIssues(error: {
  validation: readonly { instancePath?: string; message?: string }[];
  validationContext?: string;
}): ValidationIssue[] {
  return error.validation.map((v) => ({
    path: `${error.validationContext ?? ''}${(v.instancePath ?? '').replace(/\//g, '.')}`,
    message: v.message ?? 'invalid',
  }));
}

/** Fastify/plugin errors that carry a 4xx statusCode, mapped to the closest catalogue code. */
function fromStatus(status: number, message: string): AutodError {
  const byStatus: Partial<Record<number, ErrorCode>> = {
    404: 'NOT_FOUND',
    409: 'CONFLICT',
    413: 'INPUT_TOO_LARGE',
    429: 'RATE_LIMITED',
  };
  return errorFor(byStatus[status] ?? 'VALIDATION_FAILED', message);
}

/** Converts anything thrown by a route or hook into `{status, body}`; never leaks internals of 5xx errors. */
export function toHttpError(thrown: unknown): { status: number; body: { error: AutodErrorJSON }; error: AutodError } {
  if (isAutodError(thrown)) {
    return { status: thrown.httpStatus, body: { error: thrown.toJSON() }, error: thrown };
  }
  if (hasZodFastifySchemaValidationErrors(thrown)) {
    const issues = validationIssues(thrown);
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    const error = errorFor('VALIDATION_FAILED', `Invalid request: ${summary}`, { details: { issues } });
    return { status: 400, body: { error: error.toJSON() }, error };
  }
  const fe = thrown as Partial<FastifyError> | undefined;
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const error = fromStatus(status, fe?.message ?? 'Bad request');
    // Keep the transport status (e.g. 406/415 from the multipart parser) while using a catalogue code.
    return { status, body: { error: error.toJSON() }, error };
  }
  const error = errorFor(
    'INTERNAL',
    'Internal server error; the server log has the details (search for the request id).',
  );
  return { status: 500, body: { error: error.toJSON() }, error };
}

/** The single error handler of the app. */
export function errorHandler(logger: Logger) {
  return (thrown: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const { status, body, error } = toHttpError(thrown);
    const log = {
      requestId: request.id,
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status,
    };
    if (status >= 500) logger.error({ ...log, err: thrown }, 'request failed');
    else logger.debug({ ...log, code: error.code }, 'request rejected');
    if (error.retryAfterMs !== undefined) reply.header('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
    void reply.code(status).send(body);
  };
}
