import { TimeoutError } from './autod-error.js';

/** setTimeout overflows above 2^31-1 ms (it then fires after 1 ms), so longer waits are capped. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Wait `ms` milliseconds. Rejects with `TimeoutError('ABORTED')` (cause: the
 * signal's reason) as soon as `signal` aborts, or at once if it already has.
 * Negative or non-finite durations wait 0 ms.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal));
      return;
    }
    const wait = Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_TIMER_MS) : 0;
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, wait);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error a cancelled wait or retry loop ends with. */
export function abortedError(signal: AbortSignal | undefined, details?: Record<string, unknown>): TimeoutError {
  return new TimeoutError('ABORTED', 'The operation was cancelled before it finished.', {
    cause: signal?.reason,
    ...(details ? { details } : {}),
  });
}
