/** How a batch is run. */
export type BatchMode = 'live' | 'openai-batch' | 'queue';

/**
 * - `running`: being worked on (or was, when the process died: resume it).
 * - `submitted`: OpenAI Batch API jobs are in flight (resume polls them).
 * - `queued`: jobs are on the Redis queue for `autod worker` processes.
 * - `completed`: every item ended and none failed; `completed_with_errors`: some failed.
 * - `interrupted`: stopped by a signal; `budget_stopped`: stopped before crossing `maxCostUsd`.
 */
export type BatchStatus =
  'running' | 'submitted' | 'queued' | 'completed' | 'completed_with_errors' | 'interrupted' | 'budget_stopped';

/** Status of one file of a batch. `pending` items are (re)done by a resume. */
export type BatchItemStatus = 'pending' | 'done' | 'failed' | 'skipped' | 'duplicate';

export interface BatchItemError {
  code: string;
  message: string;
}

export interface BatchRecord {
  id: string;
  mode: BatchMode;
  status: BatchStatus;
  inputs: string[];
  options: Record<string, unknown>;
  /** OpenAI Batch API job ids submitted for this batch (openai-batch mode). */
  openaiBatchIds: string[];
  total: number;
  estimatedCostUsd: number | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface BatchItem {
  id: number;
  batchId: string;
  path: string;
  sha256: string | null;
  status: BatchItemStatus;
  documentId: number | null;
  error: BatchItemError | null;
  attempts: number;
  costUsd: number;
  /** The OpenAI batch job the item was submitted in (pending while it runs). */
  openaiBatchId: string | null;
  updatedAt: Date;
}

export interface BatchCounts {
  total: number;
  pending: number;
  done: number;
  failed: number;
  skipped: number;
  duplicate: number;
  costUsd: number;
}

/** Progress of a run, for progress bars (TTY) and JSON-lines logs. */
export interface BatchProgressEvent {
  type: 'start' | 'progress' | 'end';
  batchId: string;
  mode: BatchMode;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  duplicates: number;
  pending: number;
  /** Items finished per second in this run. */
  ratePerSec: number;
  /** Seconds until every pending item is finished at the current rate (null before the first item). */
  etaSec: number | null;
  /** Dollars spent by the whole batch so far. */
  costUsd: number;
  elapsedSec: number;
  /** On `end`: the batch status. */
  status?: BatchStatus;
  /** The last finished item. */
  last?: { path: string; status: BatchItemStatus; error?: BatchItemError };
}

/** What a run returns. */
export interface BatchRunResult {
  batchId: string;
  mode: BatchMode;
  status: BatchStatus;
  counts: BatchCounts;
  durationMs: number;
}
