export interface WorkLanesOptions {
  /** Tasks running at once in the normal lane. */
  concurrency: number;
  /**
   * A task that has run this long moves to the slow lane and gives its normal slot to the next task (default
   * 20 000 ms; 0 = never): one slow document (a long OCR scan) never holds up the files behind it.
   */
  slowAfterMs?: number;
  /** Tasks at once in the slow lane (default 1). Running tasks never exceed `concurrency + slowConcurrency`. */
  slowConcurrency?: number;
}

interface Running {
  startedAt: number;
  lane: 'normal' | 'slow';
}

interface Waiting {
  start: () => void;
  cancel: () => void;
}

/**
 * A FIFO work queue with bounded concurrency and a slow lane, used by every runner (folder runs, the inbox watcher,
 * the server's uploads, live batches). Without the slow lane, `concurrency` slow documents — or one, with
 * concurrency 1 — stall every file behind them until they finish or hit their deadline. A task that runs longer than
 * `slowAfterMs` moves to the slow lane (while it has room) and its slot starts the next queued task; the slow lane's
 * own bound keeps a burst of slow documents from running unbounded.
 */
export class WorkLanes {
  private readonly concurrency: number;
  private readonly slowAfterMs: number;
  private readonly slowConcurrency: number;
  private readonly queue: Waiting[] = [];
  private readonly running = new Set<Running>();
  private normal = 0;
  private slow = 0;

  constructor(options: WorkLanesOptions) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency));
    this.slowAfterMs = Math.max(0, options.slowAfterMs ?? 20_000);
    this.slowConcurrency = Math.max(0, Math.floor(options.slowConcurrency ?? 1));
  }

  /** Tasks running now (both lanes). */
  get active(): number {
    return this.running.size;
  }

  /** Tasks waiting for a slot. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Run `task` when a slot is free. Resolves with its result, or with `undefined` when `clear()` dropped it before it
   * started (so nothing waits forever on a cleared task).
   */
  run<T>(task: () => Promise<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      this.queue.push({
        start: () => {
          const entry: Running = { startedAt: Date.now(), lane: 'normal' };
          this.running.add(entry);
          this.normal++;
          const timer =
            this.slowAfterMs > 0 && this.slowConcurrency > 0
              ? setTimeout(() => this.promote(), this.slowAfterMs + 1)
              : undefined;
          timer?.unref();
          let result: Promise<T>;
          try {
            result = task();
          } catch (error) {
            result = Promise.reject(error instanceof Error ? error : new Error(String(error)));
          }
          result.then(resolve, reject).finally(() => {
            clearTimeout(timer);
            this.running.delete(entry);
            if (entry.lane === 'slow') this.slow--;
            else this.normal--;
            this.promote();
            this.pump();
          });
        },
        cancel: () => resolve(undefined),
      });
      this.pump();
    });
  }

  /** Drop every task that has not started (each resolves with `undefined`); running tasks go on. */
  clear(): number {
    const dropped = this.queue.splice(0);
    for (const w of dropped) w.cancel();
    return dropped.length;
  }

  private pump(): void {
    while (this.normal < this.concurrency && this.queue.length > 0) this.queue.shift()?.start();
  }

  /** Move the longest-running overdue normal tasks to the slow lane while it has room. */
  private promote(): void {
    if (this.slowAfterMs <= 0) return;
    const overdue = Date.now() - this.slowAfterMs;
    while (this.slow < this.slowConcurrency) {
      let oldest: Running | undefined;
      for (const r of this.running)
        if (r.lane === 'normal' && r.startedAt <= overdue && (!oldest || r.startedAt < oldest.startedAt)) oldest = r;
      if (!oldest) break;
      oldest.lane = 'slow';
      this.normal--;
      this.slow++;
    }
    this.pump();
  }
}
