import { DocumentMetadataSchema, createEmptyMetadata, reviewReasons, type DocumentMetadata } from '@autod/core';
import {
  buildCiiInvoiceXml,
  buildUblInvoiceXml,
  eInvoicePrintedLines,
  eInvoiceTotals,
  sampleEInvoice,
  type EInvoiceFixture,
} from '@autod/testkit';
import { describe, expect, it } from 'vitest';
import { MISMATCH_PRINTED_CONFIDENCE, MISMATCH_UNPRINTED_CONFIDENCE, amountPrinted, sameName } from './cross-check.js';
import { eInvoiceToMetadata } from './metadata.js';
import { parseEInvoice } from './parse.js';

const base = { fileName: 'scan.pdf', processedAt: '2024-03-20T10:00:00.000Z', sourceFileId: 'abc123', pageCount: 1 };

/** A text reading that agrees with the fixture on every key field. */
function agreeingTextResult(f: EInvoiceFixture, printed: string): DocumentMetadata {
  const m = createEmptyMetadata({
    processedDate: base.processedAt,
    originalFileName: 'scan.pdf',
    sourceFileId: 'abc123',
  });
  const t = eInvoiceTotals(f);
  m.issuer = f.seller.name;
  m.customer = f.buyer.name;
  m.primary_date = f.issueDate;
  m.extracted_fields.total_amount = t.gross;
  m.extracted_fields.currency = f.currency ?? 'EUR';
  m.extracted_fields.invoice_number = f.number;
  m.extracted_fields.due_date = f.dueDate ?? null;
  m.ocr_text_excerpt = printed;
  return m;
}

describe('eInvoiceToMetadata', () => {
  it('fills every field from a Factur-X invoice, with XML evidence', () => {
    const f = sampleEInvoice();
    const t = eInvoiceTotals(f);
    const printed = eInvoicePrintedLines(f).join('\n');
    const { metadata: m, findings } = eInvoiceToMetadata(parseEInvoice(buildCiiInvoiceXml(f)), {
      ...base,
      textResult: agreeingTextResult(f, printed),
    });
    expect(DocumentMetadataSchema.safeParse(m).success).toBe(true);
    expect(findings).toEqual([]);
    expect(m.errors).toEqual([]);
    expect(m).toMatchObject({
      doc_type: 'invoice',
      category: 'Financial & Administrative',
      subcategory: 'Invoices',
      issuer: 'Nordlicht Bürobedarf GmbH',
      customer: 'Kanzlei Weber & Partner',
      primary_date: '2024-03-05',
      language: 'de',
      page_count: 1,
      suggested_relative_path: 'Financial & Administrative/Invoices',
      deadline: '2024-04-04',
      deadline_source: 'explicit_due_date',
      urgency_score: 40, // 15 days before the due date
      confidence_score: 0.99,
    });
    expect(m.extracted_fields).toMatchObject({
      invoice_number: 'RE-2024-0815',
      due_date: '2024-04-04',
      currency: 'EUR',
      total_amount: t.gross,
      amount_due: t.due,
      net_amount: t.net,
      tax_amount: t.tax,
      tax_lines: [
        { rate: 7, net_amount: 39.9, tax_amount: 2.79 },
        { rate: 19, net_amount: 65, tax_amount: 12.35 },
      ],
      order_number: 'PO-77812',
      seller_tax_id: 'DE811234567',
      customer_tax_id: 'DE299876543',
      tax_id: 'DE811234567',
      iban: 'DE02120300000000202051',
      bic: 'BYLADEM1001',
      payment_terms: 'Zahlbar innerhalb von 30 Tagen ohne Abzug (due 2024-04-04)',
      customer_name: 'Kanzlei Weber & Partner',
      email: 'rechnung@nordlicht.example',
    });
    expect(m.extracted_fields.line_items).toEqual([
      { description: 'Kopierpapier A4, 80 g, 500 Blatt', quantity: 10, unit_price: 4.5, amount: 45 },
      { description: 'Fachbuch Steuerrecht 2024', quantity: 1, unit_price: 39.9, amount: 39.9 },
      { description: 'Kugelschreiber blau', quantity: 25, unit_price: 0.8, amount: 20 },
    ]);
    expect(m.field_evidence.total_amount).toEqual({
      confidence: 0.99,
      page: null,
      source_text: 'ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount 120.04',
      box: null,
    });
    expect(m.field_evidence.issuer?.source_text).toBe('ram:SellerTradeParty/ram:Name Nordlicht Bürobedarf GmbH');
    expect(m.field_evidence.invoice_number?.source_text).toBe('rsm:ExchangedDocument/ram:ID RE-2024-0815');
    for (const ev of Object.values(m.field_evidence)) expect(ev?.confidence).toBe(0.99);
    expect(m.action_items).toEqual([
      expect.objectContaining({
        description: 'Pay EUR 120.04 to Nordlicht Bürobedarf GmbH by 2024-04-04',
        due: '2024-04-04',
        priority: 'medium',
      }),
    ]);
    expect(m.title).toBe('Nordlicht Bürobedarf GmbH Invoice RE-2024-0815 March 2024');
    expect(m.suggested_file_name).toMatch(/^2024-03-05 - Nordlicht B.robedarf GmbH - invoice - RE-2024-0815$/);
    expect(m.tags).toEqual(
      expect.arrayContaining(['invoice', 'invoices', 'e-invoice', 'factur-x', '2024', 'eur', 'de', 'action-required']),
    );
    expect(m.tags.length).toBeLessThanOrEqual(12);
    expect(m.key_points).toEqual(expect.arrayContaining(['Total: EUR 120.04', 'Tax 19%: EUR 12.35 on EUR 65.00']));
    expect(m.ocr_text_excerpt).toContain('Gesamtbetrag');
    expect(reviewReasons(m, 0.8)).toEqual([]);
  });

  it('a credit note (UBL 381): credit note type, nothing to pay', () => {
    const f = sampleEInvoice({ typeCode: '381', number: 'GS-17' });
    const { metadata: m } = eInvoiceToMetadata(parseEInvoice(buildUblInvoiceXml(f)), base);
    expect(DocumentMetadataSchema.safeParse(m).success).toBe(true);
    expect(m.doc_type).toBe('credit note');
    expect(m.subcategory).toBe('Invoices');
    expect(m.title).toBe('Nordlicht Bürobedarf GmbH Credit Note GS-17 March 2024');
    expect(m.extracted_fields.total_amount).toBe(eInvoiceTotals(f).gross);
    expect(m.action_items).toEqual([]);
    expect(m.urgency_score).toBe(0);
    expect(m.deadline).toBeNull();
    expect(m.tags).toContain('credit-note');
    expect(m.field_evidence.total_amount?.source_text).toBe('cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount 120.04');
  });

  it('a self-billed invoice (389): the buyer is the issuer, the seller the customer; the seller expects payment', () => {
    const f = sampleEInvoice({ typeCode: '389', number: 'GUT-2024-3' });
    const { metadata: m } = eInvoiceToMetadata(parseEInvoice(buildCiiInvoiceXml(f)), base);
    expect(m.issuer).toBe('Kanzlei Weber & Partner');
    expect(m.customer).toBe('Nordlicht Bürobedarf GmbH');
    expect(m.extracted_fields.seller_tax_id).toBe('DE299876543');
    expect(m.extracted_fields.customer_tax_id).toBe('DE811234567');
    expect(m.field_evidence.issuer?.source_text).toBe('ram:BuyerTradeParty/ram:Name Kanzlei Weber & Partner');
    expect(m.doc_type).toBe('invoice');
    expect(m.title).toContain('Self-Billed Invoice');
    expect(m.key_points).toContain('Self-billed: issued by the buyer on behalf of the seller.');
    expect(m.action_items[0]?.description).toBe(
      'Expect payment of EUR 120.04 from Kanzlei Weber & Partner by 2024-04-04',
    );
    expect(m.tags).toContain('self-billed');
  });

  it('a printed total that differs from the XML: the XML wins, confidence drops under review, a note says so', () => {
    const f = sampleEInvoice();
    const printed = eInvoicePrintedLines(f, { gross: 999.99 }).join('\n');
    const text = agreeingTextResult(f, printed);
    text.extracted_fields.total_amount = 999.99;
    const { metadata: m, findings } = eInvoiceToMetadata(parseEInvoice(buildCiiInvoiceXml(f)), {
      ...base,
      textResult: text,
    });
    expect(m.extracted_fields.total_amount).toBe(120.04);
    expect(findings).toEqual([
      expect.objectContaining({ field: 'total_amount', xml: '120.04', text: '999.99', printed: false }),
    ]);
    expect(m.field_evidence.total_amount?.confidence).toBe(MISMATCH_UNPRINTED_CONFIDENCE);
    expect(m.confidence_score).toBe(MISMATCH_UNPRINTED_CONFIDENCE);
    expect(m.errors).toEqual([
      'E-invoice cross-check: the total read from the PDF text is "999.99", the embedded XML says "120.04" (which the PDF text does not show); the XML value is kept.',
    ]);
    expect(reviewReasons(m, 0.8)).toEqual(['total_amount confidence 0.60 is under 0.8']);
  });

  it('a text reading that picked another printed value: the XML value is printed too, so confidence stays above review', () => {
    const f = sampleEInvoice();
    const printed = eInvoicePrintedLines(f).join('\n');
    const text = agreeingTextResult(f, printed);
    text.issuer = 'Rechnung';
    text.primary_date = '2024-04-04';
    text.extracted_fields.invoice_number = 'PO-77812';
    text.extracted_fields.total_amount = 104.9; // the net: an accepted reading of "total"
    const { metadata: m, findings } = eInvoiceToMetadata(parseEInvoice(buildCiiInvoiceXml(f)), {
      ...base,
      textResult: text,
    });
    expect(findings.map((x) => [x.field, x.printed])).toEqual([
      ['issuer', true],
      ['primary_date', true],
      ['invoice_number', true],
    ]);
    expect(m.field_evidence.issuer?.confidence).toBe(MISMATCH_PRINTED_CONFIDENCE);
    expect(m.field_evidence.total_amount?.confidence).toBe(0.99);
    expect(m.errors).toHaveLength(3);
    expect(m.errors[0]).toContain('which the PDF also shows');
    expect(m.issuer).toBe('Nordlicht Bürobedarf GmbH');
    expect(reviewReasons(m, 0.8)).toEqual([]);
  });

  it('a due date written only in the payment terms: implied deadline, lower evidence confidence', () => {
    const f = sampleEInvoice({ dueDate: undefined, paymentTerms: 'Zahlbar bis 04.04.2024 ohne Abzug' });
    const { metadata: m } = eInvoiceToMetadata(parseEInvoice(buildCiiInvoiceXml(f)), base);
    expect(m.extracted_fields.due_date).toBe('2024-04-04');
    expect(m.deadline_source).toBe('implied_in_text');
    expect(m.field_evidence.due_date).toMatchObject({
      confidence: 0.9,
      source_text: 'ram:SpecifiedTradePaymentTerms/ram:Description Zahlbar bis 04.04.2024 ohne Abzug',
    });
  });

  it('direct debit: nothing to transfer, the amount is collected', () => {
    const f = sampleEInvoice({ paymentMeansCode: '59' });
    const { metadata: m } = eInvoiceToMetadata(parseEInvoice(buildCiiInvoiceXml(f)), base);
    expect(m.action_items[0]?.description).toBe(
      'EUR 120.04 will be collected by Nordlicht Bürobedarf GmbH (direct debit or card) by 2024-04-04',
    );
    expect(m.urgency_score).toBe(10);
  });

  it('an overdue invoice is critical; without a due date the amount due is still an action', () => {
    const f = sampleEInvoice();
    const late = eInvoiceToMetadata(parseEInvoice(buildCiiInvoiceXml(f)), {
      ...base,
      processedAt: '2024-05-01T00:00:00Z',
    });
    expect(late.metadata.urgency_score).toBe(95);
    expect(late.metadata.action_items[0]?.priority).toBe('critical');
    const open = eInvoiceToMetadata(
      parseEInvoice(buildCiiInvoiceXml({ ...f, dueDate: undefined, paymentTerms: 'Sofort zahlbar' })),
      base,
    );
    expect(open.metadata.action_items[0]?.description).toBe('Pay EUR 120.04 to Nordlicht Bürobedarf GmbH');
    expect(open.metadata.urgency_score).toBe(30);
    expect(open.metadata.deadline_source).toBe('none');
  });

  it('language: the texts first, then the seller country', () => {
    const en = sampleEInvoice({
      notes: ['Thank you for your order. Please pay the amount within 30 days of the invoice date.'],
      paymentTerms: 'Payment within 30 days',
    });
    expect(eInvoiceToMetadata(parseEInvoice(buildUblInvoiceXml(en)), { ...base, text: '' }).metadata.language).toBe(
      'en',
    );
    const fr = sampleEInvoice({
      seller: { name: 'Papeterie Dupont SARL', city: 'Lyon', country: 'FR' },
      lines: [{ description: 'X1', quantity: 1, unitPrice: 10 }],
      paymentTerms: undefined,
    });
    const m = eInvoiceToMetadata(parseEInvoice(buildUblInvoiceXml(fr)), { ...base, text: 'X1 10.00' }).metadata;
    expect(m.language).toBe('fr');
  });
});

describe('cross-check helpers', () => {
  it('sameName ignores legal forms, case and accents', () => {
    expect(sameName('MUSTERLIEFERANT GMBH', 'Musterlieferant GmbH')).toBe(true);
    expect(sameName('Lieferant GmbH', 'Lieferant')).toBe(true);
    expect(sameName('Müller AG', 'Mueller AG')).toBe(false);
    expect(sameName('Lieferant GmbH', 'Kunden AG Mitte')).toBe(false);
  });
  it('amountPrinted finds an amount in any usual spelling, never inside a longer number', () => {
    expect(amountPrinted(1234.5, 'Gesamt 1.234,50 EUR')).toBe(true);
    expect(amountPrinted(1234.5, 'Total $1,234.50')).toBe(true);
    expect(amountPrinted(1234.5, 'Total 1 234,50 €')).toBe(true);
    expect(amountPrinted(-8.79, 'Betrag -8,79 EUR')).toBe(true);
    expect(amountPrinted(300, 'Summe 300,00')).toBe(true);
    expect(amountPrinted(34.5, 'Total 1234.50')).toBe(false);
    expect(amountPrinted(120.04, 'Gesamtbetrag 999,99 EUR')).toBe(false);
  });
});
