import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full garbage collection that also gives the freed heap pages back to the operating system. */
export type FullCollection = () => void;

type V8Gc = (options?: {
  type?: 'major' | 'minor';
  execution?: 'sync' | 'async';
  flavor?: 'regular' | 'last-resort';
}) => void;

/**
 * V8's memory-reducing full collection (`gc({ flavor: 'last-resort' })`: collects until nothing more is freed, shrinks
 * the young generation and releases the pooled pages; a regular `gc()` leaves those resident). Uses `globalThis.gc`
 * when the process runs with `--expose-gc`, else enables the flag and takes `gc` from a fresh context (V8 adds it to
 * contexts created after the flag is set; this one is otherwise unused).
 */
export function memoryReducingGc(): FullCollection {
  const existing: unknown = (globalThis as { gc?: unknown }).gc;
  let gc: V8Gc;
  if (typeof existing === 'function') gc = existing as V8Gc;
  else {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as V8Gc;
  }
  return () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

export interface IdleCollectorOptions {
  /** How long the server must be quiet before it collects (ms); 0 = never collect. */
  quietMs: number;
  /** True while documents are being processed or batches run (never quiet then). */
  busy: () => boolean;
  /** Collect only when the V8 heap grew this much since the last collection (default 32 MiB). */
  minGrowthBytes?: number;
  /** The full collection (default {@link memoryReducingGc}). */
  collect?: FullCollection;
  /** Bytes the V8 heap holds (default `total_heap_size` of `v8.getHeapStatistics()`). */
  heapBytes?: () => number;
  /** Called after each collection with the heap before and after, and how long it took. */
  onCollect?: (info: { heapBefore: number; heapAfter: number; ms: number }) => void;
}

/**
 * Returns the memory a burst of requests grew the heap into, once the server is quiet again. V8 collects garbage
 * only when JavaScript allocates: after a load burst an idle server would keep its grown heap (and RSS) until the
 * next burst. When the server has been quiet for `quietMs` (at most one request a second — health probes are fine —
 * and no document or batch in progress) and the heap grew by `minGrowthBytes` since the last collection (start-up
 * counts as growth), it runs one memory-reducing full collection (a pause of tens to a few hundred ms, taken when
 * nothing waits). Counting requests costs one increment per request.
 */
export class IdleCollector {
  private readonly quietMs: number;
  private readonly checkMs: number;
  private readonly minGrowth: number;
  private readonly heapBytes: () => number;
  private collect: FullCollection | undefined;
  private requests = 0;
  private seen = 0;
  private quietSince: number | undefined;
  private heapAfterLast = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: IdleCollectorOptions) {
    this.quietMs = Math.max(0, options.quietMs);
    this.checkMs = Math.max(250, Math.min(5_000, Math.round(this.quietMs / 2)));
    this.minGrowth = options.minGrowthBytes ?? 32 * 1024 * 1024;
    this.heapBytes = options.heapBytes ?? (() => getHeapStatistics().total_heap_size);
    this.collect = options.collect;
  }

  get enabled(): boolean {
    return this.quietMs > 0;
  }

  /** Count one request (the server's onRequest hook). */
  noteRequest(): void {
    this.requests++;
  }

  /** Look once: returns true when it collected. The timer calls this every `quietMs / 2` (0.25–5 s). */
  check(now: number = Date.now()): boolean {
    if (!this.enabled) return false;
    const recent = this.requests - this.seen;
    this.seen = this.requests;
    const quiet = recent <= Math.max(1, this.checkMs / 1000) && !this.options.busy();
    if (!quiet) {
      this.quietSince = undefined;
      return false;
    }
    this.quietSince ??= now;
    if (now - this.quietSince < this.quietMs) return false;
    const heapBefore = this.heapBytes();
    if (heapBefore - this.heapAfterLast < this.minGrowth) return false;
    const started = performance.now();
    this.collect ??= memoryReducingGc();
    this.collect();
    this.heapAfterLast = this.heapBytes();
    this.quietSince = undefined;
    this.options.onCollect?.({ heapBefore, heapAfter: this.heapAfterLast, ms: performance.now() - started });
    return true;
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    this.timer = setInterval(() => this.check(), this.checkMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
