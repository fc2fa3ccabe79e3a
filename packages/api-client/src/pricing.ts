import { ConfigError } from '@autod/errors';
import type { TokenUsage } from '@autod/core';

/** Prices of one model in USD per 1M tokens. */
export interface ModelPrice {
  /** Uncached input tokens. */
  input: number;
  /** Input tokens served from the prompt cache. */
  cachedInput: number;
  /** Output tokens (reasoning tokens included: they are billed as output). */
  output: number;
}

/** Model name -> USD per 1M tokens. */
export type PricingTable = Record<string, ModelPrice>;

/**
 * Public list prices (standard tier, USD per 1M tokens) as published on OpenAI's pricing page
 * (checked November 2026 through third-party copies of that page; verify before billing and
 * override with `pricing` in the options when they change). The Batch API bills half of these.
 */
export const DEFAULT_PRICING: Readonly<PricingTable> = Object.freeze({
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10.0 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2.0 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-4.1': { input: 2.0, cachedInput: 0.5, output: 8.0 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10.0 },
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
  // Embeddings have no cached or output tokens: only `input` matters.
  'text-embedding-3-small': { input: 0.02, cachedInput: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, cachedInput: 0.13, output: 0 },
});

/** Batch API discount (half price on input, cached input and output). */
export const BATCH_DISCOUNT = 0.5;

/**
 * The price of `model`: exact name, then a dated snapshot (`gpt-4o-2024-08-06` -> `gpt-4o`),
 * then the longest table key that prefixes the name (`gpt-5-mini-foo` -> `gpt-5-mini`).
 * A model of no known family throws `ConfigError('CFG_INVALID')`: silently pricing an unknown
 * model at some default would make budgets lie.
 */
export function resolveModelPrice(model: string, pricing: Readonly<PricingTable> = DEFAULT_PRICING): ModelPrice {
  const exact = pricing[model];
  if (exact) return exact;
  const undated = model.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  const byDate = pricing[undated];
  if (byDate) return byDate;
  let best: string | undefined;
  for (const key of Object.keys(pricing)) {
    if (undated.startsWith(`${key}-`) && (best === undefined || key.length > best.length)) best = key;
  }
  if (best !== undefined) return pricing[best] as ModelPrice;
  throw new ConfigError(
    'CFG_INVALID',
    `No price is known for model "${model}". Add it to the pricing table (ApiClientOptions.pricing / AUTOD_PRICING) as { input, cachedInput, output } in USD per 1M tokens.`,
    {
      details: { model, knownModels: Object.keys(pricing) },
    },
  );
}

/** Merge `overrides` over `DEFAULT_PRICING` (per model, whole entries). */
export function mergePricing(overrides?: PricingTable): PricingTable {
  return { ...DEFAULT_PRICING, ...overrides };
}

/**
 * Dollar cost of `usage` on `model`: uncached input x input price + cached input x cached price +
 * output x output price, per 1M tokens; halved for the Batch API. `usage.inputTokens` includes the
 * cached tokens (Responses API convention).
 */
export function priceUsage(
  usage: TokenUsage,
  model: string,
  opts: { batch?: boolean; pricing?: PricingTable } = {},
): number {
  const price = resolveModelPrice(model, opts.pricing ? mergePricing(opts.pricing) : DEFAULT_PRICING);
  const cached = Math.min(Math.max(usage.cachedInputTokens, 0), Math.max(usage.inputTokens, 0));
  const uncached = Math.max(usage.inputTokens - cached, 0);
  const dollars =
    (uncached * price.input + cached * price.cachedInput + Math.max(usage.outputTokens, 0) * price.output) / 1_000_000;
  return opts.batch ? dollars * BATCH_DISCOUNT : dollars;
}
