import { ZERO_USAGE, type TokenUsage } from '@autod/core';
import { costAt, findModelPrice, mergePricing, type ModelPrice, type PricingTable } from './pricing.js';
import { EXTRACTION_OUTPUT_TOKENS } from './tokens.js';
import type { Warnings } from './warnings.js';

export interface PricerOptions {
  /** Prices merged over `DEFAULT_PRICING`. */
  pricing?: PricingTable | undefined;
  /** `max_output_tokens` of extractions: the output estimate never exceeds it. */
  maxOutputTokens?: number | undefined;
  warnings: Warnings;
}

/** What the client's calls cost: a model with no price is one warning and $0, never a guessed price. */
export class Pricer {
  readonly #pricing: PricingTable;
  readonly #maxOutputTokens: number | undefined;
  readonly #warnings: Warnings;

  constructor(options: PricerOptions) {
    this.#pricing = mergePricing(options.pricing);
    this.#maxOutputTokens = options.maxOutputTokens;
    this.#warnings = options.warnings;
  }

  /** The price of `model` (undefined when unknown). */
  priceFor(model: string): ModelPrice | undefined {
    return findModelPrice(model, this.#pricing);
  }

  /** The price of `model`, warning once when it has none. */
  priceOf(model: string): ModelPrice | undefined {
    const price = this.priceFor(model);
    if (!price)
      this.#warnings.once(
        `price:${model}`,
        `No price is known for model "${model}": its calls are recorded at $0. Add its price with AUTOD_PRICING_FILE or PROMPT_TOKEN_PRICE_PER_MILLION / COMPLETION_TOKEN_PRICE_PER_MILLION.`,
        { model },
      );
    return price;
  }

  /** Dollars of `usage` on `model`; $0 (with one warning) for a model with no price. */
  price(usage: TokenUsage, model: string | undefined, { batch = false }: { batch?: boolean } = {}): number {
    if (!model) return 0;
    const price = this.priceOf(model);
    return price ? costAt(usage, price, { batch }) : 0;
  }

  /**
   * What a call is expected to cost: `inputTokens` in and, by default, the usual extraction answer out (as
   * `estimateExtractionCost` and `autod estimate` count it; MAX_OUTPUT_TOKENS only when it is lower). A budget cap
   * therefore holds to within what the calls in flight overrun their estimates.
   */
  estimate(
    model: string,
    inputTokens: number,
    {
      outputTokens = Math.min(this.#maxOutputTokens ?? EXTRACTION_OUTPUT_TOKENS, EXTRACTION_OUTPUT_TOKENS),
      batch = false,
    }: { outputTokens?: number; batch?: boolean } = {},
  ): number {
    return this.price({ ...ZERO_USAGE, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens }, model, {
      batch,
    });
  }
}
