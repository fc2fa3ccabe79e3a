import { PDFDocument, PDFName, PDFRawStream, PDFDict } from 'pdf-lib';
import { buildCiiInvoiceXml, buildEInvoicePdf, buildTextPdf, sampleEInvoice } from '@autod/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { closePdfPool, createPdfPool, readPdf } from '../pdf.js';

const xml = buildCiiInvoiceXml(sampleEInvoice());
const xmlBytes = new TextEncoder().encode(xml);
const pool = createPdfPool({ size: 1 });
afterAll(async () => {
  await pool.close();
  await closePdfPool();
});

/** Replace every embedded file's (FlateDecode) stream with bytes that do not inflate. */
async function corruptEmbeddedFiles(bytes: Uint8Array): Promise<Uint8Array> {
  const doc = await PDFDocument.load(bytes);
  let corrupted = 0;
  for (const [ref, obj] of doc.context.enumerateIndirectObjects()) {
    if (obj instanceof PDFRawStream && obj.dict.get(PDFName.of('Type')) === PDFName.of('EmbeddedFile')) {
      obj.dict.set(PDFName.of('Filter'), PDFName.of('FlateDecode'));
      doc.context.assign(ref, PDFRawStream.of(obj.dict, new TextEncoder().encode('this is not deflate data')));
      corrupted++;
    }
  }
  expect(corrupted).toBe(1);
  return doc.save({ useObjectStreams: false });
}

describe('readPdf: embedded XML files', () => {
  it.each([
    ['the worker pool', { pool }],
    ['the calling thread', { pool: false as const }],
  ])('returns factur-x.xml from %s, byte for byte', async (_where, options) => {
    const pdf = await buildEInvoicePdf(xml, { printed: ['Rechnung RE-2024-0815'] });
    const content = await readPdf(pdf, options);
    expect(content.pages[0]?.text).toContain('RE-2024-0815');
    expect(content.attachments).toHaveLength(1);
    expect(content.attachments?.[0]?.name).toBe('factur-x.xml');
    expect(new TextDecoder().decode(content.attachments?.[0]?.bytes)).toBe(xml);
    // its own buffer (it crossed the thread boundary by transfer)
    expect(content.attachments?.[0]?.bytes.byteLength).toBe(content.attachments?.[0]?.bytes.buffer.byteLength);
  });

  it('keeps only .xml files (any case), and none at all for a PDF without attachments', async () => {
    const pdf = await buildEInvoicePdf(xml, {
      fileName: 'ZUGFeRD-invoice.XML',
      extra: [
        { name: 'Aufmass.png', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) },
        { name: 'lieferschein.pdf', bytes: new TextEncoder().encode('%PDF-1.4') },
      ],
    });
    const content = await readPdf(pdf, { pool });
    expect(content.attachments?.map((a) => a.name)).toEqual(['ZUGFeRD-invoice.XML']);
    const plain = await readPdf(await buildTextPdf([['no attachments here']]), { pool });
    expect(plain.attachments).toBeUndefined();
  });

  it('skips an embedded XML over 5 MB', async () => {
    const big = new Uint8Array(5 * 1024 * 1024 + 1).fill(0x20);
    const pdf = await buildEInvoicePdf(big, { fileName: 'huge.xml', extra: [{ name: 'small.xml', bytes: xmlBytes }] });
    const content = await readPdf(pdf, { pool: false });
    expect(content.attachments?.map((a) => a.name)).toEqual(['small.xml']);
  });

  it('a broken attachment never fails the read', async () => {
    const pdf = await corruptEmbeddedFiles(await buildEInvoicePdf(xml, { printed: ['Rechnung mit kaputtem Anhang'] }));
    const content = await readPdf(pdf, { pool });
    expect(content.pages[0]?.text).toBe('Rechnung mit kaputtem Anhang');
    // pdf.js either drops the stream or hands back what it could decode; it is never the XML.
    for (const a of content.attachments ?? []) expect(new TextDecoder().decode(a.bytes)).not.toBe(xml);

    // A name tree entry that is not a file specification at all.
    const doc = await PDFDocument.load(await buildTextPdf([['Name tree with junk']]));
    const names = doc.context.obj({ EmbeddedFiles: { Names: ['junk.xml', 42] } });
    doc.catalog.set(PDFName.of('Names'), names);
    expect(doc.catalog.get(PDFName.of('Names'))).toBeInstanceOf(PDFDict);
    const junk = await readPdf(await doc.save(), { pool });
    expect(junk.pages[0]?.text).toBe('Name tree with junk');
    expect(junk.attachments ?? []).toEqual([]);
  });
});
