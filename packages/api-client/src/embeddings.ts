import type OpenAI from 'openai';
import { ZERO_USAGE, addUsage, type TokenUsage } from '@autod/core';
import type { Pricer } from './pricer.js';
import { CHARS_PER_TOKEN } from './tokens.js';
import type { Call } from './transport.js';

/** Options of one `embed` call. */
export interface EmbedOptions {
  model?: string;
  dimensions?: number;
  /** Texts per call (default 100, at most 2048). */
  batchSize?: number;
  signal?: AbortSignal;
}

/** Embeds texts in batches, keeping input order. */
export type Embedder = (
  texts: string[],
  opts?: EmbedOptions,
) => Promise<{ vectors: number[][]; usage: TokenUsage; costUsd: number }>;

function toUsage(r: OpenAI.CreateEmbeddingResponse): TokenUsage {
  return { ...ZERO_USAGE, inputTokens: r.usage.prompt_tokens, totalTokens: r.usage.total_tokens };
}

/** Embeddings: one paid call per batch of texts, priced at the embedding model's input price. */
export function createEmbedder({
  call,
  pricer,
  model: defaultModel,
}: {
  call: Call;
  pricer: Pricer;
  /** Model of a call that names none. */
  model: string;
}): Embedder {
  return async (texts, opts = {}) => {
    const model = opts.model ?? defaultModel;
    const size = Math.max(1, Math.min(opts.batchSize ?? 100, 2048));
    const vectors: number[][] = [];
    let usage: TokenUsage = ZERO_USAGE;
    for (let i = 0; i < texts.length; i += size) {
      const chunk = texts.slice(i, i + size);
      // chars/4 is plenty for a TPM reservation; building the tiktoken encoder costs ~2 s once.
      const tokens = chunk.reduce((sum, t) => sum + Math.ceil(t.length / CHARS_PER_TOKEN), 0);
      const { data } = await call<OpenAI.CreateEmbeddingResponse>(
        {
          operation: 'embeddings.create',
          model,
          tokens,
          signal: opts.signal,
          usage: toUsage,
          paid: { estimatedUsd: pricer.estimate(model, tokens, { outputTokens: 0 }) },
        },
        (s, sdk) =>
          sdk.embeddings.create(
            {
              model,
              input: chunk,
              encoding_format: 'float',
              ...(opts.dimensions ? { dimensions: opts.dimensions } : {}),
            },
            s ? { signal: s } : {},
          ),
      );
      const ordered = [...data.data].sort((a, b) => a.index - b.index);
      for (const item of ordered) vectors.push(item.embedding);
      usage = addUsage(usage, toUsage(data));
    }
    return { vectors, usage, costUsd: pricer.price(usage, model) };
  };
}
