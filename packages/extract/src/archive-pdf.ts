/**
 * The PDF filed for an image document: one page per image page, the image drawn full page, and the
 * OCR words written over it as invisible text (render mode 3, like OCRmyPDF's text layer), so the PDF
 * is searchable and selectable in any viewer and its text layer reads back with pdf.js.
 */
import type { PDFDocument, PDFFont, PDFName } from 'pdf-lib';
import { pdfLib } from './lazy-modules.js';
import type { OcrLine } from './ocr.js';

export interface ArchivePage {
  embed: { format: 'jpeg' | 'png'; bytes: Uint8Array };
  /** Pixel size of the embedded image (and of the OCR boxes). */
  width: number;
  height: number;
  dpi: number;
  /** OCR lines in pixels of the image; absent = no text layer on this page. */
  lines?: readonly OcrLine[];
}

export interface ArchiveOptions {
  title?: string;
  /** Creation date written into the PDF (default now). */
  date?: Date;
}

/** Characters Helvetica (WinAnsi) can encode; others lose their accents or become "?". */
function winAnsi(s: string): string {
  let out = '';
  for (const ch of s) {
    if (/^[\x20-\x7e\u00a0-\u00ff€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]$/u.test(ch)) {
      out += ch;
      continue;
    }
    const plain = ch.normalize('NFKD').replace(/\p{M}/gu, '');
    out += /^[\x20-\x7e]+$/.test(plain) ? plain : '?';
  }
  return out;
}

function drawWords(
  page: ReturnType<PDFDocument['addPage']>,
  fontKey: PDFName,
  font: PDFFont,
  lines: readonly OcrLine[],
  k: number,
  pageHeight: number,
): void {
  const {
    TextRenderingMode,
    beginText,
    endText,
    popGraphicsState,
    pushGraphicsState,
    setCharacterSqueeze,
    setFontAndSize,
    setTextMatrix,
    setTextRenderingMode,
    showText,
  } = pdfLib();
  const ops = [pushGraphicsState(), beginText(), setTextRenderingMode(TextRenderingMode.Invisible)];
  for (const line of lines) {
    // One baseline per line (the bottom of the line box, less a little for descenders) so that
    // text extraction puts the words of a line together.
    const lineHeight = Math.max(1, (line.bbox.y1 - line.bbox.y0) * k);
    const size = Math.max(1, lineHeight * 0.9);
    const baseline = pageHeight - line.bbox.y1 * k + lineHeight * 0.18;
    for (const word of line.words) {
      const text = winAnsi(word.text.trim());
      if (!text) continue;
      const x = word.bbox.x0 * k;
      const boxWidth = Math.max(0.5, (word.bbox.x1 - word.bbox.x0) * k);
      const natural = font.widthOfTextAtSize(text, size);
      // Horizontal scaling makes the word span its box, so selection and search highlights fit.
      const squeeze = natural > 0 ? Math.min(1000, Math.max(1, (boxWidth / natural) * 100)) : 100;
      ops.push(
        setFontAndSize(fontKey, size),
        setCharacterSqueeze(Math.round(squeeze * 100) / 100),
        setTextMatrix(1, 0, 0, 1, x, baseline),
        showText(font.encodeText(`${text} `)),
      );
    }
  }
  ops.push(endText(), popGraphicsState());
  page.pushOperators(...ops);
}

/** Build the archive PDF for image pages (with or without OCR lines). */
export async function buildArchivePdf(
  pages: readonly ArchivePage[],
  options: ArchiveOptions = {},
): Promise<Uint8Array> {
  const { PDFDocument, StandardFonts } = pdfLib();
  const doc = await PDFDocument.create();
  const date = options.date ?? new Date();
  doc.setCreationDate(date);
  doc.setModificationDate(date);
  doc.setProducer('autod (pdf-lib)');
  doc.setCreator('autod');
  if (options.title) doc.setTitle(winAnsi(options.title));
  const needsFont = pages.some((p) => (p.lines?.length ?? 0) > 0);
  const font = needsFont ? await doc.embedFont(StandardFonts.Helvetica) : undefined;
  for (const p of pages) {
    // Points per pixel: 72 / dpi, and never a page larger than PDF's 14,400 pt limit.
    const k = Math.min(72 / p.dpi, 14_400 / Math.max(p.width, p.height));
    const w = p.width * k;
    const h = p.height * k;
    const page = doc.addPage([w, h]);
    const image = p.embed.format === 'jpeg' ? await doc.embedJpg(p.embed.bytes) : await doc.embedPng(p.embed.bytes);
    page.drawImage(image, { x: 0, y: 0, width: w, height: h });
    if (font && p.lines && p.lines.length > 0) {
      const fontKey = page.node.newFontDictionary(font.name, font.ref);
      drawWords(page, fontKey, font, p.lines, k, h);
    }
  }
  return doc.save({ useObjectStreams: true });
}
