import { errorFor } from '@autod/errors';
import { readCii } from './cii.js';
import type { EInvoice } from './model.js';
import { readUbl } from './ubl.js';
import { XmlSyntaxError, decodeXml, parseXml, sniffEInvoiceXml } from './xml.js';

/** Largest e-invoice XML read (embedded or bare); real ones are a few dozen KiB. */
export const MAX_EINVOICE_XML_BYTES = 5 * 1024 * 1024;

/**
 * Parse a CII (Factur-X, ZUGFeRD 1.0/2.x, XRechnung CII) or UBL (XRechnung UBL, Peppol BIS) invoice or credit
 * note. Throws `INPUT_INVALID_EINVOICE` (InputError) when the bytes are not one of those, are not well-formed XML,
 * are larger than 5 MB, or carry neither an invoice number nor any amount.
 */
export function parseEInvoice(input: Uint8Array | string): EInvoice {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > MAX_EINVOICE_XML_BYTES) {
    throw errorFor(
      'INPUT_INVALID_EINVOICE',
      `The e-invoice XML is ${(size / 1024 / 1024).toFixed(1)} MB, more than the 5 MB read; export it without embedded attachments.`,
      { details: { bytes: size } },
    );
  }
  const text = typeof input === 'string' ? input : decodeXml(input);
  const sniff = sniffEInvoiceXml(text);
  if (!sniff) {
    throw errorFor(
      'INPUT_INVALID_EINVOICE',
      'The XML is not a CII (Factur-X/ZUGFeRD/XRechnung) or UBL invoice: its root element or namespace is another one.',
    );
  }
  let root;
  try {
    root = parseXml(text);
  } catch (e) {
    const why = e instanceof XmlSyntaxError ? e.message : String(e);
    throw errorFor('INPUT_INVALID_EINVOICE', `The e-invoice XML is not well-formed: ${why}.`, { cause: e });
  }
  const invoice = sniff.syntax === 'cii' ? readCii(root.node, sniff.root) : readUbl(root.node, sniff.root);
  const t = invoice.totals;
  if (invoice.number === null && t.gross === null && t.due === null && t.net === null) {
    throw errorFor(
      'INPUT_INVALID_EINVOICE',
      'The e-invoice XML has neither an invoice number nor any total; it cannot be read as an invoice.',
    );
  }
  return invoice;
}
