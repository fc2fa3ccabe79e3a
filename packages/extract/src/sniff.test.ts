import sharp from 'sharp';
import { buildCiiInvoiceXml, buildTextPdf, sampleEInvoice } from '@autod/testkit';
import { describe, expect, it } from 'vitest';
import { sniffDocument } from './sniff.js';
import { textPng } from './__tests__/images.js';

describe('sniffDocument', () => {
  it('recognises every supported image format by its bytes', async () => {
    const png = textPng(['hello']);
    const cases: [Buffer, string][] = [
      [png, 'image/png'],
      [await sharp(png).jpeg().toBuffer(), 'image/jpeg'],
      [await sharp(png).tiff().toBuffer(), 'image/tiff'],
      [await sharp(png).tiff({ bigtiff: true }).toBuffer(), 'image/tiff'],
      [await sharp(png).webp().toBuffer(), 'image/webp'],
      [await sharp(png).gif().toBuffer(), 'image/gif'],
      [await sharp(png).avif({ effort: 0 }).toBuffer(), 'image/avif'],
    ];
    for (const [bytes, mediaType] of cases) {
      const s = sniffDocument(bytes);
      expect(s.kind, mediaType).toBe('image');
      expect(s.mediaType).toBe(mediaType);
    }
    expect(sniffDocument(await sharp(png).tiff().toBuffer()).extension).toBe('.tif');
  });

  it('recognises a PDF, also with junk before the header, and not by its name', async () => {
    const pdf = await buildTextPdf([['x']]);
    expect(sniffDocument(pdf)).toMatchObject({ kind: 'pdf', mediaType: 'application/pdf', extension: '.pdf' });
    const junk = new Uint8Array(300 + pdf.length);
    junk.set(pdf, 300);
    expect(sniffDocument(junk).kind).toBe('pdf');
  });

  it('recognises a bare e-invoice XML by its root, not any XML', () => {
    const cii = new TextEncoder().encode(buildCiiInvoiceXml(sampleEInvoice()));
    expect(sniffDocument(cii)).toMatchObject({ kind: 'einvoice', mediaType: 'application/xml', extension: '.xml' });
    const other = new TextEncoder().encode('<?xml version="1.0"?><note><to>Tove</to></note>');
    expect(sniffDocument(other).kind).toBe('unknown');
  });

  it('says empty or unknown for everything else', () => {
    expect(sniffDocument(new Uint8Array()).kind).toBe('empty');
    expect(sniffDocument(new TextEncoder().encode('just some text, not a document')).kind).toBe('unknown');
    expect(sniffDocument(new Uint8Array([0x42, 0x4d, 0, 0, 0, 0])).kind).toBe('unknown'); // BMP: not supported
    expect(sniffDocument(new Uint8Array([0xff, 0xd8])).kind).toBe('unknown'); // too short for JPEG
  });
});
