import type { Config } from '@autod/config';
import { DEFAULT_PRICING, findModelPrice, type PricingTable } from '@autod/api-client';
import { ConfigError } from '@autod/errors';

/**
 * The prices autod uses, highest priority first: PROMPT_/COMPLETION_/CACHED_TOKEN_PRICE_PER_MILLION for OPENAI_MODEL,
 * the entries of AUTOD_PRICING_FILE, then the built-in table of `@autod/api-client`.
 */
export function pricingFromConfig(config: Config): PricingTable {
  const table: PricingTable = { ...DEFAULT_PRICING };
  for (const [model, price] of Object.entries(config.cost.pricingTable ?? {})) table[model] = { ...price };
  const {
    promptPricePerMillion: input,
    completionPricePerMillion: output,
    cachedPricePerMillion: cached,
  } = config.cost;
  if (input === undefined && output === undefined && cached === undefined) return table;
  const model = config.openai.model;
  const base = findModelPrice(model, table);
  const price = {
    input: input ?? base?.input,
    output: output ?? base?.output,
    cachedInput: cached ?? base?.cachedInput ?? input,
  };
  if (price.input === undefined || price.output === undefined || price.cachedInput === undefined) {
    const missing = [
      price.input === undefined ? 'PROMPT_TOKEN_PRICE_PER_MILLION' : undefined,
      price.output === undefined ? 'COMPLETION_TOKEN_PRICE_PER_MILLION' : undefined,
    ].filter((x): x is string => x !== undefined);
    throw new ConfigError(
      'CFG_INVALID',
      `Invalid configuration: OPENAI_MODEL "${model}" has no price in the table, so a partial price override cannot complete it: set ${missing.join(' and ')} too (or add the model to AUTOD_PRICING_FILE).`,
      { details: { model, missing } },
    );
  }
  table[model] = { input: price.input, cachedInput: price.cachedInput, output: price.output };
  return table;
}
