import { normal, type Rng } from './rng.js';
import type { LatencySpec } from './types.js';

/** Draws one latency (ms, ≥ 0) from a spec. */
export function drawLatency(spec: LatencySpec | undefined, rng: Rng): number {
  if (spec === undefined) return 0;
  if (typeof spec === 'number') return Math.max(0, spec);
  const { distribution } = spec;
  if (distribution === 'fixed') return Math.max(0, spec.mean ?? spec.min ?? 0);
  if (distribution === 'uniform') {
    const min = spec.min ?? 0;
    const max = spec.max ?? min;
    return Math.max(0, min + rng() * (max - min));
  }
  const mean = spec.mean ?? 0;
  const value = mean + normal(rng) * (spec.stdDev ?? mean / 4);
  const clamped = Math.min(spec.max ?? Number.POSITIVE_INFINITY, Math.max(spec.min ?? 0, value));
  return Math.max(0, clamped);
}
