import { createRequire } from 'node:module';
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';
import { mergePricing, priceUsage, type PricingTable } from './pricing.js';

const requireRanks = createRequire(import.meta.url);
let encoder: Tiktoken | undefined;

/**
 * The ranks (a 2.3 MB module: ~25 ms of CPU and ~5 MB of heap to load) and the encoder built from them (tens of ms)
 * are loaded on first use only — not by every process that imports this package (the CLI, the server) and never
 * counts tokens.
 */
function o200k(): Tiktoken {
  encoder ??= new Tiktoken(requireRanks('js-tiktoken/ranks/o200k_base') as TiktokenBPE);
  return encoder;
}

/**
 * Tokens of `text` with `o200k_base`, the encoding of every current OpenAI chat model
 * (gpt-5*, gpt-4.1*, gpt-4o*, o-series). `model` is accepted for forward compatibility.
 */
export function estimateTextTokens(text: string, _model?: string): number {
  if (text.length === 0) return 0;
  return o200k().encode(text).length;
}

/**
 * Per-page rule for PDF inputs. OpenAI documents that for each page of a PDF the model receives
 * both the extracted text and an image of the page. The image of a letter/A4 page at high detail
 * is scaled to 768 x ~1000 px = 4 tiles of 170 tokens + 85 base = 765 tokens.
 */
export const PDF_IMAGE_TOKENS_PER_PAGE = 765;
/** Text tokens assumed for a page whose text length is unknown (~2,000 characters of prose). */
export const PDF_DEFAULT_TEXT_TOKENS_PER_PAGE = 500;
/** Rough characters per token for text we have not tokenised (English prose with o200k). */
export const CHARS_PER_TOKEN = 4;
/** Output tokens an extraction answer typically takes (the metadata JSON, reasoning excluded). */
export const EXTRACTION_OUTPUT_TOKENS = 1_200;
/** Tokens of the fixed system + developer prompt and the JSON schema, measured once on the v1 schema. */
export const EXTRACTION_PROMPT_TOKENS = 3_000;

/**
 * Input tokens a PDF of `pageCount` pages adds to a request: one page image each plus the text
 * layer (`textChars / 4` when known, else 500 per page).
 */
export function estimatePdfTokens(pageCount: number, opts: { textChars?: number } = {}): number {
  const pages = Math.max(1, Math.ceil(pageCount));
  const text =
    opts.textChars !== undefined
      ? Math.ceil(Math.max(opts.textChars, 0) / CHARS_PER_TOKEN)
      : pages * PDF_DEFAULT_TEXT_TOKENS_PER_PAGE;
  return pages * PDF_IMAGE_TOKENS_PER_PAGE + text;
}

/** Estimated tokens and dollar cost of extracting one PDF, so a run can be priced before it starts. */
export function estimateExtractionCost(input: {
  pageCount: number;
  textChars?: number;
  model: string;
  batch?: boolean;
  pricing?: PricingTable;
}): { inputTokens: number; outputTokens: number; costUsd: number } {
  const inputTokens =
    EXTRACTION_PROMPT_TOKENS +
    estimatePdfTokens(input.pageCount, input.textChars === undefined ? {} : { textChars: input.textChars });
  const outputTokens = EXTRACTION_OUTPUT_TOKENS;
  const costUsd = priceUsage(
    { inputTokens, cachedInputTokens: 0, outputTokens, reasoningTokens: 0, totalTokens: inputTokens + outputTokens },
    input.model,
    { batch: input.batch ?? false, pricing: mergePricing(input.pricing) },
  );
  return { inputTokens, outputTokens, costUsd };
}

/**
 * Page count of a PDF without parsing it: counts `/Type /Page` objects (not `/Pages`). Good
 * enough for rate-limit and cost estimates; falls back to 1.
 */
export function countPdfPages(pdf: Uint8Array): number {
  const text = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).toString('latin1');
  const matches = text.match(/\/Type\s*\/Page(?![a-zA-Z])/g);
  return Math.max(1, matches?.length ?? 0);
}
