/**
 * A snippet of `text` (at most `maxChars`, cut at word boundaries, `…` where cut) around the first occurrence of one
 * of `terms`, with every occurrence of a term — and of words starting with one — in [brackets]: the style of the
 * database's full-text snippets. Terms shorter than 2 characters are ignored; matching is case-insensitive.
 */
export function highlightTerms(text: string, terms: readonly string[], maxChars = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const unique = [...new Set(terms)].filter((t) => t.length >= 2);
  if (unique.length === 0) return clip(flat, 0, maxChars);
  const escaped = unique.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).sort((a, b) => b.length - a.length);
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
