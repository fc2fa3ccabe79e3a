export { startEmulator } from './emulator/server.js';
export { startEmulatorChild, type EmulatorChild, type EmulatorChildStats } from './emulator/child.js';
export type {
  BilledUsage,
  Emulator,
  EmulatorFile,
  EmulatorOptions,
  EmulatorStats,
  FaultConfig,
  FaultKind,
  LatencyDistribution,
  LatencySpec,
  RecordedRequest,
  Responder,
  ResponderRequest,
} from './emulator/types.js';
export { sampleFromSchema } from './emulator/schema-sample.js';
export { CACHE_MIN_TOKENS, CACHE_STEP_TOKENS, CHARS_PER_TOKEN, PDF_PAGE_TOKENS } from './emulator/tokens.js';
export { inspectPdf, type PdfInfo } from './pdf-inspect.js';
export { buildScannedPdf, buildTextPdf, type ScannedPdfOptions, type TextPdfOptions } from './fixtures/pdf-build.js';
export { buildScannedImage, type ScannedImageOptions } from './fixtures/image-build.js';
export {
  DOC_TYPES,
  generateCorpus,
  type CorpusOptions,
  type DocType,
  type FixtureDoc,
  type GroundTruth,
} from './fixtures/corpus.js';
export { badPdfs, encryptedPdf } from './fixtures/bad-pdfs.js';
export { oddInputs, type OddInput, type OddInputKind } from './fixtures/odd-inputs.js';
export { createTruthResponder, metadataFromTruth } from './fixtures/truth-responder.js';
export { knownValues } from './emulator/prompt-values.js';
export { writeSampleInbox, type SampleInboxOptions } from './fixtures/inbox.js';
export {
  createTempPostgres,
  pgAvailable,
  pgSimpleQuery,
  requirePostgresUnlessLocal,
  tempSqliteUrl,
  testPostgresAdminUrl,
} from './test-databases.js';
export {
  buildCiiInvoiceXml,
  buildUblInvoiceXml,
  buildEInvoicePdf,
  eInvoicePrintedLines,
  eInvoiceTotals,
  sampleEInvoice,
  type CiiDialect,
  type UblDialect,
  type EInvoiceFixture,
  type EInvoiceLineFixture,
  type EInvoicePartyFixture,
  type EInvoicePdfOptions,
  type EInvoiceTotalsFixture,
} from './fixtures/einvoice.js';
