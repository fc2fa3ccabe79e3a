import { squash, type LineIndex } from '../text.js';

/**
 * Where a field's value was read: the page, the source text (the line it stands on) and, when
 * the page carries line geometry (`lines: { text, box }[]` from pdf.js or OCR), the line's box.
 */

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface FieldEvidence {
  /** 0..1, calibrated (see `confidence.ts`). */
  confidence: number;
  page: number | null;
  source_text: string | null;
  box: Box | null;
}

export const KEY_FIELDS = [
  'issuer',
  'customer',
  'primary_date',
  'total_amount',
  'currency',
  'invoice_number',
  'due_date',
] as const;
export type KeyField = (typeof KEY_FIELDS)[number];
export type FieldEvidenceMap = Record<KeyField, FieldEvidence | null>;

/** A page as the extractor receives it; `lines` is optional line geometry. */
export interface EvidencePage {
  page: number;
  text: string;
  lines?: readonly { text: string; box: Box | null }[] | undefined;
}

export class EvidenceLocator {
  private readonly starts: { page: EvidencePage; start: number; end: number }[] = [];

  /**
   * `pages` joined with a blank line make `text` (as `readPdf` builds it); when they do not
   * (text given without pages), the page is found by searching the source line.
   */
  constructor(
    private readonly text: string,
    private readonly lines: LineIndex,
    private readonly pages: readonly EvidencePage[],
  ) {
    let at = 0;
    const norm = (s: string): string => s.replace(/\r\n?/g, '\n');
    const joined = pages.map((p) => norm(p.text)).join('\n\n');
    if (joined.length > 0 && text.startsWith(joined.slice(0, Math.min(joined.length, text.length)))) {
      for (const p of pages) {
        const len = norm(p.text).length;
        this.starts.push({ page: p, start: at, end: at + len });
        at += len + 2;
      }
    }
  }

  /** Evidence for a value found at `index` in the text (null index: no location). */
  at(index: number | null, confidence: number): FieldEvidence {
    const c = Math.round(Math.max(0, Math.min(1, confidence)) * 100) / 100;
    if (index === null || index < 0 || index > this.text.length)
      return { confidence: c, page: null, source_text: null, box: null };
    const line = this.lines.lineAt(index);
    const source = squash(line.text).slice(0, 500) || null;
    let page: EvidencePage | undefined = this.starts.find((s) => index >= s.start && index <= s.end)?.page;
    if (!page && source) page = this.pages.find((p) => squash(p.text).includes(source));
    if (!page && this.pages.length === 1) page = this.pages[0];
    return {
      confidence: c,
      page: page?.page ?? null,
      source_text: source,
      box: page && source ? boxFor(page, source) : null,
    };
  }
}

/** The box of the page line that best matches `source` (same text, else the one containing it). */
function boxFor(page: EvidencePage, source: string): Box | null {
  if (!page.lines || page.lines.length === 0) return null;
  const want = source.toLowerCase();
  let best: { box: Box; score: number } | null = null;
  for (const l of page.lines) {
    if (!l.box) continue;
    const t = squash(l.text).toLowerCase();
    if (t.length === 0) continue;
    const score = t === want ? 3 : t.includes(want) ? 2 : want.includes(t) ? t.length / want.length : 0;
    if (score > 0 && (!best || score > best.score)) best = { box: l.box, score };
  }
  return best && best.score >= 0.5 ? best.box : null;
}
