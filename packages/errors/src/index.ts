export { ERROR_CODES, EXIT_CODES, getCodeInfo, type CodeInfo, type ErrorCategory, type ErrorCode } from './codes.js';
export {
  AutodError,
  ConfigError,
  ConflictError,
  InputError,
  InternalError,
  AuthError,
  NotFoundError,
  RateLimitError,
  TimeoutError,
  UpstreamError,
  ValidationError,
  errorFor,
  isAutodError,
  isDatabaseCorrupt,
  isDiskFull,
  toAutodError,
  type AutodErrorJSON,
  type AutodErrorOptions,
} from './autod-error.js';
export { delay, sleep } from './sleep.js';
export {
  DEFAULT_RETRY_POLICY,
  computeBackoffMs,
  defaultShouldRetry,
  retry,
  retryAfterMsFrom,
  retryAfterMsFromHeaders,
  shouldRetryStatus,
  type RetryPolicy,
} from './retry.js';
export {
  CompensatingTransaction,
  type CompensatingTransactionOptions,
  type CompensationAudit,
  type CompensationState,
} from './compensating-transaction.js';
