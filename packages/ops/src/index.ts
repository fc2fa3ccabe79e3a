export {
  createLogger,
  DEFAULT_REDACT_PATHS,
  newRequestId,
  noopLogger,
  REDACTED,
  requestIdFrom,
  secretScrubber,
  type Logger,
  type LoggerCreateOptions,
} from './logger.js';
export { RotatingFileStream, type RotatingFileOptions } from './rotating-file.js';
export {
  AutodMetrics,
  BREAKER_STATE_VALUE,
  type AutodMetricsOptions,
  type BreakerState,
  type DocumentStatus,
  type HttpRequestEvent,
  type TokenUsage,
  type UpstreamRequestEvent,
} from './metrics.js';
export {
  HealthRegistry,
  type HealthCheck,
  type HealthCheckKind,
  type HealthCheckOutcome,
  type HealthCheckResult,
  type HealthRegistryOptions,
  type HealthReport,
  type HealthStatus,
} from './health.js';
