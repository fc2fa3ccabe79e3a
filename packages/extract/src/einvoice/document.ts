/**
 * Entry points for the pipeline: find and read the e-invoice among a document's embedded files, and read a bare
 * XML invoice as a document (text + a rendered archive PDF, the XML kept as the attachment).
 */
import type { DocumentMetadata } from '@autod/core';
import { isAutodError } from '@autod/errors';
import type { PdfAttachment, PdfContent, PdfPage } from '../pdf.js';
import { truncate } from '../text.js';
import type { CrossCheckFinding } from './cross-check.js';
import { eInvoiceToMetadata } from './metadata.js';
import type { EInvoice } from './model.js';
import { parseEInvoice } from './parse.js';
import { renderEInvoicePdf } from './render.js';
import { sniffEInvoiceXml } from './xml.js';

/** File names the e-invoice standards give the embedded XML (a file so named is expected to be an e-invoice). */
const EINVOICE_NAMES = /^(?:factur-x|zugferd-invoice|xrechnung|order-x)\.xml$/i;

export type EInvoiceAttachmentResult =
  | { kind: 'invoice'; invoice: EInvoice; attachment: string }
  | { kind: 'unreadable'; attachment: string; reason: string };

/**
 * The first embedded file that reads as a CII or UBL invoice. Files named like an e-invoice (`factur-x.xml`,
 * `zugferd-invoice.xml`, `xrechnung.xml`) or whose root says so are tried, standard names first; other XML files
 * are ignored. `unreadable` when such a file exists but none of them parses (malformed XML, no invoice data);
 * `null` when there is no e-invoice at all.
 */
export function readEInvoiceAttachments(attachments: readonly PdfAttachment[]): EInvoiceAttachmentResult | null {
  const candidates = attachments
    .filter((a) => EINVOICE_NAMES.test(a.name) || sniffEInvoiceXml(a.bytes) !== null)
    .sort((a, b) => Number(EINVOICE_NAMES.test(b.name)) - Number(EINVOICE_NAMES.test(a.name)));
  let failure: EInvoiceAttachmentResult | null = null;
  for (const a of candidates) {
    try {
      return { kind: 'invoice', invoice: parseEInvoice(a.bytes), attachment: a.name };
    } catch (e) {
      const reason = isAutodError(e) || e instanceof Error ? e.message : String(e);
      failure ??= { kind: 'unreadable', attachment: a.name, reason };
    }
  }
  return failure;
}

/** A note for `metadata.errors` when an embedded e-invoice could not be read and the text reading is used. */
export function unreadableEInvoiceNote(r: { attachment: string; reason: string }): string {
  return truncate(
    `The embedded e-invoice ${r.attachment} could not be read (${r.reason}); the fields come from the PDF text instead.`,
    512,
    '…',
  );
}

export interface EInvoiceExtractInput {
  invoice: EInvoice;
  /** The document as read: its text and pages (PDF text layer, or the rendering of a bare XML). */
  content: Pick<PdfContent, 'text' | 'pages' | 'pageCount'>;
  fileName: string;
  processedAt: string;
  sourceFileId: string;
  /** The text-based reading to cross-check against; absent for a bare XML file. */
  textResult?: DocumentMetadata;
}

export interface EInvoiceExtraction {
  metadata: DocumentMetadata;
  findings: CrossCheckFinding[];
  /** Model name for the attempt record: the XML dialect (`factur-x`, `zugferd-1`, `xrechnung-ubl` …). */
  model: string;
}

/** Metadata of a document from its e-invoice (see `eInvoiceToMetadata`). */
export function extractEInvoice(input: EInvoiceExtractInput): EInvoiceExtraction {
  const { metadata, findings } = eInvoiceToMetadata(input.invoice, {
    fileName: input.fileName,
    processedAt: input.processedAt,
    sourceFileId: input.sourceFileId,
    pageCount: input.content.pageCount,
    text: input.content.text,
    pages: input.content.pages,
    ...(input.textResult ? { textResult: input.textResult } : {}),
  });
  return { metadata, findings, model: input.invoice.flavor };
}

/** A bare e-invoice XML read as a document: what the pipeline's read stage needs, plus the archive PDF. */
export interface EInvoiceXmlDocument extends PdfContent {
  /** The XML itself, so the extractor reads it like an embedded one. */
  attachments: PdfAttachment[];
  /** A plain PDF rendered from the XML, to file as the searchable copy (keep the XML beside it). */
  archivePdf: Uint8Array;
  invoice: EInvoice;
}

/**
 * Read a bare CII/UBL invoice file: parse it, render the archive PDF and return its page texts. Throws
 * `INPUT_INVALID_EINVOICE` (InputError, permanent) when the bytes are not a readable e-invoice.
 */
export async function readEInvoiceXmlDocument(
  bytes: Uint8Array,
  options: { fileName?: string } = {},
): Promise<EInvoiceXmlDocument> {
  const invoice = parseEInvoice(bytes);
  const rendered = await renderEInvoicePdf(invoice);
  const pages: PdfPage[] = rendered.pages.map((text, i) => ({ page: i + 1, text, source: 'text' }));
  const name = options.fileName && /\.xml$/i.test(options.fileName) ? options.fileName : 'invoice.xml';
  return {
    pageCount: pages.length,
    pages,
    text: pages.map((p) => p.text).join('\n\n'),
    info: { title: `${invoice.number ?? 'e-invoice'}`, producer: 'autod e-invoice renderer' },
    ocrPages: 0,
    ocrSkippedPages: 0,
    ocrFailedPages: [],
    attachments: [{ name, bytes: bytes.slice() }],
    archivePdf: rendered.pdf,
    invoice,
  };
}
