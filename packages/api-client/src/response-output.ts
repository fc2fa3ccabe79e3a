import type { TokenUsage } from '@autod/core';

/** The parts of a Responses API response object we read (SDK type or a Batch API line body). */
export interface ResponseLike {
  id?: string;
  status?: string | null;
  incomplete_details?: { reason?: string | null } | null;
  output?: readonly unknown[] | null;
  usage?: UsageLike | null;
  model?: string;
}

/** Responses API usage (`input_tokens` etc.); Chat-style names are accepted as a fallback. */
export interface UsageLike {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  input_tokens_details?: { cached_tokens?: number | null } | null;
  output_tokens_details?: { reasoning_tokens?: number | null } | null;
  prompt_tokens?: number;
  completion_tokens?: number;
}

/** `TokenUsage` from a Responses API `usage` block (zeros when absent). */
export function usageFromResponses(usage: UsageLike | null | undefined): TokenUsage {
  const input = usage?.input_tokens ?? usage?.prompt_tokens ?? 0;
  const output = usage?.output_tokens ?? usage?.completion_tokens ?? 0;
  return {
    inputTokens: input,
    cachedInputTokens: usage?.input_tokens_details?.cached_tokens ?? 0,
    outputTokens: output,
    reasoningTokens: usage?.output_tokens_details?.reasoning_tokens ?? 0,
    totalTokens: usage?.total_tokens ?? input + output,
  };
}

/**
 * The answer text of a response: every `output_text` part of the `message` items, joined
 * (reasoning items are skipped). `problem` says why there is no usable answer: a refusal, an
 * incomplete response (e.g. `max_output_tokens`) or no text at all.
 */
export function extractOutput(response: ResponseLike): { text: string; problem?: string } {
  const texts: string[] = [];
  let refusal: string | undefined;
  for (const item of response.output ?? []) {
    if (typeof item !== 'object' || item === null) continue;
    const msg = item as { type?: string; content?: unknown };
    if (msg.type !== 'message' || !Array.isArray(msg.content)) continue;
    for (const part of msg.content as { type?: string; text?: unknown; refusal?: unknown }[]) {
      if (part.type === 'output_text' && typeof part.text === 'string') texts.push(part.text);
      else if (part.type === 'refusal' && typeof part.refusal === 'string') refusal = part.refusal;
    }
  }
  const text = texts.join('');
  if (response.status === 'incomplete') {
    return {
      text,
      problem: `the answer is incomplete (${response.incomplete_details?.reason ?? 'unknown reason'}); answer more briefly`,
    };
  }
  if (!text && refusal !== undefined) return { text, problem: `the model refused: ${refusal}` };
  if (!text) return { text, problem: 'the response contains no output text' };
  return { text };
}
