import { isAutodError } from '@autod/errors';
import { buildCiiInvoiceXml, buildUblInvoiceXml, sampleEInvoice } from '@autod/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { closePdfPool, readPdf } from '../pdf.js';
import { readEInvoiceAttachments, readEInvoiceXmlDocument, unreadableEInvoiceNote } from './document.js';
import { renderEInvoicePdf, renderedText } from './render.js';
import { parseEInvoice } from './parse.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

afterAll(() => closePdfPool());

describe('renderEInvoicePdf', () => {
  it('draws seller, buyer, number, dates, lines, totals and payment details as searchable text', async () => {
    const inv = parseEInvoice(buildUblInvoiceXml(sampleEInvoice()));
    const { pdf, pages } = await renderEInvoicePdf(inv);
    const read = await readPdf(pdf, { pool: false });
    expect(read.pageCount).toBe(1);
    const text = read.text;
    for (const s of [
      'Invoice RE-2024-0815',
      'Nordlicht Bürobedarf GmbH',
      'Hafenstraße 12',
      'Kanzlei Weber & Partner',
      'VAT ID: DE811234567',
      'Invoice date: 2024-03-05',
      'Due date: 2024-04-04',
      'Order number: PO-77812',
      'Kopierpapier A4, 80 g, 500 Blatt',
      'EUR 45.00',
      'Net total',
      'EUR 104.90',
      'VAT 19% (S)',
      'EUR 12.35',
      'Total',
      'EUR 120.04',
      'IBAN: DE02120300000000202051',
      'BIC: BYLADEM1001',
    ]) {
      expect(text).toContain(s);
    }
    // The page texts returned with the PDF are what pdf.js reads back.
    expect(squash(pages.join('\n'))).toBe(squash(read.text));
    expect(read.info.title).toBe('Invoice RE-2024-0815');
  });

  it('breaks long invoices over pages and draws characters Helvetica lacks as a stand-in', async () => {
    const lines = Array.from({ length: 90 }, (_, i) => ({
      description: `Position ${i + 1} Łódź 東京`,
      quantity: 1,
      unitPrice: 1,
    }));
    const inv = parseEInvoice(buildCiiInvoiceXml(sampleEInvoice({ lines })));
    const { pdf, pages } = await renderEInvoicePdf(inv);
    const read = await readPdf(pdf, { pool: false });
    expect(read.pageCount).toBeGreaterThan(1);
    expect(pages).toHaveLength(read.pageCount);
    expect(read.text).toContain('Position 90 Lódz ??');
    expect(read.text).toContain('EUR 107.10'); // 90 × 1.00 + 19 %
  });

  it('renderedText has the same content without drawing', () => {
    const inv = parseEInvoice(buildCiiInvoiceXml(sampleEInvoice()));
    const t = renderedText(inv);
    expect(t).toContain('Seller');
    expect(t).toContain('Total   EUR 120.04');
    expect(t).toContain('Kugelschreiber blau');
  });
});

describe('readEInvoiceXmlDocument (a bare .xml at intake)', () => {
  it('returns the read stage shape: pages of the rendering, the XML as attachment, the archive PDF', async () => {
    const xml = enc(buildUblInvoiceXml(sampleEInvoice()));
    const doc = await readEInvoiceXmlDocument(xml, { fileName: 'RE-2024-0815.xml' });
    expect(doc.pageCount).toBe(1);
    expect(doc.pages).toEqual([expect.objectContaining({ page: 1, source: 'text' })]);
    expect(doc.text).toContain('EUR 120.04');
    expect(doc.ocrPages).toBe(0);
    expect(doc.attachments).toEqual([{ name: 'RE-2024-0815.xml', bytes: xml }]);
    expect(new TextDecoder().decode(doc.archivePdf.subarray(0, 5))).toBe('%PDF-');
    expect((await readPdf(doc.archivePdf, { pool: false })).text).toContain('Kanzlei Weber & Partner');
    expect(doc.invoice.number).toBe('RE-2024-0815');
  });

  it('rejects a malformed file with INPUT_INVALID_EINVOICE', async () => {
    const bad = enc(buildUblInvoiceXml(sampleEInvoice()).replace('</cbc:ID>', ''));
    const err = await readEInvoiceXmlDocument(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAutodError(err) && err.code).toBe('INPUT_INVALID_EINVOICE');
  });
});

describe('readEInvoiceAttachments', () => {
  const good = { name: 'factur-x.xml', bytes: enc(buildCiiInvoiceXml(sampleEInvoice())) };
  it('finds the invoice among other XML files, standard name first', () => {
    const other = { name: 'metadata.xml', bytes: enc('<?xml version="1.0"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>') };
    const r = readEInvoiceAttachments([other, good]);
    expect(r?.kind).toBe('invoice');
    expect(r?.kind === 'invoice' && r.invoice.number).toBe('RE-2024-0815');
    expect(readEInvoiceAttachments([other])).toBeNull();
    expect(readEInvoiceAttachments([])).toBeNull();
  });
  it('reports a malformed e-invoice (by name or by root) as unreadable, with a note for the errors', () => {
    const broken = { name: 'factur-x.xml', bytes: enc('<rsm:CrossIndustryInvoice xmlns:rsm="nope"><oops') };
    const r = readEInvoiceAttachments([broken]);
    expect(r).toMatchObject({ kind: 'unreadable', attachment: 'factur-x.xml' });
    if (r?.kind !== 'unreadable') throw new Error('expected unreadable');
    expect(unreadableEInvoiceNote(r)).toMatch(
      /^The embedded e-invoice factur-x\.xml could not be read \(.+\); the fields come from the PDF text instead\.$/,
    );
    const cut = { name: 'invoice.xml', bytes: good.bytes.subarray(0, 1500) };
    expect(readEInvoiceAttachments([cut])?.kind).toBe('unreadable');
    // a readable one wins over a broken one
    expect(readEInvoiceAttachments([broken, { ...good, name: 'zugferd-invoice.xml' }])?.kind).toBe('invoice');
  });
});
