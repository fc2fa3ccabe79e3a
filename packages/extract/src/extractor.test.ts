import { DocumentMetadataSchema } from '@autod/core';
import { describe, expect, it } from 'vitest';
import { confidenceFrom, extractOffline, type OfflineExtractInput } from './extractor.js';

const base: Omit<OfflineExtractInput, 'text'> = {
  fileName: 'scan_0001.pdf',
  processedAt: '2024-03-20T10:00:00.000Z',
  sourceFileId: 'sha256:abc',
};

function run(text: string, extra: Partial<OfflineExtractInput> = {}) {
  const out = extractOffline({ ...base, text, ...extra });
  expect(DocumentMetadataSchema.safeParse(out.metadata).success).toBe(true);
  return out;
}

const UTILITY = [
  'Springfield Power & Light Co.',
  '100 Energy Way, Springfield, IL 62701',
  'ELECTRICITY BILL',
  'Account Number: 4400-1234-77',
  'Statement Date: 03/05/2024',
  'Service period: Feb 1, 2024 - Feb 29, 2024',
  'Service address: 742 Evergreen Terrace',
  'Meter reading: 1,532 kWh',
  'Previous balance   $80.00',
  'Payment received   -$80.00',
  'Current charges   $96.40',
  'Total Amount Due   $96.40',
  'Payment due by: March 28, 2024',
].join('\n');

describe('extractOffline on typical documents', () => {
  it('reads a utility bill: type, issuer, dates, total, due action', () => {
    const { metadata: m, evidence } = run(UTILITY);
    expect(m.doc_type).toBe('utility bill');
    expect(m.category).toBe('Financial & Administrative');
    expect(m.subcategory).toBe('Utilities');
    expect(m.issuer).toBe('Springfield Power & Light Co.');
    expect(m.primary_date).toBe('2024-03-05');
    expect(m.period_start_date).toBe('2024-02-01');
    expect(m.period_end_date).toBe('2024-02-29');
    expect(m.extracted_fields.amount_due).toBe(96.4);
    expect(m.extracted_fields.currency).toBe('USD');
    expect(m.extracted_fields.account_number).toBe('4400-1234-77');
    expect(m.extracted_fields.due_date).toBe('2024-03-28');
    expect(m.extracted_fields.service_address).toBe('742 Evergreen Terrace');
    expect(m.deadline).toBe('2024-03-28');
    expect(m.deadline_source).toBe('explicit_due_date');
    expect(m.action_items[0]?.description).toBe('Pay USD 96.40 to Springfield Power & Light Co. by 2024-03-28');
    expect(m.action_items[0]?.priority).toBe('medium'); // 8 days ahead
    expect(m.urgency_score).toBe(55);
    expect(m.title).toBe('Springfield Power & Light Co. Utility Bill March 2024');
    expect(m.suggested_file_name).toBe('2024-03-05 - Springfield Power & Light Co - utility bill');
    expect(m.suggested_relative_path).toBe('Financial & Administrative/Utilities');
    expect(m.language).toBe('en');
    expect(m.confidence_score).toBeGreaterThanOrEqual(0.8);
    expect(evidence.map((e) => e.field)).toEqual(
      expect.arrayContaining(['doc_type', 'issuer', 'primary_date', 'total', 'due_date']),
    );
  });

  it('reads a European invoice with EU number and date formats', () => {
    const text = [
      'Müller Software GmbH',
      'Hauptstraße 5, 10115 Berlin',
      'RECHNUNG',
      'Rechnungsnummer: RE-2024-0815',
      'Rechnungsdatum: 15.03.2024',
      'Leistung   Menge   Betrag',
      'Beratung   10   1.000,00 €',
      'Zwischensumme   1.000,00 €',
      'MwSt 19%   190,00 €',
      'Gesamtbetrag   1.190,00 €',
      'Zahlbar bis 14.04.2024',
      'Bitte überweisen Sie den Betrag auf das Konto der Firma. Wir danken für die Zusammenarbeit und die gute Arbeit mit Ihnen.',
    ].join('\n');
    const { metadata: m } = run(text);
    expect(m.doc_type).toBe('invoice');
    expect(m.subcategory).toBe('Invoices');
    expect(m.issuer).toBe('Müller Software GmbH');
    expect(m.primary_date).toBe('2024-03-15');
    expect(m.extracted_fields.invoice_number).toBe('RE-2024-0815');
    expect(m.extracted_fields.amount_due).toBe(1190);
    expect(m.extracted_fields.currency).toBe('EUR');
    expect(m.extracted_fields.due_date).toBe('2024-04-14');
    expect(m.language).toBe('de');
  });

  it('reads a receipt (no due date, total beats subtotal and tax)', () => {
    const text = [
      'GREEN GROCER MARKET',
      '12 Elm Street',
      'Receipt #88123',
      '2024-02-10 14:32',
      'Apples 2 x 1.50   3.00',
      'Bread   2.50',
      'Subtotal   5.50',
      'Tax   0.44',
      'TOTAL   $5.94',
      'VISA card ending 4242',
      'Thank you for shopping with us!',
    ].join('\n');
    const { metadata: m } = run(text);
    expect(m.doc_type).toBe('receipt');
    expect(m.issuer).toBe('GREEN GROCER MARKET');
    expect(m.primary_date).toBe('2024-02-10');
    expect(m.key_points).toContain('Total: USD 5.94');
    expect(m.action_items).toEqual([]);
    expect(m.deadline_source).toBe('none');
  });

  it('reads a W-2 as a tax form', () => {
    const text = [
      'Form W-2 Wage and Tax Statement 2023',
      'Employer: Globex Corporation',
      'Employer identification number (EIN): 12-3456789',
      'Wages, tips, other compensation   85,000.00',
      'Federal income tax withheld   12,400.00',
      'Social security wages   85,000.00',
    ].join('\n');
    const { metadata: m } = run(text);
    expect(m.doc_type).toBe('tax form');
    expect(m.subcategory).toBe('Taxes');
    expect(m.issuer).toBe('Globex Corporation');
    expect(m.extracted_fields.tax_id).toBe('12-3456789');
  });

  it('reads a letter with From: and a labelled date', () => {
    const text = [
      'From: Riverside Dental Clinic',
      'Date: April 2, 2024',
      '',
      'Dear Ms. Smith,',
      'This is a reminder of your appointment. Please call us to confirm.',
      'Kind regards,',
      'Dr. Jones',
    ].join('\n');
    const { metadata: m } = run(text);
    expect(m.issuer).toBe('Riverside Dental Clinic');
    expect(m.primary_date).toBe('2024-04-02');
    expect(m.extracted_fields.customer_name).toBe('Ms. Smith');
    expect(m.extracted_fields.amount_due).toBeNull();
  });

  it('prefers the labelled statement date over earlier unlabelled and later dates', () => {
    const text = [
      'First National Bank',
      'Printed 01/02/2024',
      'Account Statement',
      'Statement Date: 01/31/2024',
      'Opening balance $10.00',
      'Closing balance $20.00',
      'Deposit 01/15/2024 $10.00',
    ].join('\n');
    const { metadata: m } = run(text);
    expect(m.doc_type).toBe('bank statement');
    expect(m.primary_date).toBe('2024-01-31');
    expect(m.extracted_fields.balance).toBe(20);
  });

  it('marks overdue bills critical', () => {
    const { metadata: m } = run(UTILITY, { processedAt: '2024-05-01T00:00:00Z' });
    expect(m.action_items[0]?.priority).toBe('critical');
    expect(m.urgency_score).toBe(95);
  });

  it('truncates long text with a marker and keeps signature short', () => {
    const long = 'Invoice total $5.00\n' + 'lorem ipsum dolor '.repeat(5000);
    const { metadata: m } = run(long);
    expect(m.ocr_text_excerpt?.length).toBeLessThanOrEqual(40_000);
    expect(m.ocr_text_excerpt?.endsWith(' … (truncated)')).toBe(true);
    expect(m.content_signature?.length).toBeLessThanOrEqual(512);
  });

  it('writes page summaries from the pages given', () => {
    const { metadata: m } = run('Page one text\n\nPage two text', {
      pages: [
        { page: 1, text: 'Page one text', source: 'text' },
        { page: 2, text: 'Page two text', source: 'ocr' },
      ],
      pageCount: 2,
    });
    expect(m.page_count).toBe(2);
    expect(m.ocr_page_summaries.map((p) => p.page)).toEqual([1, 2]);
    expect(m.ocr_page_summaries[1]?.image_description).toMatch(/OCR/);
    expect(m.tags).toContain('ocr');
  });
});

describe('extractOffline robustness', () => {
  it('empty text: schema-valid, zero confidence, an error entry, file name from the input', () => {
    const { metadata: m } = run('', { fileName: 'My Scan (1).pdf' });
    expect(m.confidence_score).toBe(0);
    expect(m.errors.length).toBe(1);
    expect(m.suggested_file_name).toBe('My Scan (1)');
    expect(m.doc_type).toBeNull();
  });

  it('text without recognisable fields keeps confidence at or below 0.3', () => {
    const { metadata: m } = run('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor');
    expect(m.confidence_score).toBeLessThanOrEqual(0.3);
    expect(m.doc_type).toBe('document');
  });

  it('survives garbage, control characters, huge lines and odd inputs', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'abcXYZ019 .,:;/-$€£%()\n\t\u0000\u0007\u00a0ÄéßInvoiceTotalDue0123456789';
    const inputs: string[] = [
      '\n\n\n',
      '$$$$ €€€ 1,2,3,4 ...',
      '99/99/9999 31.02.2024 00-00-0000',
      'x'.repeat(100_000),
      'Total: ' + '9'.repeat(400),
    ];
    for (let i = 0; i < 150; i++) {
      let s = '';
      const n = Math.floor(rand() * 600);
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(rand() * alphabet.length)];
      inputs.push(s);
    }
    for (const text of inputs) run(text);
  });

  it('odd tracking inputs still give schema-valid output', () => {
    const out = extractOffline({ text: 'Invoice', fileName: '', processedAt: '', sourceFileId: '' });
    expect(DocumentMetadataSchema.safeParse(out.metadata).success).toBe(true);
    const long = extractOffline({
      text: 'Invoice',
      fileName: 'a'.repeat(400) + '.pdf',
      processedAt: 'not a date',
      sourceFileId: 'x',
    });
    expect(DocumentMetadataSchema.safeParse(long.metadata).success).toBe(true);
  });
});

describe('confidenceFrom', () => {
  const none = {
    textChars: 500,
    typeScore: 0,
    typeRunnerUp: 0,
    typeFound: false,
    issuerStrength: 0,
    dateKind: 'none' as const,
    totalKind: 'none' as const,
    payable: false,
    ids: 0,
    due: false,
  };
  it('is 0 without text, low without evidence, high with strong labelled fields', () => {
    expect(confidenceFrom({ ...none, textChars: 0 })).toBe(0);
    expect(confidenceFrom(none)).toBeLessThanOrEqual(0.3);
    const strong = confidenceFrom({
      ...none,
      typeScore: 12,
      typeRunnerUp: 2,
      typeFound: true,
      issuerStrength: 0.85,
      dateKind: 'labelled',
      totalKind: 'labelled',
      payable: true,
      ids: 2,
      due: true,
    });
    expect(strong).toBeGreaterThanOrEqual(0.8);
    expect(strong).toBeLessThanOrEqual(0.95);
  });
  it('grows with each piece of evidence', () => {
    const a = confidenceFrom({ ...none, typeScore: 6, typeFound: true });
    const b = confidenceFrom({ ...none, typeScore: 6, typeFound: true, issuerStrength: 0.8 });
    const c = confidenceFrom({ ...none, typeScore: 6, typeFound: true, issuerStrength: 0.8, dateKind: 'labelled' });
    expect(a).toBeLessThan(b);
    expect(b).toBeLessThan(c);
  });
});

describe('extractOffline on more layouts', () => {
  it('payslip: employer from letterhead, not the department line; net pay is the amount', () => {
    const text = [
      'Initech LLC',
      'Payroll Department',
      '',
      'Earnings Statement',
      'Employee: Jane Roe  Employee ID: E100',
      'Pay date: 2024-05-31',
      'Pay period: 2024-05-16 - 2024-05-31',
      'Gross pay: $4,000.00',
      'Taxes and deductions: $1,100.00',
      'Net pay: $2,900.00',
    ].join('\n');
    const { metadata: m, facts } = run(text);
    expect(m.doc_type).toBe('payslip');
    expect(m.issuer).toBe('Initech LLC');
    expect(m.primary_date).toBe('2024-05-31');
    expect(facts.totalAmount).toBe(2900);
    expect(m.extracted_fields.customer_name).toBe('Jane Roe');
    expect(m.action_items).toEqual([]);
  });

  it('statement without a statement date is dated at the end of its period; table dates do not count', () => {
    const text = [
      'Harbor Credit Union',
      'Account Statement',
      'Account: 55-1234',
      'Statement period: 01.03.2024 to 31.03.2024',
      'Opening balance: 1.000,00 EUR',
      'Closing balance: 1.250,50 EUR',
      'Date  Description  Amount  Balance',
      '02.03.2024  CARD PAYMENT  -50,00 EUR  950,00 EUR',
      '15.03.2024  SALARY  300,50 EUR  1.250,50 EUR',
    ].join('\n');
    const { metadata: m, facts } = run(text);
    expect(m.doc_type).toBe('bank statement');
    expect(m.primary_date).toBe('2024-03-31');
    expect(m.period_start_date).toBe('2024-03-01');
    expect(facts.totalAmount).toBe(1250.5);
    expect(facts.currency).toBe('EUR');
  });

  it('ignores sentences and "us" as issuer candidates', () => {
    const text = [
      'Thank you for choosing us.',
      'Blue Harbor Outfitters',
      '12 Dock Rd',
      'Receipt #991',
      '03/02/2024 10:15',
      'TOTAL $45.10',
      'Thank you for shopping with us!',
    ].join('\n');
    const { metadata: m } = run(text);
    expect(m.issuer).toBe('Blue Harbor Outfitters');
    expect(m.doc_type).toBe('receipt');
  });

  it('a letter from a public body is filed under Legal & Government', () => {
    const text = [
      'Riverside County Department of Motor Vehicles',
      '1 Main St',
      'June 3, 2024',
      '',
      'Dear Mr. Lee,',
      'This letter concerns your registration renewal.',
      'Please respond no later than July 1, 2024.',
      'Sincerely,',
      'Clerk',
    ].join('\n');
    const { metadata: m } = run(text);
    expect(m.doc_type).toBe('letter');
    expect(m.category).toBe('Legal & Government');
    expect(m.subcategory).toBe('Government');
    expect(m.primary_date).toBe('2024-06-03');
    expect(m.extracted_fields.due_date).toBe('2024-07-01');
    expect(m.action_items[0]?.description).toMatch(/^Respond to Riverside County/);
  });

  it('medical statement: patient responsibility beats total charges', () => {
    const text = [
      'Lakeview Clinic',
      'Patient Statement',
      'Statement date: 2024-02-01',
      'Total charges: $500.00',
      'Insurance payments: -$400.00',
      'Patient responsibility: $100.00',
      'Please pay by: 2024-03-01',
    ].join('\n');
    const { metadata: m, facts } = run(text);
    expect(m.doc_type).toBe('medical record');
    expect(facts.totalAmount).toBe(100);
    expect(m.extracted_fields.due_date).toBe('2024-03-01');
  });

  it('tax form without a total label takes the headline amount', () => {
    const text = [
      'Internal Revenue Service',
      'Form 1099-INT Interest Income 2023',
      'Date: 2024-01-31',
      'Interest income: $1,234.56',
      'Federal income tax withheld: $0.00',
    ].join('\n');
    const { metadata: m, facts } = run(text);
    expect(m.doc_type).toBe('tax form');
    expect(m.issuer).toBe('Internal Revenue Service');
    expect(facts.totalAmount).toBe(1234.56);
  });
});

describe('extractOffline on the failures real documents showed', () => {
  it('a year in the total label is not the total; the total goes to total_amount', () => {
    const { metadata: m } = run(
      [
        'Fast Parking Inc.',
        'RECEIPT 88123',
        'Date: August 1, 2014',
        'Parking 2h   $4.11',
        'TOTAL AMOUNT DUE ON August 3, 2014   $4.11',
      ].join('\n'),
    );
    expect(m.extracted_fields.total_amount).toBe(4.11);
    expect(m.extracted_fields.currency).toBe('USD');
  });

  it('a till slip titled "tax invoice" (cash handed over, change given back, nothing asked for) is a receipt', () => {
    const { metadata: m } = run(
      [
        'KEDAI RUNCIT MAJU SDN BHD',
        'NO 12 JALAN PASAR 2',
        'SIMPLIFIED TAX INVOICE',
        'INVOICE NO: CS00012345   DATE: 03/02/2018 14:22',
        'CASHIER: AMIN',
        'QTY  ITEM          AMT',
        '2    MILO 1KG      31.80',
        '1    SUGAR 2KG      5.90',
        'TOTAL INCL GST     37.70',
        'ROUNDING ADJ       0.00',
        'CASH               50.00',
        'CHANGE             12.30',
        'THANK YOU. PLEASE COME AGAIN',
      ].join('\n'),
    );
    expect(m.doc_type).toBe('receipt');
    expect(m.extracted_fields.total_amount).toBe(37.7);
  });

  it('an invoice that mentions cash and change but asks for payment stays an invoice', () => {
    const { metadata: m } = run(
      [
        'Northwind Consulting Ltd',
        'TAX INVOICE',
        'Invoice No: INV-2024-0042   Invoice date: 2024-03-01',
        'Bill to: Contoso Pty Ltd',
        'Cash-flow review workshop   1,200.00',
        'Change management coaching    800.00',
        'Total due   2,000.00 AUD',
        'Payment terms: 14 days. Due date: 2024-03-15',
      ].join('\n'),
    );
    expect(m.doc_type).toBe('invoice');
  });

  it('a receipt exports its total (total_amount) though nothing is payable', () => {
    const { metadata: m } = run(
      ['QUICK MART', 'RECEIPT', 'Bread   2.50', 'TOTAL   $2.50', 'CASH   $5.00', 'CHANGE   $2.50'].join('\n'),
    );
    expect(m.doc_type).toBe('receipt');
    expect(m.extracted_fields.amount_due).toBeNull();
    expect(m.extracted_fields.total_amount).toBe(2.5);
  });

  it('the customer block is the customer, the table header is not the issuer', () => {
    const { metadata: m } = run(
      [
        'Hotel Details   Check In   Check Out   Rooms',
        'Bill to:',
        'Anna Keller',
        '12 Lake Road',
        'Lakeside Inn Ltd',
        'INVOICE 5521   Date: 12/03/2024',
        'Total due   £240.00',
      ].join('\n'),
    );
    expect(m.customer).toBe('Anna Keller');
    expect(m.issuer).toBe('Lakeside Inn Ltd');
  });

  it('a Dutch invoice: "maart", 8-9-2022 day first, an IBAN, and still an invoice', () => {
    const { metadata: m } = run(
      [
        'Schildersbedrijf Kok B.V.',
        'Factuur',
        'Factuurnummer: 2022-0412   Factuurdatum: 8-9-2022',
        'Totaal te betalen   € 1.210,00',
        'Betalen vóór 14 maart 2023 op IBAN NL91 ABNA 0417 1643 00, BIC ABNANL2A',
      ].join('\n'),
    );
    expect(m.doc_type).toBe('invoice');
    expect(m.primary_date).toBe('2022-09-08');
    expect(m.extracted_fields.iban).toBe('NL91 ABNA 0417 1643 00');
    expect(m.extracted_fields.bic).toBe('ABNANL2A');
    expect(m.extracted_fields.total_amount).toBe(1210);
    expect(m.language).toBe('nl');
  });

  it('Rs, ₹ and an OCR-misread ¥ on an Indian bill are INR; RM is MYR', () => {
    expect(
      run('Sharma Traders Pvt. Ltd.\nGSTIN 27AABCS1429B1ZB\nGrand Total   Rs. 1,250.00').metadata.extracted_fields
        .currency,
    ).toBe('INR');
    expect(
      run('Sharma Traders Pvt. Ltd.\nGSTIN 27AABCS1429B1ZB\nGrand Total   ¥ 1,250.00').metadata.extracted_fields
        .currency,
    ).toBe('INR');
    expect(run('KEDAI MAJU\nTOTAL   RM 12.50').metadata.extracted_fields.currency).toBe('MYR');
  });

  it('an OCR scan gets lower field confidence than the same text layer, and the document follows its weakest field', () => {
    const text = [
      'lim mei ling',
      'GOLDEN LEAF STATIONERY',
      'JALAN BESAR, 45600 BATANG',
      'Date: 18/01/2018',
      'TOTAL   RM 4.90',
    ].join('\n');
    const scanned = run(text, { pages: [{ page: 1, text, source: 'ocr' }] }).metadata;
    const digital = run(text, { pages: [{ page: 1, text, source: 'text' }] }).metadata;
    expect(scanned.issuer).toBe('GOLDEN LEAF STATIONERY');
    expect(scanned.field_evidence.issuer?.confidence).toBeLessThan(0.8);
    expect(scanned.field_evidence.issuer?.confidence).toBeLessThan(digital.field_evidence.issuer?.confidence ?? 0);
    const weakest = Math.min(
      ...(['issuer', 'primary_date', 'total_amount', 'currency'] as const).map(
        (f) => scanned.field_evidence[f]?.confidence ?? 0,
      ),
    );
    expect(scanned.confidence_score).toBeLessThanOrEqual(weakest + 0.05);
  });

  it('fills the invoice detail of schema 1.1 with evidence', () => {
    const text = [
      'Tischlerei Berger GmbH',
      'USt-IdNr.: DE 274 118 903',
      'Rechnungsempfänger:',
      'Praxis Dr. Sommer',
      'Rechnung Nr. 2024-0312 vom 08.03.2024',
      'Bestellnummer: B-7781',
      'Beschreibung   Menge   Einzelpreis   Gesamt',
      'Regal Eiche   2   400,00 €   800,00 €',
      'Nettobetrag   800,00 €',
      'MwSt 19 %   152,00 €',
      'Rechnungsbetrag   952,00 €',
      'Zahlungsbedingungen: 14 Tage netto',
      'IBAN DE89 3704 0044 0532 0130 00',
    ].join('\n');
    const { metadata: m } = run(text);
    const ef = m.extracted_fields;
    expect(m.customer).toBe('Praxis Dr. Sommer');
    expect(ef).toMatchObject({
      invoice_number: '2024-0312',
      order_number: 'B-7781',
      total_amount: 952,
      net_amount: 800,
      tax_amount: 152,
      seller_tax_id: 'DE 274 118 903',
      iban: 'DE89 3704 0044 0532 0130 00',
      payment_terms: '14 Tage netto',
      currency: 'EUR',
    });
    expect(ef.tax_lines).toContainEqual({ rate: 19, net_amount: null, tax_amount: 152 });
    expect(ef.line_items).toEqual([{ description: 'Regal Eiche', quantity: 2, unit_price: 400, amount: 800 }]);
    expect(m.field_evidence.total_amount).toMatchObject({ page: 1, source_text: 'Rechnungsbetrag 952,00 €' });
    expect(m.field_evidence.total_amount?.confidence).toBeGreaterThanOrEqual(0.95);
    expect(m.field_evidence.invoice_number?.source_text).toBe('Rechnung Nr. 2024-0312 vom 08.03.2024');
  });
});

describe('extractOffline on more layouts', () => {
  it('a two-column German header: issuer, customer, number and date on shared lines', () => {
    const { metadata: m } = run(
      [
        'ACME Maschinenbau GmbH                              Rechnung',
        'Industriestraße 4, 70565 Stuttgart',
        'Kunde: Bäckerei Huber   Rechnungsnummer: 2024-551   Datum: 01.02.2024',
        'Pos   Bezeichnung   Menge   Einzelpreis   Gesamt',
        '1   Wartung Knetmaschine   1   480,00   480,00',
        'Nettobetrag   480,00',
        'USt 19%   91,20',
        'Gesamtbetrag   571,20 EUR',
      ].join('\n'),
    );
    expect(m).toMatchObject({
      issuer: 'ACME Maschinenbau GmbH',
      customer: 'Bäckerei Huber',
      primary_date: '2024-02-01',
    });
    expect(m.extracted_fields).toMatchObject({
      invoice_number: '2024-551',
      total_amount: 571.2,
      net_amount: 480,
      tax_amount: 91.2,
    });
  });

  it('the sender only in the footer; the salutation is no issuer', () => {
    const { metadata: m } = run(
      [
        'Rechnung',
        'Rechnungsnummer 88-112',
        'Datum 14.05.2024',
        'Sehr geehrte Damen und Herren,',
        'wir berechnen Ihnen:',
        'Beratung   3 Std.   270,00 €',
        'Summe   270,00 €',
        'zzgl. 19 % MwSt   51,30 €',
        'Rechnungsbetrag   321,30 €',
        'Müller & Söhne GmbH · Geschäftsführer: Karl Müller · Amtsgericht Bonn HRB 4411 · USt-IdNr. DE 211 345 678',
      ].join('\n'),
    );
    expect(m.issuer).toBe('Müller & Söhne GmbH');
    expect(m.extracted_fields.seller_tax_id).toBe('DE 211 345 678');
  });

  it('"Remit to" names the issuer, "Bill to" the customer (en-US)', () => {
    const { metadata: m } = run(
      [
        'INVOICE',
        'Invoice #: 10442',
        'Date: 04/12/2024',
        'Remit to:',
        'Pioneer Staffing Inc.',
        'PO Box 7712, Dallas, TX 75201',
        'Bill to:',
        'Redwood Clinic LLC',
        'Description   Hours   Rate   Amount',
        'Temporary nurse, week 14   40   $55.00   $2,200.00',
        'Total   $2,200.00',
        'Amount Due   $2,200.00',
      ].join('\n'),
    );
    expect(m).toMatchObject({
      issuer: 'Pioneer Staffing Inc.',
      customer: 'Redwood Clinic LLC',
      primary_date: '2024-04-12',
    });
    expect(m.extracted_fields.total_amount).toBe(2200);
  });

  it('an online order: "Sold by" is the issuer, the order total the total', () => {
    const { metadata: m } = run(
      [
        'Order Summary',
        'Order placed: March 9, 2024',
        'Order number: 112-4433221-9988776',
        'Sold by: Greenleaf Home Goods',
        'Items (2):   $39.98',
        'Shipping & handling:   $5.99',
        'Total before tax:   $45.97',
        'Estimated tax:   $3.22',
        'Order Total:   $49.19',
        'Payment: Visa ending in 1881',
      ].join('\n'),
    );
    expect(m.doc_type).toBe('receipt');
    expect(m.issuer).toBe('Greenleaf Home Goods');
    expect(m.extracted_fields.total_amount).toBe(49.19);
  });

  it('a restaurant bill: the total includes the tip', () => {
    const { metadata: m } = run(
      [
        'Trattoria Da Mario',
        '123 Columbus Ave, New York, NY 10023',
        'Server: Luca   Table 7   Guests 2',
        '05/18/2024 8:42 PM',
        '2 Margherita   36.00',
        '1 Tiramisu   9.50',
        'Subtotal   45.50',
        'Tax   4.04',
        'Tip   9.10',
        'Total   58.64',
        'VISA XXXX1234   58.64',
      ].join('\n'),
    );
    expect(m.doc_type).toBe('receipt');
    expect(m.extracted_fields.total_amount).toBe(58.64);
    expect(m.primary_date).toBe('2024-05-18');
  });

  it('a Spanish simplified invoice: Entregado/Cambio, the number after "Factura simplificada"', () => {
    const { metadata: m } = run(
      [
        'SUPERMERCADO LA ESQUINA',
        'C/ Mayor 12, 28013 Madrid',
        'NIF B12345678',
        'FACTURA SIMPLIFICADA 0012-334455',
        'Fecha: 03/06/2024  Hora: 12:11',
        'PAN BARRA   0,95',
        'LECHE ENTERA 1L   1,15',
        'TOTAL (€)   12,30',
        'Entregado   20,00',
        'Cambio   7,70',
      ].join('\n'),
    );
    expect(m.extracted_fields).toMatchObject({ invoice_number: '0012-334455', total_amount: 12.3, currency: 'EUR' });
    expect(m.primary_date).toBe('2024-06-03');
  });
});

describe('extractOffline on bills and receipts in more languages', () => {
  it('fr: Montant TTC is the total, the prepayment lowers the amount due only, the title leaves the customer', () => {
    const { metadata: m } = run(
      [
        'Menuiserie Dubois SAS',
        '8 avenue Jean Jaurès, 44000 Nantes',
        'SIRET 812 345 678 00019',
        'Facture n° 2024-045 du 12 février 2024',
        'Client : Mme Sophie Laurent',
        'Pose de fenêtres   1   3 200,00 €',
        'Total HT   3 200,00 €',
        'TVA 10 %   320,00 €',
        'Montant TTC   3 520,00 €',
        'Acompte versé   -1 000,00 €',
        'Net à payer   2 520,00 €',
      ].join('\n'),
    );
    expect(m).toMatchObject({
      issuer: 'Menuiserie Dubois SAS',
      customer: 'Sophie Laurent',
      primary_date: '2024-02-12',
    });
    expect(m.extracted_fields).toMatchObject({ invoice_number: '2024-045', total_amount: 3520, amount_due: 2520 });
  });

  it('it: a gas and power bill (bolletta) with its holder and due date', () => {
    const { metadata: m } = run(
      [
        'Luce Verde Energia S.p.A.',
        'Bolletta n. 7781002 del 10/03/2024',
        'Intestatario: Giulia Conti',
        'Periodo: 01/01/2024 - 29/02/2024',
        'Spesa per la materia energia   € 52,10',
        'Spesa per il trasporto   € 21,30',
        'Imposte   € 6,05',
        'IVA 10%   € 7,95',
        'Totale bolletta   € 87,40',
        'Scadenza 02/04/2024',
      ].join('\n'),
    );
    expect(m.doc_type).toBe('utility bill');
    expect(m).toMatchObject({ customer: 'Giulia Conti', primary_date: '2024-03-10' });
    expect(m.extracted_fields).toMatchObject({ total_amount: 87.4, due_date: '2024-04-02', currency: 'EUR' });
  });

  it('nl: an annual energy statement dated in Dutch, the total costs above what is still to pay', () => {
    const { metadata: m } = run(
      [
        'Energie Direct Nederland B.V.',
        'Jaarnota',
        'Datum: 15 januari 2025',
        'Klantnummer 4451207',
        'Periode: 1 januari 2024 t/m 31 december 2024',
        'Totaal kosten   € 2.104,55',
        'Reeds betaald   € 1.980,00',
        'Nog te betalen   € 124,55',
      ].join('\n'),
    );
    expect(m.doc_type).toBe('utility bill');
    expect(m.primary_date).toBe('2025-01-15');
    expect(m.extracted_fields).toMatchObject({ total_amount: 2104.55, amount_due: 124.55 });
  });

  it('de: a supermarket receipt (SUMME, Geg. Bar, Rückgeld) with a two-digit-year date', () => {
    const { metadata: m } = run(
      [
        'EDEKA Schneider',
        'Hauptstr. 12',
        '79098 Freiburg',
        'Bananen 1,2 kg   2,38 A',
        'Vollmilch 1L   1,19 A',
        'Kaffee 500g   6,99 A',
        'SUMME EUR   10,56',
        'Geg. Bar EUR   20,00',
        'Rückgeld EUR   9,44',
        'MwSt   Netto   Steuer   Brutto',
        'A 7%   9,87   0,69   10,56',
        '12.03.24   14:22   Bon 4471',
        'Vielen Dank für Ihren Einkauf',
      ].join('\n'),
    );
    expect(m.doc_type).toBe('receipt');
    expect(m).toMatchObject({ issuer: 'EDEKA Schneider', primary_date: '2024-03-12' });
    expect(m.extracted_fields).toMatchObject({ total_amount: 10.56, amount_due: null, currency: 'EUR' });
  });

  it('pt: a water bill (Valor a pagar, Data de emissão, series invoice number)', () => {
    const { metadata: m } = run(
      [
        'Águas do Norte, S.A.',
        'Fatura nº FT 2024A/55120',
        'Data de emissão: 28/02/2024',
        'Cliente: Manuel Pereira',
        'Consumo de água   18,40 €',
        'Saneamento   9,87 €',
        'Resíduos   6,10 €',
        'IVA   1,30 €',
        'Valor a pagar: 45,67 €',
        'Data limite de pagamento: 15/03/2024',
      ].join('\n'),
    );
    expect(m).toMatchObject({ customer: 'Manuel Pereira', primary_date: '2024-02-28' });
    expect(m.extracted_fields).toMatchObject({ invoice_number: 'FT 2024A/55120', total_amount: 45.67 });
  });

  it('en-GB: "1st March 2024", Total inc VAT, the VAT number as the seller tax id', () => {
    const { metadata: m } = run(
      [
        'Oakwood Joinery Ltd',
        'Unit 3, Mill Lane, Bristol BS1 4QA',
        'VAT Registration No. GB 123 4567 89',
        'INVOICE',
        'Invoice Date: 1st March 2024',
        'Invoice No: OJ-2024-031',
        'To: Harris & Co Solicitors',
        'Bespoke bookcase   1,041.67',
        'Total (GBP) excl. VAT   1,041.67',
        'VAT @ 20%   208.33',
        'Total inc VAT   1,250.00',
      ].join('\n'),
    );
    expect(m).toMatchObject({
      issuer: 'Oakwood Joinery Ltd',
      customer: 'Harris & Co Solicitors',
      primary_date: '2024-03-01',
    });
    expect(m.extracted_fields).toMatchObject({
      total_amount: 1250,
      net_amount: 1041.67,
      tax_amount: 208.33,
      currency: 'GBP',
    });
  });

  it('en-US: a utility statement; "PO Box" is no order number', () => {
    const { metadata: m } = run(
      [
        'Valley Gas & Electric',
        'PO Box 2000, Fresno, CA 93721',
        'Statement date 03/25/2024',
        'Account number 5520-1187-09',
        'Previous balance   $80.00',
        'Payment received - Thank you   -$80.00',
        'Current charges   $123.45',
        'Amount Due $123.45 by 04/15/2024',
      ].join('\n'),
    );
    expect(m.doc_type).toBe('utility bill');
    expect(m.extracted_fields).toMatchObject({
      total_amount: 123.45,
      order_number: null,
      account_number: '5520-1187-09',
    });
  });
});
