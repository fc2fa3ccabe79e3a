/** The e-invoice reader's public pieces (re-exported by the package's `src/index.ts`). */
export { parseEInvoice, MAX_EINVOICE_XML_BYTES } from './parse.js';
export { sniffEInvoiceXml, type EInvoiceSniff, type EInvoiceSyntax } from './xml.js';
export { eInvoiceToMetadata, type EInvoiceMetadataInput, type EInvoiceMetadataResult } from './metadata.js';
export { crossCheck as crossCheckEInvoice, type CrossCheckFinding } from './cross-check.js';
export { renderEInvoicePdf, type RenderedInvoice } from './render.js';
export {
  readEInvoiceXmlDocument,
  readEInvoiceAttachments,
  unreadableEInvoiceNote,
  extractEInvoice,
  type EInvoiceXmlDocument,
  type EInvoiceAttachmentResult,
  type EInvoiceExtractInput,
  type EInvoiceExtraction,
} from './document.js';
export type {
  EInvoice,
  EInvoiceParty,
  EInvoiceAddress,
  EInvoiceLine,
  EInvoiceTaxLine,
  EInvoiceTotals,
  EInvoiceFlavor,
} from './model.js';
