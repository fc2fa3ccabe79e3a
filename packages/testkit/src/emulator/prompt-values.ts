/**
 * Values the default output can echo: `- key: <JSON literal>` lines of the prompt (`processed_at` also fills
 * `processed_date`) and the PDF page count.
 */
export function knownValues(prompt: string, pageCount: number): Record<string, unknown> {
  const known: Record<string, unknown> = {};
  for (const m of prompt.matchAll(/^\s*-\s*([a-z_]+):\s*(.+)$/gm)) {
    const key = m[1] ?? '';
    try {
      known[key] = JSON.parse(m[2] ?? '');
    } catch {
      // not a JSON literal
    }
  }
  if (typeof known.processed_at === 'string' && known.processed_date === undefined)
    known.processed_date = known.processed_at;
  if (pageCount > 0) known.page_count = pageCount;
  return known;
}
