import type { Config } from '@autod/config';
import type { AutodErrorJSON } from '@autod/errors';
import type { HashedFile, PipelineEvent, ProcessOutcome } from '@autod/pipeline';
import type { MetricsSnapshot } from '@autod/ops';

/** What the server hands an extraction worker when it starts it. */
export interface WorkerInit {
  config: Config;
  /** Log to the process's stderr (file descriptor 2) at the configured level; otherwise drop the worker's logs. */
  logToStderr: boolean;
}

/** Main thread → worker. */
export type ToWorker =
  | { type: 'process'; id: number; path: string; complete: boolean; hashed?: HashedFile }
  | { type: 'abort'; id: number; reason: string }
  | { type: 'metrics'; id: number }
  | { type: 'close' };

/** Worker → main thread. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'startFailed'; error: AutodErrorJSON }
  | { type: 'event'; event: PipelineEvent }
  | { type: 'outcome'; id: number; outcome: ProcessOutcome }
  | { type: 'failed'; id: number; error: AutodErrorJSON }
  | { type: 'metrics'; id: number; snapshot: MetricsSnapshot }
  /** The final metrics (counters and histograms keep counting in the server after the worker is gone). */
  | { type: 'closed'; snapshot: MetricsSnapshot };
