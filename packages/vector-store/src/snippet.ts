import { highlightTerms } from '@autod/core';
import { tokenize } from './embedder.js';

/**
 * A snippet of `text` around the first query term, with every query term (and words starting
 * with one) in [brackets] — the same style as the database's full-text snippets.
 */
export function highlightSnippet(text: string, query: string, maxChars = 200): string {
  return highlightTerms(text, tokenize(query), maxChars);
}
