import type { AutodErrorJSON } from '@autod/errors';
import type { ProviderName } from '@autod/core';

/** How one file ended. Every file that was not skipped ends in exactly one of the three folders. */
export type ProcessOutcome =
  | {
      kind: 'processed';
      path: string;
      sha256: string;
      documentId: number;
      destination: string;
      provider: ProviderName;
      model: string;
      costUsd: number;
      title: string | null;
      /** The category committed (counted by the document metrics without reading the row back). */
      category: string | null;
    }
  | { kind: 'duplicate'; path: string; sha256: string; documentId: number; destination: string }
  | {
      kind: 'failed';
      path: string;
      sha256: string | null;
      documentId: number | null;
      destination: string;
      error: AutodErrorJSON;
    }
  /**
   * A transient problem (rate limit, breaker open, timeout, the per-document deadline): the file stays in the inbox,
   * its row is `waiting`, and it is tried again at `retryAt` (ISO-8601) or later.
   */
  | { kind: 'retry_later'; path: string; sha256: string; documentId: number; error: AutodErrorJSON; retryAt: string }
  /**
   * Not ours to process now: another worker holds it, the file vanished, it is not a candidate, the run was aborted,
   * or the file is still being written (`incomplete`: it looks cut off and is young, or it changed while being read).
   */
  | { kind: 'skipped'; path: string; reason: SkipReason };

export type SkipReason = 'held' | 'vanished' | 'ignored' | 'aborted' | 'incomplete';

export type OutcomeKind = ProcessOutcome['kind'];

export interface RunSummary {
  total: number;
  processed: number;
  duplicates: number;
  failed: number;
  retryLater: number;
  skipped: number;
  costUsd: number;
  outcomes: ProcessOutcome[];
}

export function summarize(outcomes: ProcessOutcome[]): RunSummary {
  const count = (k: OutcomeKind) => outcomes.filter((o) => o.kind === k).length;
  return {
    total: outcomes.length,
    processed: count('processed'),
    duplicates: count('duplicate'),
    failed: count('failed'),
    retryLater: count('retry_later'),
    skipped: count('skipped'),
    costUsd: outcomes.reduce((sum, o) => sum + (o.kind === 'processed' ? o.costUsd : 0), 0),
    outcomes,
  };
}

/** Events for progress displays, logs and metrics. */
export type PipelineEvent =
  | { type: 'file.started'; path: string }
  | { type: 'file.finished'; outcome: ProcessOutcome; durationMs: number }
  | { type: 'stage'; stage: PipelineStage; path: string; durationMs: number }
  | { type: 'recovery'; filed: number; released: number; failed: number; indexed: number };

export type PipelineStage = 'intake' | 'hash' | 'claim' | 'read' | 'extract' | 'persist' | 'index' | 'file';
