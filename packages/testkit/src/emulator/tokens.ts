/**
 * Token accounting of the emulator (documented in the README):
 * - text: ceil(chars / 4) tokens;
 * - each PDF page: PDF_PAGE_TOKENS (the page image) plus the page's text at chars / 4;
 * - prompt caching: the serialised prompt (instructions, then each message's role and parts; files as a content hash)
 *   is compared with earlier prompts of the same model. A shared prefix of ≥ 1024 tokens is cached in 128-token steps.
 */
export const CHARS_PER_TOKEN = 4;
export const PDF_PAGE_TOKENS = 765;
export const CACHE_MIN_TOKENS = 1024;
export const CACHE_STEP_TOKENS = 128;
const HISTORY = 64;

export function textTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function pdfTokens(pageCount: number, text: string): number {
  return Math.max(1, pageCount) * PDF_PAGE_TOKENS + textTokens(text);
}

/** Length of the common prefix of `a` and `b`: equal blocks are skipped with native string comparison first. */
export function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  for (const block of [4096, 256, 16]) {
    while (i + block <= n && a.slice(i, i + block) === b.slice(i, i + block)) i += block;
  }
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Remembers recent prompts per model and answers how many tokens of a new prompt would be cached. */
export class PromptCache {
  private readonly byModel = new Map<string, string[]>();

  cachedTokens(model: string, prompt: string, inputTokens: number): number {
    const history = this.byModel.get(model) ?? [];
    let best = 0;
    for (const prev of history) {
      if (best === prompt.length) break; // nothing can share more than the whole prompt
      best = Math.max(best, commonPrefix(prev, prompt));
    }
    history.push(prompt);
    if (history.length > HISTORY) history.shift();
    this.byModel.set(model, history);
    const prefixTokens = Math.floor(best / CHARS_PER_TOKEN);
    if (prefixTokens < CACHE_MIN_TOKENS) return 0;
    const cached = Math.floor(prefixTokens / CACHE_STEP_TOKENS) * CACHE_STEP_TOKENS;
    return Math.min(cached, Math.floor(inputTokens / CACHE_STEP_TOKENS) * CACHE_STEP_TOKENS);
  }
}
