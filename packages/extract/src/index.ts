export {
  readPdf,
  sniffPdf,
  renderPageToPng,
  itemsToText,
  createPdfPool,
  configurePdfPool,
  closePdfPool,
  type PdfPage,
  type PdfContent,
  type ReadPdfOptions,
  type PdfPool,
  type PdfPoolOptions,
} from './pdf.js';
export { createTesseractOcr, defaultLangPath, type OcrEngine, type TesseractOcrOptions } from './ocr.js';
export {
  extractOffline,
  confidenceFrom,
  type OfflineExtractInput,
  type OfflineExtraction,
  type OfflineFacts,
  type EvidenceItem,
} from './extractor.js';
export { parseDate, findDates, daysBetween, type FoundDate } from './dates.js';
export { parseAmount, findAmounts, parseNumber, type ParsedAmount, type FoundAmount } from './amounts.js';
export { classify, detectLanguage, DOC_TYPE_RULES, type DocTypeRule, type Classification } from './classify.js';
