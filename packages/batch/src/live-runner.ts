import type { Database } from '@autod/db';
import { discoverFiles } from '@autod/pipeline';
import { noopLogger, type AutodMetrics, type Logger } from '@autod/ops';
import type { BatchPipeline } from './item.js';
import { LiveRun, type LiveRunOptions } from './live-run.js';
import { migrateBatchTables } from './migrations.js';
import { BatchStore } from './store.js';
import type { BatchRecord, BatchRunResult } from './types.js';

export type { LiveRunOptions } from './live-run.js';

export interface BatchRunnerDeps {
  db: Database;
  pipeline: BatchPipeline;
  logger?: Logger;
  metrics?: AutodMetrics;
}

/**
 * Live mode: every item goes through the pipeline in this process with bounded concurrency. The pipeline's API
 * client enforces the RPM/TPM limits shared by all concurrent items. Every item's result is checkpointed in
 * `batch_items`, so `run(batchId)` again (resume) continues where a crash or Ctrl-C left off.
 */
export class BatchRunner {
  readonly store: BatchStore;
  private readonly logger: Logger;
  private migrated = false;

  constructor(
    private readonly deps: BatchRunnerDeps,
    private readonly options: LiveRunOptions = {},
  ) {
    this.store = new BatchStore(deps.db);
    this.logger = deps.logger ?? noopLogger;
  }

  private async ready(): Promise<void> {
    if (this.migrated) return;
    await migrateBatchTables(this.deps.db);
    this.migrated = true;
  }

  /**
   * Create a live batch over `inputs` (files and folders; the pipeline's output folders are excluded). A plain
   * re-run over the same inputs continues the newest unfinished batch instead, adding files that appeared since.
   */
  async create(inputs: string[], options: { exclude?: string[]; reuse?: boolean } = {}): Promise<BatchRecord> {
    await this.ready();
    const { dirs } = this.deps.pipeline;
    const files = await discoverFiles(inputs, [
      dirs.processed,
      dirs.failed,
      dirs.duplicates,
      ...(options.exclude ?? []),
    ]);
    if (options.reuse !== false) {
      const open = await this.store.findUnfinished('live', inputs);
      if (open) {
        await this.store.addItems(open.id, files);
        return this.store.require(open.id);
      }
    }
    return this.store.create({ mode: 'live', inputs, paths: files, options: { concurrency: this.concurrency } });
  }

  private get concurrency(): number {
    return Math.max(1, Math.floor(this.options.concurrency ?? 4));
  }

  /** Create (or continue) a batch over `inputs` and run it. */
  async start(inputs: string[], options: { exclude?: string[] } = {}): Promise<BatchRunResult> {
    const batch = await this.create(inputs, options);
    return this.run(batch.id);
  }

  /** Run (or resume) the pending items of a batch until none is left, the budget is reached or the signal aborts. */
  async run(batchId: string): Promise<BatchRunResult> {
    await this.ready();
    const started = performance.now();
    const { store, options } = this;
    const { db, pipeline, metrics } = this.deps;
    // Resume: the batch must exist; failed items go back to pending on request, and the pipeline finishes what a
    // crash left half done before any item is taken.
    await store.require(batchId);
    if (options.retryFailed) await store.resetFailed(batchId);
    await pipeline.recover();
    await store.setStatus(batchId, 'running');
    const run = new LiveRun({
      batchId,
      store,
      db,
      pipeline,
      metrics,
      logger: this.logger,
      options,
      concurrency: this.concurrency,
      counts: await store.counts(batchId),
      started,
    });
    return run.run();
  }
}
