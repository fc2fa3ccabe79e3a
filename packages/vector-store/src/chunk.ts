/** One piece of a document's text that gets its own embedding. */
export interface TextChunk {
  /** 0-based position in the document. */
  index: number;
  /** 1-based page the chunk comes from. */
  page: number;
  text: string;
}

export interface ChunkOptions {
  /** Target chunk size in characters (default 1200, ~300 tokens). */
  maxChars?: number;
  /** Characters repeated from the end of the previous chunk (default 200). */
  overlapChars?: number;
}

/**
 * Page-aware chunking with overlap. Pages are separated by form feeds (`\f`) when the text has
 * them, else `pages` (one string per page) can be passed; a chunk never spans two pages. Within a
 * page, chunks end at a paragraph, sentence or word boundary near `maxChars`, and the next chunk
 * starts `overlapChars` earlier (on a word boundary).
 */
export function chunkText(text: string | string[], options: ChunkOptions = {}): TextChunk[] {
  const maxChars = Math.max(100, options.maxChars ?? 1200);
  const overlap = Math.max(0, Math.min(options.overlapChars ?? 200, Math.floor(maxChars / 2)));
  const pages = Array.isArray(text) ? text : text.split('\f');
  const chunks: TextChunk[] = [];
  pages.forEach((raw, p) => {
    const page = raw
      .replace(/[ \t]+/g, ' ')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
    let start = 0;
    while (start < page.length) {
      let end = Math.min(page.length, start + maxChars);
      if (end < page.length) {
        const window = page.slice(start, end);
        const min = Math.floor(maxChars * 0.5);
        const para = window.lastIndexOf('\n\n');
        const sentence = Math.max(window.lastIndexOf('. '), window.lastIndexOf('.\n'));
        const space = window.lastIndexOf(' ');
        const cut = para >= min ? para : sentence >= min ? sentence + 1 : space >= min ? space : window.length;
        end = start + cut;
      }
      const piece = page.slice(start, end).trim();
      if (piece) chunks.push({ index: chunks.length, page: p + 1, text: piece });
      if (end >= page.length) break;
      let next = Math.max(start + 1, end - overlap);
      const sp = page.indexOf(' ', next);
      if (sp !== -1 && sp < end) next = sp + 1;
      start = next;
    }
  });
  return chunks;
}
