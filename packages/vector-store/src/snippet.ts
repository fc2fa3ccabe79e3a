import { tokenize } from './embedder.js';

/**
 * A snippet of `text` around the first query term, with every query term (and words starting
 * with one) in [brackets] — the same style as the database's full-text snippets.
 */
export function highlightSnippet(text: string, query: string, maxChars = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const terms = [...new Set(tokenize(query))].filter((t) => t.length >= 2);
  if (terms.length === 0) return clip(flat, 0, maxChars);
  const escaped = terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).sort((a, b) => b.length - a.length);
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(${escaped.join('|')})[\\p{L}\\p{N}]*`, 'giu');
  const first = re.exec(flat);
  const start = first ? Math.max(0, first.index - Math.floor(maxChars / 3)) : 0;
  const window = clip(flat, start, maxChars);
  return window.replace(re, (m) => `[${m}]`);
}

function clip(text: string, start: number, maxChars: number): string {
  let s = start;
  if (s > 0) {
    const sp = text.indexOf(' ', s);
    if (sp !== -1 && sp - s < 20) s = sp + 1;
  }
  let end = Math.min(text.length, s + maxChars);
  if (end < text.length) {
    const sp = text.lastIndexOf(' ', end);
    if (sp > s + maxChars / 2) end = sp;
  }
  return `${s > 0 ? '…' : ''}${text.slice(s, end)}${end < text.length ? '…' : ''}`;
}
