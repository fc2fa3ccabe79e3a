import { describe, expect, it } from 'vitest';
import { ZERO_USAGE, addUsage, type TokenUsage } from './index.js';

describe('addUsage', () => {
  it('adds field by field without mutating', () => {
    const a: TokenUsage = {
      inputTokens: 10,
      cachedInputTokens: 4,
      outputTokens: 7,
      reasoningTokens: 2,
      totalTokens: 17,
    };
    const b: TokenUsage = { inputTokens: 1, cachedInputTokens: 0, outputTokens: 3, reasoningTokens: 1, totalTokens: 4 };
    expect(addUsage(a, b)).toEqual({
      inputTokens: 11,
      cachedInputTokens: 4,
      outputTokens: 10,
      reasoningTokens: 3,
      totalTokens: 21,
    });
    expect(a.inputTokens).toBe(10);
    expect(addUsage(ZERO_USAGE, a)).toEqual(a);
    expect(Object.isFrozen(ZERO_USAGE)).toBe(true);
  });
});
