export { ApiClient } from './api-client.js';
export { RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
export { UpstreamBreaker, type BreakerOptions, type BreakerState } from './breaker.js';
export { mapOpenAIError, redactSecrets } from './map-openai-error.js';
export { loadOpenAI } from './sdk.js';
export {
  BATCH_DISCOUNT,
  DEFAULT_PRICING,
  PRICE_ROWS,
  costAt,
  findModelPrice,
  mergePricing,
  priceUsage,
  resolveModelPrice,
  type ModelPrice,
  type PriceRow,
  type PricingTable,
} from './pricing.js';
export {
  modelParams,
  requestParams,
  type ModelParams,
  type ReasoningEffort,
  type RequestParams,
  type Verbosity,
} from './model-params.js';
export {
  CHARS_PER_TOKEN,
  EXTRACTION_OUTPUT_TOKENS,
  EXTRACTION_PROMPT_TOKENS,
  PDF_DEFAULT_TEXT_TOKENS_PER_PAGE,
  PDF_IMAGE_TOKENS_PER_PAGE,
  countPdfPages,
  estimateExtractionCost,
  estimatePdfTokens,
  estimateTextTokens,
} from './tokens.js';
export { extractOutput, usageFromResponses } from './response-output.js';
export { repairPrompt, validateAnswer } from './validate-answer.js';
export type {
  ApiClientOptions,
  ApiEvent,
  CallBill,
  CallMeter,
  MeteredCall,
  MeterTicket,
  BatchItemResult,
  BatchRequestItem,
  BatchStatus,
  ExtractionInput,
  ExtractionRequestInput,
  ExtractionResult,
  VectorStoreSearchHit,
} from './types.js';
