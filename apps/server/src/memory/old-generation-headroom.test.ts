import { describe, expect, it, vi } from 'vitest';
import { giveOldGenerationHeadroom } from './old-generation-headroom.js';

describe('giveOldGenerationHeadroom', () => {
  it('leaves a heap the operator sized alone', () => {
    const setFlags = vi.fn();
    for (const given of [
      { execArgv: ['--heap-growing-percent=50'] },
      { execArgv: ['--max-semi-space-size=32'] },
      { execArgv: ['--min_semi_space_size=4'] },
      { execArgv: [], nodeOptions: '--enable-source-maps --semi-space-growth-factor=4' },
    ]) {
      expect(giveOldGenerationHeadroom({ ...given, setFlags })).toEqual({
        set: false,
        reason: 'the heap is sized by the Node flags given',
      });
    }
    expect(setFlags).not.toHaveBeenCalled();
  });

  it('sets the heap growing percentage otherwise (other flags do not count)', () => {
    const setFlags = vi.fn();
    const result = giveOldGenerationHeadroom({
      execArgv: ['--max-old-space-size=512'],
      nodeOptions: '--enable-source-maps',
      setFlags,
    });
    expect(setFlags).toHaveBeenCalledWith('--heap-growing-percent=300');
    expect(result).toEqual({ set: true, flag: '--heap-growing-percent=300' });
  });
});
