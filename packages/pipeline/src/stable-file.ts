import { stat } from 'node:fs/promises';
import { setTimeout as wait } from 'node:timers/promises';

export interface StableFileOptions {
  /** Poll interval between size checks (ms). */
  intervalMs: number;
  /** Number of consecutive identical (size, mtime) readings that count as stable. */
  stableReads: number;
  /** Give up waiting after this long and treat the file as stable (a scanner that never stops is not our problem). */
  maxWaitMs: number;
}

export const DEFAULT_STABLE_FILE_OPTIONS: StableFileOptions = { intervalMs: 200, stableReads: 2, maxWaitMs: 10_000 };

/**
 * Wait until a file stops changing (a scanner or copy may still be writing it).
 * Returns false when the file vanished while we waited (or `signal` was aborted).
 */
export async function waitForStableFile(
  path: string,
  options: StableFileOptions = DEFAULT_STABLE_FILE_OPTIONS,
  sleep: (ms: number) => Promise<void> = (ms) => wait(ms),
  signal?: AbortSignal,
): Promise<boolean> {
  const started = Date.now();
  let last = '';
  let same = 0;
  for (;;) {
    if (signal?.aborted) return false;
    let sig: string;
    try {
      const s = await stat(path);
      if (!s.isFile()) return false;
      sig = `${s.size}:${s.mtimeMs}`;
    } catch {
      return false;
    }
    same = sig === last ? same + 1 : 0;
    last = sig;
    if (same >= options.stableReads - 1 && same > 0) return true;
    if (options.stableReads <= 1) return true;
    if (Date.now() - started >= options.maxWaitMs) return true;
    await sleep(options.intervalMs);
  }
}
