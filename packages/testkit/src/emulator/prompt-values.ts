import { LruCache } from '@autod/core';

const NOT_JSON = Symbol('not-json');
/** Parsed `- key: value` literals by their source text (lines repeat across prompts; a failed parse throws, which is slow). */
const literals = new LruCache<unknown>({ maxEntries: 1024 });

/** JSON.parse of a literal, or NOT_JSON. Objects and arrays are parsed afresh so that callers may own the value. */
function parseLiteral(src: string): unknown {
  const hit = literals.get(src);
  if (hit === NOT_JSON) return NOT_JSON;
  if (hit !== undefined && (hit === null || typeof hit !== 'object')) return hit;
  // A JSON text (after JSON whitespace) starts with one of these; anything else cannot parse.
  const first = /^[ \t\n\r]*(.)/.exec(src)?.[1] ?? '';
  if (!/["{[\-0-9tfn]/.test(first)) {
    literals.set(src, NOT_JSON);
    return NOT_JSON;
  }
  try {
    const value: unknown = JSON.parse(src);
    literals.set(src, value);
    return value;
  } catch {
    literals.set(src, NOT_JSON);
    return NOT_JSON;
  }
}

/**
 * Values the default output can echo: `- key: <JSON literal>` lines of the prompt (`processed_at` also fills
 * `processed_date`) and the PDF page count.
 */
export function knownValues(prompt: string, pageCount: number): Record<string, unknown> {
  const known: Record<string, unknown> = {};
  for (const m of prompt.matchAll(/^\s*-\s*([a-z_]+):\s*(.+)$/gm)) {
    const key = m[1] ?? '';
    const value = parseLiteral(m[2] ?? '');
    if (value !== NOT_JSON) known[key] = value;
  }
  if (typeof known.processed_at === 'string' && known.processed_date === undefined)
    known.processed_date = known.processed_at;
  if (pageCount > 0) known.page_count = pageCount;
  return known;
}
