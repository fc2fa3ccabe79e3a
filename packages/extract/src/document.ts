/**
 * One entry point for every document autod accepts: `readDocument` sniffs the bytes and reads a PDF
 * (text layer, OCR of image-only pages) or an image (decoded with sharp, every page OCR'd, and a PDF
 * built from it with an invisible OCR text layer: the file that gets filed).
 */
import { errorFor, isAutodError } from '@autod/errors';
import { buildArchivePdf, type ArchivePage } from './archive-pdf.js';
import { readEInvoiceXmlDocument } from './einvoice/document.js';
import { decodeImagePage, imageInfo, rotateImage } from './image.js';
import { ocrLinesToPageLines, recognizePage } from './ocr-page.js';
import {
  DEFAULT_MAX_PAGE_PIXELS,
  DEFAULT_OCR_MAX_PAGES,
  readPdf,
  type PdfContent,
  type PdfPage,
  type ReadPdfOptions,
} from './pdf.js';
import { SUPPORTED_FORMATS_TEXT, sniffDocument, type DocumentMediaType, type SniffedDocument } from './sniff.js';

/** What `readDocument` returns: `PdfContent` plus what the document was and, for images, the PDF made of it. */
export interface DocumentContent extends PdfContent {
  /** `einvoice`: a bare CII/UBL XML file, read from the XML (text of its rendering; the XML in `attachments`). */
  kind: 'pdf' | 'image' | 'einvoice';
  mediaType: DocumentMediaType;
  /**
   * For images: the PDF to file (one page per image page, the OCR words as invisible text); for a bare
   * e-invoice XML, the PDF rendered from it. Absent for PDFs (the file itself is filed) and when `archive: false`.
   */
  archivePdf?: Uint8Array;
}

export interface ReadDocumentOptions extends ReadPdfOptions {
  /** Images: build `archivePdf` (default true). */
  archive?: boolean;
  /** Images: the creation date written into `archivePdf` (default now; fix it for reproducible bytes). */
  archiveDate?: Date;
  /** Images: look for the page orientation when the upright reading is poor (default true). */
  ocrOrientation?: boolean;
  /** The file's name (a bare e-invoice XML keeps it for its attachment). */
  fileName?: string;
}

function aborted(signal: AbortSignal | undefined, cause?: unknown): Error {
  return errorFor('ABORTED', 'Reading the document was cancelled.', { cause: signal?.reason ?? cause });
}

/** Throws `INPUT_EMPTY` or `INPUT_UNSUPPORTED_TYPE` unless the bytes are a PDF or a supported image. */
export function checkDocumentType(bytes: Uint8Array, fileName = 'The file'): SniffedDocument {
  const sniffed = sniffDocument(bytes);
  if (sniffed.kind === 'empty') throw errorFor('INPUT_EMPTY', `${fileName} is empty (0 bytes); rescan the document.`);
  if (sniffed.kind === 'unknown') {
    throw errorFor(
      'INPUT_UNSUPPORTED_TYPE',
      `${fileName} is neither a PDF nor a supported image (${SUPPORTED_FORMATS_TEXT}); convert it to one of them.`,
      { details: { bytes: bytes.length } },
    );
  }
  return sniffed;
}

/**
 * Read a PDF, an image or a bare e-invoice XML. Errors: `INPUT_EMPTY`, `INPUT_UNSUPPORTED_TYPE`, the PDF
 * errors of `readPdf`, `INPUT_CORRUPT_IMAGE` (an image libvips cannot decode), `INPUT_INVALID_EINVOICE`
 * (an XML that looks like an e-invoice but does not read as one), `ABORTED` (`signal`; OCR threads are
 * terminated). A failed OCR of one page leaves that page without text (`ocrFailedPages`).
 */
export async function readDocument(bytes: Uint8Array, options: ReadDocumentOptions = {}): Promise<DocumentContent> {
  const sniffed = checkDocumentType(bytes);
  if (sniffed.kind === 'pdf') {
    const content = await readPdf(bytes, options);
    return { ...content, kind: 'pdf', mediaType: 'application/pdf' };
  }
  if (sniffed.kind === 'einvoice') {
    if (options.signal?.aborted) throw aborted(options.signal);
    const { invoice: _invoice, ...doc } = await readEInvoiceXmlDocument(
      bytes,
      options.fileName ? { fileName: options.fileName } : {},
    );
    if (options.archive === false) {
      const { archivePdf: _pdf, ...rest } = doc;
      return { ...rest, kind: 'einvoice', mediaType: 'application/xml' };
    }
    return { ...doc, kind: 'einvoice', mediaType: 'application/xml' };
  }
  if (sniffed.kind !== 'image') throw new Error('unreachable');
  return readImage(bytes, sniffed, options);
}

async function readImage(
  bytes: Uint8Array,
  sniffed: SniffedDocument & { kind: 'image' },
  options: ReadDocumentOptions,
): Promise<DocumentContent> {
  const { signal } = options;
  if (signal?.aborted) throw aborted(signal);
  const ocr = options.ocr === false ? undefined : options.ocr;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PAGE_PIXELS;
  const ocrMaxPages = Math.max(0, Math.floor(options.ocrMaxPages ?? DEFAULT_OCR_MAX_PAGES));
  const readLimit = options.maxPages ?? Number.POSITIVE_INFINITY;
  const archive = options.archive !== false;
  const { pageCount } = await imageInfo(bytes);
  const pages: PdfPage[] = [];
  const archivePages: ArchivePage[] = [];
  let ocrPages = 0;
  let ocrSkippedPages = 0;
  const ocrFailedPages: number[] = [];
  for (let n = 1; n <= pageCount; n++) {
    if (signal?.aborted) throw aborted(signal);
    const wanted = n <= readLimit;
    // Every page goes into the archive PDF; `maxPages` only limits what is read.
    if (!wanted && !archive) break;
    const decoded = await decodeImagePage(bytes, sniffed, n, maxPixels);
    let embed = decoded.embed;
    let width = decoded.width;
    let height = decoded.height;
    let page: PdfPage = { page: n, text: '', source: 'none' };
    let lines: ArchivePage['lines'];
    if (wanted && ocr && ocrPages + ocrFailedPages.length >= ocrMaxPages) ocrSkippedPages++;
    else if (wanted && ocr) {
      try {
        const r = await recognizePage(
          ocr,
          decoded.ocrPng,
          { width, height },
          { ...(signal ? { signal } : {}), dpi: decoded.dpi, orientation: options.ocrOrientation !== false },
        );
        ocrPages++;
        if (r.angle !== 0) {
          // Turn the filed page too, so it is upright in a viewer and the text layer sits on it.
          embed = { format: embed.format, bytes: await rotateImage(embed.bytes, r.angle, embed.format) };
          width = r.width;
          height = r.height;
        }
        const text = r.text.trim();
        page = { page: n, text, source: text.length > 0 ? 'ocr' : 'none' };
        if (options.geometry) page.lines = ocrLinesToPageLines(r.lines, r.width, r.height);
        lines = r.lines;
      } catch (e) {
        if (signal?.aborted) throw aborted(signal, e);
        if (isAutodError(e) && e.code === 'ABORTED') throw e;
        ocrFailedPages.push(n);
      }
    }
    if (wanted) {
      if (options.geometry) page.lines ??= [];
      pages.push(page);
    }
    if (archive) archivePages.push({ embed, width, height, dpi: decoded.dpi, ...(lines ? { lines } : {}) });
  }
  if (signal?.aborted) throw aborted(signal);
  const archivePdf = archive
    ? await buildArchivePdf(archivePages, options.archiveDate ? { date: options.archiveDate } : {})
    : undefined;
  return {
    kind: 'image',
    mediaType: sniffed.mediaType,
    pageCount,
    pages,
    text: pages
      .map((p) => p.text)
      .filter((t) => t.length > 0)
      .join('\n\n'),
    info: {},
    ocrPages,
    ocrSkippedPages,
    ocrFailedPages,
    ...(archivePdf ? { archivePdf } : {}),
  };
}
