import { DocumentMetadataSchema } from '@autod/core';
import {
  buildCiiInvoiceXml,
  buildEInvoicePdf,
  buildUblInvoiceXml,
  eInvoicePrintedLines,
  eInvoiceTotals,
  sampleEInvoice,
  type EInvoiceFixture,
} from '@autod/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { extractOffline } from '../extractor.js';
import { closePdfPool, readPdf } from '../pdf.js';
import { extractEInvoice, readEInvoiceAttachments } from './document.js';

afterAll(() => closePdfPool());

interface Case {
  name: string;
  fixture: EInvoiceFixture;
  xml: (f: EInvoiceFixture) => string;
  file: string;
  model: string;
  docType: string;
}

const invoice = sampleEInvoice();
const credit = sampleEInvoice({ typeCode: '381', number: 'GS-2024-0042' });
const cases: Case[] = [
  {
    name: 'Factur-X EN16931',
    fixture: invoice,
    xml: (f) => buildCiiInvoiceXml(f, 'factur-x-en16931'),
    file: 'factur-x.xml',
    model: 'factur-x',
    docType: 'invoice',
  },
  {
    name: 'ZUGFeRD 2.x EXTENDED',
    fixture: invoice,
    xml: (f) => buildCiiInvoiceXml(f, 'zugferd-2-extended'),
    file: 'zugferd-invoice.xml',
    model: 'factur-x',
    docType: 'invoice',
  },
  {
    name: 'XRechnung CII',
    fixture: invoice,
    xml: (f) => buildCiiInvoiceXml(f, 'xrechnung-cii'),
    file: 'xrechnung.xml',
    model: 'xrechnung-cii',
    docType: 'invoice',
  },
  {
    name: 'ZUGFeRD 1.0',
    fixture: invoice,
    xml: (f) => buildCiiInvoiceXml(f, 'zugferd-1'),
    file: 'ZUGFeRD-invoice.xml',
    model: 'zugferd-1',
    docType: 'invoice',
  },
  {
    name: 'XRechnung UBL invoice',
    fixture: invoice,
    xml: (f) => buildUblInvoiceXml(f, 'xrechnung-ubl'),
    file: 'xrechnung.xml',
    model: 'xrechnung-ubl',
    docType: 'invoice',
  },
  {
    name: 'XRechnung UBL credit note',
    fixture: credit,
    xml: (f) => buildUblInvoiceXml(f, 'xrechnung-ubl'),
    file: 'xrechnung.xml',
    model: 'xrechnung-ubl',
    docType: 'credit note',
  },
];

describe('embedded in a PDF, read back, every field', () => {
  it.each(cases)('$name', async ({ fixture: f, xml, file, model, docType }) => {
    const pdf = await buildEInvoicePdf(xml(f), { fileName: file, printed: eInvoicePrintedLines(f) });
    const content = await readPdf(pdf);
    const found = readEInvoiceAttachments(content.attachments ?? []);
    if (found?.kind !== 'invoice') throw new Error(`no invoice found: ${JSON.stringify(found)}`);
    expect(found.attachment).toBe(file);
    const base = { fileName: 'scan.pdf', processedAt: '2024-03-20T10:00:00.000Z', sourceFileId: 'sha' };
    const textResult = extractOffline({ ...base, text: content.text, pages: content.pages }).metadata;
    const { metadata: m, model: got } = extractEInvoice({ ...base, invoice: found.invoice, content, textResult });
    expect(got).toBe(model);
    expect(DocumentMetadataSchema.safeParse(m).success).toBe(true);
    const t = eInvoiceTotals(f);
    expect(m).toMatchObject({
      doc_type: docType,
      issuer: f.seller.name,
      customer: f.buyer.name,
      primary_date: f.issueDate,
      page_count: 1,
    });
    expect(m.extracted_fields).toMatchObject({
      invoice_number: f.number,
      due_date: f.dueDate,
      currency: 'EUR',
      total_amount: t.gross,
      amount_due: t.due,
      net_amount: t.net,
      tax_amount: t.tax,
      tax_lines: t.taxLines.map((l) => ({ rate: l.rate, net_amount: l.net, tax_amount: l.tax })),
      order_number: f.orderNumber,
      seller_tax_id: f.seller.vatId,
      customer_tax_id: f.buyer.vatId,
      iban: f.iban?.replace(/\s/g, ''),
      bic: f.bic,
      line_items: f.lines.map((l, i) => ({
        description: l.description,
        quantity: l.quantity,
        unit_price: l.unitPrice,
        amount: t.lines[i]?.amount,
      })),
    });
    expect(m.extracted_fields.payment_terms).toContain(f.paymentTerms);
    // The printed face shows every XML value: whatever the text rules read, no field drops under review.
    for (const ev of Object.values(m.field_evidence)) expect(ev?.confidence).toBeGreaterThanOrEqual(0.9);
  });
});
