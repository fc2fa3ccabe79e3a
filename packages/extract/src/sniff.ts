/**
 * What a file is, from its first bytes (never from its name): a PDF, an image autod can read, an
 * e-invoice XML (CII/UBL, by its root element), or something else. Cheap and synchronous; decoding
 * happens later (`readDocument`).
 */
import { sniffEInvoiceXml } from './einvoice/xml.js';

/** Media types autod reads. Images and e-invoice XML become a PDF when filed (the original is kept beside it). */
export type DocumentMediaType =
  | 'application/pdf'
  | 'image/jpeg'
  | 'image/png'
  | 'image/tiff'
  | 'image/webp'
  | 'image/gif'
  | 'image/avif'
  | 'application/xml';

export type SniffedDocument =
  | { kind: 'pdf'; mediaType: 'application/pdf'; extension: '.pdf' }
  | { kind: 'image'; mediaType: Exclude<DocumentMediaType, 'application/pdf' | 'application/xml'>; extension: string }
  | { kind: 'einvoice'; mediaType: 'application/xml'; extension: '.xml' }
  | { kind: 'empty'; mediaType: undefined; extension: undefined }
  | { kind: 'unknown'; mediaType: undefined; extension: undefined };

/** Every accepted media type with the extension used for a file of that type (the original kept beside the PDF). */
export const SUPPORTED_MEDIA_TYPES: Readonly<Record<DocumentMediaType, string>> = {
  'application/pdf': '.pdf',
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/tiff': '.tif',
  'image/webp': '.webp',
  'image/gif': '.gif',
  'image/avif': '.avif',
  'application/xml': '.xml',
};

/** Human list of the formats, for messages and docs. */
export const SUPPORTED_FORMATS_TEXT =
  'PDF, JPEG, PNG, TIFF (multi-page), WebP, GIF (first frame), AVIF and e-invoice XML (CII/UBL)';

/** How many leading bytes `sniffDocument` needs at most (PDFs may carry up to 1 KiB of junk before `%PDF-`). */
export const SNIFF_BYTES = 1024;

function startsWith(bytes: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (bytes.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[at + i] !== sig[i]) return false;
  return true;
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  let s = '';
  for (let i = at; i < Math.min(bytes.length, at + length); i++) s += String.fromCharCode(bytes[i] ?? 0);
  return s;
}

/** `%PDF-` within the first KiB (some scanners prepend junk, which readers tolerate). */
export function hasPdfHeader(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length - 5, SNIFF_BYTES);
  for (let i = 0; i <= end; i++) {
    if (
      bytes[i] === 0x25 &&
      bytes[i + 1] === 0x50 &&
      bytes[i + 2] === 0x44 &&
      bytes[i + 3] === 0x46 &&
      bytes[i + 4] === 0x2d
    ) {
      return true;
    }
  }
  return false;
}

function image(mediaType: Exclude<DocumentMediaType, 'application/pdf' | 'application/xml'>): SniffedDocument {
  return { kind: 'image', mediaType, extension: SUPPORTED_MEDIA_TYPES[mediaType] };
}

/**
 * Identify a document by its magic bytes: PDF (`%PDF-` in the first KiB), JPEG, PNG, TIFF (both byte
 * orders, BigTIFF too), WebP, GIF, AVIF; else an e-invoice XML by its root element and namespace (CII or
 * UBL invoice / credit note). `empty` for zero bytes, `unknown` for anything else. The image and PDF
 * signatures sit in the first {@link SNIFF_BYTES} bytes; an XML root usually does too (its prolog may
 * push it further: pass more bytes then).
 */
export function sniffDocument(bytes: Uint8Array): SniffedDocument {
  if (bytes.length === 0) return { kind: 'empty', mediaType: undefined, extension: undefined };
  // Images first: their signatures sit at offset 0, and a JPEG's metadata could contain "%PDF-".
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return image('image/jpeg');
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return image('image/png');
  if (
    startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return image('image/tiff');
  }
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return image('image/webp');
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return image('image/gif');
  if (ascii(bytes, 4, 4) === 'ftyp') {
    const brands = ascii(bytes, 8, Math.min(64, Math.max(0, bytes.length - 8)));
    if (/avi[fs]/.test(brands)) return image('image/avif');
  }
  if (hasPdfHeader(bytes)) return { kind: 'pdf', mediaType: 'application/pdf', extension: '.pdf' };
  if (sniffEInvoiceXml(bytes) !== null) return { kind: 'einvoice', mediaType: 'application/xml', extension: '.xml' };
  return { kind: 'unknown', mediaType: undefined, extension: undefined };
}
