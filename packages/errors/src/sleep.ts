import { setTimeout as wait } from 'node:timers/promises';
import { TimeoutError } from './autod-error.js';

/** setTimeout overflows above 2^31-1 ms (it then fires after 1 ms), so longer waits are capped. */
const MAX_TIMER_MS = 2_147_483_647;

/** Negative or non-finite durations wait 0 ms; longer than a timer can hold waits as long as it can. */
function timerMs(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_TIMER_MS) : 0;
}

/**
 * Wait `ms` milliseconds. Rejects with `TimeoutError('ABORTED')` (cause: the
 * signal's reason) as soon as `signal` aborts, or at once if it already has.
 * Negative or non-finite durations wait 0 ms.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw abortedError(signal);
  try {
    await wait(timerMs(ms), undefined, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw abortedError(signal);
    throw error;
  }
}

/**
 * Wait `ms` milliseconds, or less when `signal` aborts; never rejects (callers check `signal.aborted`
 * afterwards). Negative or non-finite durations wait 0 ms.
 */
export async function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  await wait(timerMs(ms), undefined, signal ? { signal } : {}).catch(() => undefined);
}

/** The error a cancelled wait or retry loop ends with. */
export function abortedError(signal: AbortSignal | undefined, details?: Record<string, unknown>): TimeoutError {
  return new TimeoutError('ABORTED', 'The operation was cancelled before it finished.', {
    cause: signal?.reason,
    ...(details ? { details } : {}),
  });
}
