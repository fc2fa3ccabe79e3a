/** Test-only: a manual clock whose `sleep` advances time instantly (never exported). */
export interface FakeTime {
  clock: { now(): number };
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Every wait requested, in order. */
  sleeps: number[];
  advance(ms: number): void;
}

export function fakeTime(start = 1_700_000_000_000): FakeTime {
  let now = start;
  const sleeps: number[] = [];
  return {
    clock: { now: () => now },
    sleeps,
    advance(ms) {
      now += ms;
    },
    async sleep(ms, signal) {
      if (signal?.aborted) throw new Error('aborted while sleeping');
      sleeps.push(ms);
      now += ms;
    },
  };
}
