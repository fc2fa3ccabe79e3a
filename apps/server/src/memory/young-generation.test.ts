import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it, vi } from 'vitest';
import { keepYoungGenerationSmall } from './young-generation.js';

const youngMb = (): number =>
  (getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0) / 1048576;

describe('keepYoungGenerationSmall', () => {
  it('leaves a young generation the operator sized alone', () => {
    const setFlags = vi.fn();
    const collect = vi.fn();
    for (const given of [
      { execArgv: ['--max-semi-space-size=32'] },
      { execArgv: ['--min_semi_space_size=4'] },
      { execArgv: [], nodeOptions: '--enable-source-maps --semi-space-growth-factor=4' },
    ]) {
      const result = keepYoungGenerationSmall({ ...given, setFlags, collect });
      expect(result).toEqual({ kept: false, reason: 'the young generation is sized by the Node flags given' });
    }
    expect(setFlags).not.toHaveBeenCalled();
    expect(collect).not.toHaveBeenCalled();
  });

  it('stops V8 from growing the young generation and shrinks it once', () => {
    const setFlags = vi.fn();
    const collect = vi.fn();
    let young = 64;
    const result = keepYoungGenerationSmall({
      execArgv: ['--max-old-space-size=512'],
      nodeOptions: '',
      setFlags,
      collect: () => {
        collect();
        young = 1;
      },
      youngBytes: () => young * 1048576,
    });
    expect(setFlags).toHaveBeenCalledWith('--semi-space-growth-factor=1');
    expect(collect).toHaveBeenCalledTimes(1);
    expect(result).toEqual({ kept: true, youngBeforeBytes: 64 * 1048576, youngAfterBytes: 1048576 });
  });

  it('keeps this process young generation small under an allocation load that grows it to its maximum', () => {
    const result = keepYoungGenerationSmall({ execArgv: [], nodeOptions: '' });
    expect(result.kept).toBe(true);
    // Short-lived objects with some survivors: without the setting V8 grows the young generation to 64 MiB here.
    let window: { i: number; s: string }[] = [];
    for (let i = 0; i < 2_000_000; i++) {
      window.push({ i, s: `x${i}` });
      if (window.length > 50_000) window = window.slice(25_000);
    }
    expect(window.length).toBeGreaterThan(0);
    expect(youngMb()).toBeLessThanOrEqual(8);
  });
});
