import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { delay } from '@autod/errors';
import { isCandidateFile } from './inbox-watcher.js';
import { summarize, type ProcessOutcome, type RunSummary } from './outcome.js';
import type { Pipeline } from './pipeline.js';
import { WorkLanes } from './work-lanes.js';

/**
 * Expand files and folders (recursively, skipping hidden and side files) into a sorted list of files. A file found in
 * a folder that is gone by the time it is looked at (another worker on the same inbox filed it) is left out; an input
 * named explicitly that does not exist is an error.
 */
export async function discoverFiles(inputs: string[], exclude: string[] = []): Promise<string[]> {
  const excluded = exclude.map((p) => resolve(p));
  const found = new Set<string>();
  const visit = async (path: string, listed: boolean): Promise<void> => {
    const abs = resolve(path);
    if (excluded.some((e) => abs === e || abs.startsWith(e + '/'))) return;
    let s;
    try {
      s = await stat(abs);
    } catch (error) {
      if (listed && (error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    if (s.isDirectory()) {
      const entries = await readdir(abs);
      for (const entry of entries.sort()) {
        if (entry.startsWith('.')) continue;
        await visit(join(abs, entry), true);
      }
    } else if (s.isFile() && isCandidateFile(abs)) {
      found.add(abs);
    }
  };
  for (const input of inputs) await visit(input, false);
  return [...found].sort();
}

export interface ProcessPathsOptions {
  concurrency: number;
  signal?: AbortSignal;
  onOutcome?: (outcome: ProcessOutcome, done: number, total: number) => void;
  /** A file running longer than this gives its slot to the next file (the slow lane, see WorkLanes); default 20 000. */
  slowAfterMs?: number;
  /**
   * Files deferred by transient upstream trouble (breaker open, rate limit, upstream errors) are tried again in the
   * same run when their `retryAt` comes (e.g. the breaker's cool-down), round after round while a round moves at least
   * one of them forward; a round waits at most this long (default 300 000 ms; 0 = no retries in the run). Files
   * deferred for other reasons (the per-document deadline, a file still being written) are left for the next run.
   * Files held by a twin (the same content in flight) are tried again right after the round.
   */
  maxRetryWaitMs?: number;
}

/** Retry rounds in a row in which the breaker refused every call (no call reached the upstream). */
const MAX_EARLY_ROUNDS = 3;

/** A deferral caused by the upstream (not by the document): worth another try in the same run. */
export function isUpstreamDeferral(outcome: ProcessOutcome): boolean {
  if (outcome.kind !== 'retry_later') return false;
  const { category, code } = outcome.error;
  // A budget cap (AUTOD_BUDGET_*) does not lift within a run: the document waits for the next UTC day/month or a run
  // with a raised cap.
  if (code === 'BUDGET_EXCEEDED') return false;
  return category === 'upstream' || category === 'rate_limit' || code === 'TIMEOUT';
}

/**
 * Process a list of files with bounded concurrency; per-file errors never stop the run. An error thrown by the
 * pipeline (the database is gone, the disk is full: `DISK_FULL`) stops it: no new file starts, the files in flight
 * finish, and the error is thrown (every unfinished file is still in the inbox, its claim released).
 */
export async function processFiles(
  pipeline: Pipeline,
  files: string[],
  options: ProcessPathsOptions,
): Promise<RunSummary> {
  const lanes = new WorkLanes({
    concurrency: options.concurrency,
    ...(options.slowAfterMs !== undefined ? { slowAfterMs: options.slowAfterMs } : {}),
  });
  const latest = new Map<string, ProcessOutcome>();
  const maxWait = options.maxRetryWaitMs ?? 300_000;
  let stopError: unknown;
  let pending = files;
  let earlyRounds = 0;
  for (let round = 0; pending.length > 0; round++) {
    const results = await Promise.all(
      pending.map((file) =>
        lanes.run(async () => {
          if (options.signal?.aborted || stopError !== undefined) return undefined;
          try {
            const outcome = await pipeline.processFile(file, options.signal);
            latest.set(file, outcome);
            options.onOutcome?.(outcome, latest.size, files.length);
            return outcome;
          } catch (error) {
            stopError ??= error;
            lanes.clear();
            return undefined;
          }
        }),
      ),
    );
    if (stopError !== undefined) throw stopError;
    // Held files (a twin of the same content was in flight, here or in another process) are tried again at once;
    // upstream deferrals once their retryAt has come.
    const again = results.filter(
      (o): o is ProcessOutcome =>
        o !== undefined && ((maxWait > 0 && isUpstreamDeferral(o)) || (o.kind === 'skipped' && o.reason === 'held')),
    );
    if (again.length === 0 || options.signal?.aborted) break;
    if (round > 0 && again.length === pending.length) {
      // A retry round that moved nothing forward means the upstream is still down (or the holder still busy): leave
      // the rest for the next run. Unless no call reached the upstream at all (every one refused by a breaker that
      // had not let its probe through yet: the round came a little early), which proves nothing — a few times.
      const early = again.every((o) => o.kind === 'retry_later' && o.error.code === 'CIRCUIT_OPEN');
      if (!early || ++earlyRounds > MAX_EARLY_ROUNDS) break;
    } else {
      earlyRounds = 0;
    }
    const times = again.flatMap((o) => (o.kind === 'retry_later' ? [Date.parse(o.retryAt)] : []));
    const soonest = times.length > 0 ? Math.min(...times) : Date.now();
    await delay(Math.min(maxWait, Math.max(0, soonest - Date.now())), options.signal);
    if (options.signal?.aborted) break;
    pending = again.map((o) => o.path);
  }
  return summarize(files.flatMap((f) => latest.get(f) ?? []));
}
