import { ConfigError } from '@autod/errors';
import type { TokenUsage } from '@autod/core';

/** Prices of one model in USD per 1M tokens. */
export interface ModelPrice {
  /** Uncached input tokens. */
  input: number;
  /** Input tokens served from the prompt cache (the input price where a model has no cache discount). */
  cachedInput: number;
  /** Output tokens (reasoning tokens included: they are billed as output). */
  output: number;
}

/** A row of the built-in table: the price, when it was last checked, and where it comes from. */
export interface PriceRow extends ModelPrice {
  /** Day the price was last checked against its source (YYYY-MM-DD). */
  checkedOn: string;
  source: string;
}

/** Model name -> USD per 1M tokens. */
export type PricingTable = Record<string, ModelPrice>;

/*
 * Sources (all standard tier, USD per 1M tokens; the list price is OpenAI's pricing page, which the stored corpus does
 * not hold, so each row was checked against maintained public copies of it):
 * - LITELLM: BerriAI/litellm `model_prices_and_context_window.json` (commit 00035b69f416…), per-token prices × 1e6.
 * - COPILOT: github/docs `data/tables/copilot/models-and-pricing.yml` (OpenAI rows, "API-equivalent" prices).
 * - TABLES: several independent pricing tables in public repositories that agree with each other (found by searching
 *   for the model's row); used where the two sources above have no row.
 * `gpt-5-pro` has no cached-input price (no prompt-cache discount), so cached tokens cost the input price.
 */
const LITELLM = 'BerriAI/litellm model_prices_and_context_window.json @00035b69';
const COPILOT = 'github/docs data/tables/copilot/models-and-pricing.yml';
const TABLES = 'public pricing tables agreeing with each other (OpenAI pricing page copies)';
const CHECKED = '2026-12-02';

const row = (input: number, cachedInput: number, output: number, source: string): PriceRow =>
  Object.freeze({ input, cachedInput, output, checkedOn: CHECKED, source });

/**
 * The built-in prices: every model of `@autod/config`'s allow-list (gpt-5, gpt-5-mini, gpt-5-nano, gpt-5-pro,
 * gpt-4.1), every embedding model it accepts, and the models `autod estimate` compares by default. The Batch API
 * bills half of these. Override with `ApiClientOptions.pricing` (AUTOD_PRICING_FILE, *_TOKEN_PRICE_PER_MILLION).
 */
export const PRICE_ROWS: Readonly<Record<string, PriceRow>> = Object.freeze({
  'gpt-5': row(1.25, 0.125, 10.0, LITELLM),
  'gpt-5-mini': row(0.25, 0.025, 2.0, COPILOT),
  'gpt-5-nano': row(0.05, 0.005, 0.4, TABLES),
  'gpt-5-pro': row(15.0, 15.0, 120.0, TABLES),
  'gpt-4.1': row(2.0, 0.5, 8.0, COPILOT),
  'gpt-4.1-mini': row(0.4, 0.1, 1.6, TABLES),
  'gpt-4.1-nano': row(0.1, 0.025, 0.4, TABLES),
  'gpt-4o': row(2.5, 1.25, 10.0, TABLES),
  'gpt-4o-mini': row(0.15, 0.075, 0.6, LITELLM),
  'o4-mini': row(1.1, 0.275, 4.4, TABLES),
  // Embeddings have no cached or output tokens: only `input` matters.
  'text-embedding-3-small': row(0.02, 0.02, 0, TABLES),
  'text-embedding-3-large': row(0.13, 0.13, 0, TABLES),
  'text-embedding-ada-002': row(0.1, 0.1, 0, TABLES),
});

/** {@link PRICE_ROWS} as plain prices. */
export const DEFAULT_PRICING: Readonly<PricingTable> = Object.freeze(
  Object.fromEntries(
    Object.entries(PRICE_ROWS).map(([model, r]) => [
      model,
      Object.freeze({ input: r.input, cachedInput: r.cachedInput, output: r.output }),
    ]),
  ),
);

/** Batch API discount (half price on input, cached input and output). */
export const BATCH_DISCOUNT = 0.5;

const SNAPSHOT = /-\d{4}-\d{2}-\d{2}$/;

/**
 * The price of `model`, or `undefined` when none is known: the exact name, else — for a dated snapshot such as
 * `gpt-5-mini-2025-08-07` — the model it is a snapshot of. No other name is guessed: `gpt-5-pro` is never priced as
 * `gpt-5`, and a name that merely starts like a known model has no price.
 */
export function findModelPrice(
  model: string,
  pricing: Readonly<PricingTable> = DEFAULT_PRICING,
): ModelPrice | undefined {
  const exact = pricing[model];
  if (exact) return exact;
  return SNAPSHOT.test(model) ? pricing[model.replace(SNAPSHOT, '')] : undefined;
}

/**
 * Like {@link findModelPrice}, but a model with no price throws `ConfigError('CFG_INVALID')`: pricing an unknown model
 * at some default would make budgets lie.
 */
export function resolveModelPrice(model: string, pricing: Readonly<PricingTable> = DEFAULT_PRICING): ModelPrice {
  const price = findModelPrice(model, pricing);
  if (price) return price;
  throw new ConfigError(
    'CFG_INVALID',
    `No price is known for model "${model}". Add it with AUTOD_PRICING_FILE ({"${model}": {"input": …, "cachedInput": …, "output": …}} in USD per 1M tokens) or PROMPT_TOKEN_PRICE_PER_MILLION and COMPLETION_TOKEN_PRICE_PER_MILLION.`,
    { details: { model, knownModels: Object.keys(pricing) } },
  );
}

/** Merge `overrides` over `DEFAULT_PRICING` (per model, whole entries). */
export function mergePricing(overrides?: PricingTable): PricingTable {
  return { ...DEFAULT_PRICING, ...overrides };
}

/** Dollar cost of `usage` at `price` (see {@link priceUsage}). */
export function costAt(usage: TokenUsage, price: ModelPrice, opts: { batch?: boolean } = {}): number {
  const cached = Math.min(Math.max(usage.cachedInputTokens, 0), Math.max(usage.inputTokens, 0));
  const uncached = Math.max(usage.inputTokens - cached, 0);
  const dollars =
    (uncached * price.input + cached * price.cachedInput + Math.max(usage.outputTokens, 0) * price.output) / 1_000_000;
  return opts.batch ? dollars * BATCH_DISCOUNT : dollars;
}

/**
 * Dollar cost of `usage` on `model`: uncached input x input price + cached input x cached price +
 * output x output price, per 1M tokens; halved for the Batch API. `usage.inputTokens` includes the
 * cached tokens (Responses API convention). A model with no price throws (see {@link resolveModelPrice}).
 */
export function priceUsage(
  usage: TokenUsage,
  model: string,
  opts: { batch?: boolean; pricing?: PricingTable } = {},
): number {
  const price = resolveModelPrice(model, opts.pricing ? mergePricing(opts.pricing) : DEFAULT_PRICING);
  return costAt(usage, price, opts);
}
