import type { EvidenceBox, FieldEvidence } from '@autod/core';
import { squash, type LineIndex } from '../text.js';

/**
 * Where a field's value was read: the page, the source text (the line it stands on) and, when
 * the page carries line geometry (`lines: { text, box }[]` from pdf.js or OCR, boxes in page
 * coordinates 0..1, origin top left), the line's box.
 */

/** A line box as readers give it: `[x0, y0, x1, y1]` or `{ x0, y0, x1, y1 }`, in 0..1 of the page. */
export type BoxInput = readonly [number, number, number, number] | EvidenceBox;

export interface EvidenceLine {
  text: string;
  box: BoxInput | null;
}

/** A page as the extractor receives it; `lines` is optional line geometry. */
export interface EvidencePage {
  page: number;
  text: string;
  lines?: readonly EvidenceLine[] | undefined;
}

function toBox(b: BoxInput | null): EvidenceBox | null {
  if (!b) return null;
  const [x0, y0, x1, y1] = Array.isArray(b)
    ? (b as readonly number[])
    : [(b as EvidenceBox).x0, (b as EvidenceBox).y0, (b as EvidenceBox).x1, (b as EvidenceBox).y1];
  const vals = [x0, y0, x1, y1];
  if (!vals.every((v) => typeof v === 'number' && Number.isFinite(v))) return null;
  const clamp = (v: number | undefined): number => Math.max(0, Math.min(1, v ?? 0));
  return { x0: clamp(x0), y0: clamp(y0), x1: clamp(x1), y1: clamp(y1) };
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
function boxFor(page: EvidencePage, source: string): EvidenceBox | null {
  if (!page.lines || page.lines.length === 0) return null;
  const want = source.toLowerCase();
  let best: { box: EvidenceBox; score: number } | null = null;
  for (const l of page.lines) {
    const box = toBox(l.box);
    if (!box) continue;
    const t = squash(l.text).toLowerCase();
    if (t.length === 0) continue;
    const score = t === want ? 3 : t.includes(want) ? 2 : want.includes(t) ? t.length / want.length : 0;
    if (score > 0 && (!best || score > best.score)) best = { box, score };
  }
  return best && best.score >= 0.5 ? best.box : null;
}
