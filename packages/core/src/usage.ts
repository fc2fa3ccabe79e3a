/** Token usage of one or more model calls (Responses API names, reasoning tokens included). */
export interface TokenUsage {
  /** All input tokens, cached ones included. */
  inputTokens: number;
  /** Input tokens served from the prompt cache (`input_tokens_details.cached_tokens`). */
  cachedInputTokens: number;
  /** All output tokens, reasoning included. */
  outputTokens: number;
  /** Reasoning tokens (`output_tokens_details.reasoning_tokens`), a part of `outputTokens`. */
  reasoningTokens: number;
  totalTokens: number;
}

export const ZERO_USAGE: TokenUsage = Object.freeze({
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  totalTokens: 0,
});

/** Field-wise sum of two usages (new object). */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
}
