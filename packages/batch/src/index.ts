export { BatchRunner, type BatchRunnerDeps, type LiveRunOptions } from './live-runner.js';
export { BatchStore, newBatchId, type CreateBatchInput, type ItemCheckpoints, type ItemPatch } from './store.js';
export { CheckpointWriter } from './checkpoint-writer.js';
export { StartPacer, type StartPacerOptions } from './start-pacer.js';
export {
  BATCH_MIGRATIONS,
  BATCH_MIGRATIONS_TABLE,
  batchMigrationStatus,
  migrateBatchTables,
  rollbackBatchTables,
} from './migrations.js';
export {
  estimateFile,
  estimateRun,
  type EstimateOptions,
  type FileEstimate,
  type ModelEstimate,
  type RunEstimate,
} from './estimate.js';
export { ProgressTracker, type ProgressTrackerOptions } from './progress.js';
export { attemptItem, outcomeAttempt, type BatchPipeline, type ItemAttempt } from './item.js';
export type {
  BatchCounts,
  BatchItem,
  BatchItemError,
  BatchItemStatus,
  BatchMode,
  BatchProgressEvent,
  BatchRecord,
  BatchRunResult,
  BatchStatus,
} from './types.js';
export {
  OpenAIBatchRunner,
  OPENAI_BATCH_MAX_BYTES,
  type BatchApiPipeline,
  OPENAI_BATCH_MAX_LINES,
  type OpenAIBatchDeps,
  type OpenAIBatchOptions,
} from './openai-batch.js';
export {
  DEAD_LETTER_QUEUE_NAME,
  QUEUE_NAME,
  QueueProducer,
  QueueWorker,
  queueLimiter,
  closeRedis,
  ensureRedisReachable,
  redisConnection,
  type DeadLetter,
  type QueueJobData,
  type QueueJobOptions,
  type QueueProducerDeps,
  type QueueWorkerDeps,
  type QueueWorkerOptions,
  type RedisTarget,
} from './queue.js';
export { RedisRateLimiter, type RedisRateLimiterOptions } from './redis-rate-limiter.js';
