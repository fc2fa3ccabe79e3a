import { expect, it } from 'vitest';
import { StartPacer } from './start-pacer.js';

it('lets the first burst through, then spaces starts by mean item time / concurrency / headroom', () => {
  let now = 0;
  const pacer = new StartPacer({ concurrency: 32, headroom: 1.25, now: () => now });
  for (let i = 0; i < 32; i++) {
    expect(pacer.delayMs()).toBe(0);
    pacer.started();
  }
  now = 200;
  pacer.observe(200);
  expect(pacer.spacingMs).toBe(5); // 200 / 32 / 1.25
  // A burst of completions: starts go out 5 ms apart (with one spacing of tolerance).
  const starts: number[] = [];
  while (starts.length < 6) {
    const wait = pacer.delayMs();
    if (wait > 0) now += wait;
    starts.push(now);
    pacer.started();
  }
  expect(starts).toEqual([200, 200, 205, 210, 215, 220]);
});

it('makes up for a late timer instead of losing rate', () => {
  let now = 0;
  const pacer = new StartPacer({ concurrency: 10, headroom: 1, now: () => now });
  pacer.observe(100); // spacing 10 ms
  pacer.started(); // tat 10
  pacer.started(); // tat 20: the next start is due at 10
  expect(pacer.delayMs()).toBe(10);
  now = 13; // the timer fired 3 ms late
  pacer.started(); // tat 30
  expect(pacer.delayMs()).toBe(7); // due at 20, not at 23
});

it('follows the item time with a moving average and caps the spacing', () => {
  const pacer = new StartPacer({ concurrency: 4, headroom: 1.25, maxSpacingMs: 25, now: () => 0 });
  expect(pacer.spacingMs).toBe(0);
  pacer.observe(40);
  expect(pacer.spacingMs).toBe(8);
  pacer.observe(140); // 40 + 0.2 × 100
  expect(pacer.spacingMs).toBe(12);
  pacer.observe(10_000); // slow items: spacing capped
  expect(pacer.spacingMs).toBe(25);
  pacer.observe(Number.NaN);
  expect(pacer.spacingMs).toBe(25);
});

it('never waits at concurrency 1 once the previous item has finished', () => {
  let now = 0;
  const pacer = new StartPacer({ concurrency: 1, now: () => now });
  pacer.started();
  now = 200;
  pacer.observe(200);
  expect(pacer.delayMs()).toBe(0);
});
