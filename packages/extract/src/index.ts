export {
  readPdf,
  sniffPdf,
  renderPageToPng,
  itemsToText,
  createPdfPool,
  configurePdfPool,
  closePdfPool,
  defaultPdfPoolSize,
  DEFAULT_OCR_DPI,
  DEFAULT_OCR_MAX_PAGES,
  DEFAULT_MAX_PAGE_PIXELS,
  type PdfPage,
  type PdfContent,
  type PdfAttachment,
  type ReadPdfOptions,
  type PdfPool,
  type PdfPoolOptions,
} from './pdf.js';
export { readDocument, checkDocumentType, type DocumentContent, type ReadDocumentOptions } from './document.js';
export {
  sniffDocument,
  hasPdfHeader,
  SUPPORTED_MEDIA_TYPES,
  SUPPORTED_FORMATS_TEXT,
  SNIFF_BYTES,
  type DocumentMediaType,
  type SniffedDocument,
} from './sniff.js';
export { buildArchivePdf, type ArchivePage, type ArchiveOptions } from './archive-pdf.js';
export type { PageLine } from './ocr-page.js';
export {
  createTesseractOcr,
  defaultLangPath,
  availableOcrLanguages,
  resolveOcrLanguages,
  SHIPPED_OCR_LANGUAGES,
  type OcrEngine,
  type OcrResult,
  type OcrLine,
  type OcrWord,
  type PixelBox,
  type RecognizeOptions,
  type TesseractOcrOptions,
} from './ocr.js';
export {
  extractOffline,
  confidenceFrom,
  type OfflineExtractInput,
  type OfflineExtraction,
  type OfflineFacts,
  type EvidenceItem,
  type ExtractPage,
  type EvidenceLine,
  type BoxInput,
} from './extractor.js';
export { locateEvidence } from './locate-evidence.js';
export { parseDate, findDates, daysBetween, type FoundDate, type FindDatesOptions } from './dates.js';
export { parseAmount, findAmounts, parseNumber, type ParsedAmount, type FoundAmount } from './amounts.js';
export { classify, detectLanguage, DOC_TYPE_RULES, type DocTypeRule, type Classification } from './classify.js';
export {
  parseEInvoice,
  sniffEInvoiceXml,
  eInvoiceToMetadata,
  crossCheckEInvoice,
  renderEInvoicePdf,
  readEInvoiceXmlDocument,
  readEInvoiceAttachments,
  unreadableEInvoiceNote,
  extractEInvoice,
  MAX_EINVOICE_XML_BYTES,
  type EInvoice,
  type EInvoiceParty,
  type EInvoiceAddress,
  type EInvoiceLine,
  type EInvoiceTaxLine,
  type EInvoiceTotals,
  type EInvoiceFlavor,
  type EInvoiceSniff,
  type EInvoiceSyntax,
  type EInvoiceMetadataInput,
  type EInvoiceMetadataResult,
  type CrossCheckFinding,
  type RenderedInvoice,
  type EInvoiceXmlDocument,
  type EInvoiceAttachmentResult,
  type EInvoiceExtractInput,
  type EInvoiceExtraction,
} from './einvoice/index.js';
