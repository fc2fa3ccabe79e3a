import { describe, expect, it } from 'vitest';
import { isAutodError } from '@autod/errors';
import {
  buildCiiInvoiceXml,
  buildUblInvoiceXml,
  eInvoiceTotals,
  sampleEInvoice,
  type CiiDialect,
  type EInvoiceFixture,
} from '@autod/testkit';
import { parseEInvoice } from './parse.js';
import { sniffEInvoiceXml } from './xml.js';
import type { EInvoice } from './model.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Every field of the fixture, as the reader must return it. */
function expectFixture(inv: EInvoice, f: EInvoiceFixture): void {
  const t = eInvoiceTotals(f);
  expect(inv.number).toBe(f.number);
  expect(inv.typeCode).toBe(f.typeCode ?? '380');
  expect(inv.issueDate).toBe(f.issueDate);
  expect(inv.currency).toBe(f.currency ?? 'EUR');
  expect(inv.seller.name).toBe(f.seller.name);
  expect(inv.seller.vatId).toBe(f.seller.vatId ?? null);
  expect(inv.seller.taxNumber).toBe(f.seller.taxNumber ?? null);
  expect(inv.seller.address).toMatchObject({
    lines: [f.seller.street],
    postcode: f.seller.postcode,
    city: f.seller.city,
    countryCode: f.seller.country ?? 'DE',
  });
  expect(inv.buyer.name).toBe(f.buyer.name);
  expect(inv.buyer.vatId).toBe(f.buyer.vatId ?? null);
  expect(inv.orderNumber).toBe(f.orderNumber ?? null);
  expect(inv.totals.net).toBeCloseTo(t.net, 2);
  expect(inv.totals.tax).toBeCloseTo(t.tax, 2);
  expect(inv.totals.gross).toBeCloseTo(t.gross, 2);
  expect(inv.totals.due).toBeCloseTo(t.due, 2);
  expect(inv.taxLines.map((l) => [l.rate, l.net, l.tax])).toEqual(t.taxLines.map((l) => [l.rate, l.net, l.tax]));
  expect(inv.lines.map((l) => [l.description, l.quantity, l.unitPrice, l.amount])).toEqual(
    f.lines.map((l, i) => [l.description, l.quantity, l.unitPrice, t.lines[i]?.amount]),
  );
  expect(inv.ibans).toEqual(f.iban ? [f.iban.replace(/\s/g, '')] : []);
  expect(inv.bic).toBe(f.bic ?? null);
  if (f.dueDate) expect(inv.dueDate).toBe(f.dueDate);
  if (f.paymentTerms) expect(inv.paymentTerms).toContain(f.paymentTerms);
}

describe('sniffEInvoiceXml', () => {
  const f = sampleEInvoice();
  it.each([
    ['factur-x-en16931', 'cii', 'CrossIndustryInvoice'],
    ['zugferd-2-extended', 'cii', 'CrossIndustryInvoice'],
    ['xrechnung-cii', 'cii', 'CrossIndustryInvoice'],
    ['zugferd-1', 'cii', 'CrossIndustryDocument'],
  ] as const)('recognises CII %s', (dialect, syntax, root) => {
    expect(sniffEInvoiceXml(enc(buildCiiInvoiceXml(f, dialect)))).toMatchObject({ syntax, root });
  });
  it('recognises UBL invoices and credit notes, and a default-namespace CII', () => {
    expect(sniffEInvoiceXml(enc(buildUblInvoiceXml(f)))).toMatchObject({ syntax: 'ubl', root: 'Invoice' });
    expect(sniffEInvoiceXml(buildUblInvoiceXml({ ...f, typeCode: '381' }))).toMatchObject({
      syntax: 'ubl',
      root: 'CreditNote',
    });
    expect(sniffEInvoiceXml(buildCiiInvoiceXml(f, 'factur-x-en16931', { defaultNamespace: true }))).toMatchObject({
      syntax: 'cii',
    });
  });
  it('skips a long licence comment, a BOM and a DOCTYPE before the root', () => {
    const xml = buildCiiInvoiceXml(f).replace('<!-- autod test fixture -->', `<!--${'licence text '.repeat(600)}-->`);
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...enc(xml)]);
    expect(sniffEInvoiceXml(bytes)?.syntax).toBe('cii');
    expect(
      sniffEInvoiceXml(
        '<?xml version="1.0"?><!DOCTYPE x><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>',
      )?.root,
    ).toBe('Invoice');
  });
  it('rejects other XML, the right root in a foreign namespace, and non-XML', () => {
    expect(
      sniffEInvoiceXml('<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>'),
    ).toBeNull();
    expect(sniffEInvoiceXml('<Invoice xmlns="urn:example:not-ubl"><ID>1</ID></Invoice>')).toBeNull();
    expect(sniffEInvoiceXml('<Invoice><ID>1</ID></Invoice>')).toBeNull();
    expect(sniffEInvoiceXml(enc('%PDF-1.7\n%âãÏÓ'))).toBeNull();
    expect(sniffEInvoiceXml(new Uint8Array())).toBeNull();
  });
});

describe('parseEInvoice: CII', () => {
  const dialects: CiiDialect[] = ['factur-x-en16931', 'zugferd-2-extended', 'xrechnung-cii', 'zugferd-1'];
  it.each(dialects)('reads every field of %s', (dialect) => {
    const f = sampleEInvoice();
    const inv = parseEInvoice(enc(buildCiiInvoiceXml(f, dialect)));
    expectFixture(inv, f);
    expect(inv.syntax).toBe('cii');
    expect(inv.flavor).toBe(
      dialect === 'zugferd-1' ? 'zugferd-1' : dialect === 'xrechnung-cii' ? 'xrechnung-cii' : 'factur-x',
    );
    expect(inv.sources.gross).toMatch(
      /^ram:SpecifiedTradeSettlement(Header)?MonetarySummation\/ram:GrandTotalAmount 120\.04$/,
    );
  });

  it('reads a default-namespace document the same as a prefixed one', () => {
    const f = sampleEInvoice();
    const plain = parseEInvoice(buildCiiInvoiceXml(f, 'factur-x-en16931', { defaultNamespace: true }));
    expectFixture(plain, f);
  });

  it('EXTENDED: several payment terms (latest due date), a tax total in a second currency, payee, period, prepayment', () => {
    const f = sampleEInvoice({
      currency: 'GBP',
      taxCurrency: { code: 'EUR', rate: 1.17 },
      dueDate: '2024-04-04',
      extraTerms: [{ description: 'Zahlbar mit 2% Skonto bis', dueDate: '2024-03-15' }],
      payee: { name: 'Nordlicht Factoring AG', city: 'Hamburg' },
      period: { start: '2024-02-01', end: '2024-02-29' },
      prepaid: 50,
    });
    const inv = parseEInvoice(buildCiiInvoiceXml(f, 'zugferd-2-extended'));
    expectFixture(inv, f);
    expect(inv.currency).toBe('GBP');
    expect(inv.totals.tax).toBeCloseTo(eInvoiceTotals(f).tax, 2); // the GBP amount, not the EUR one
    expect(inv.dueDate).toBe('2024-04-04');
    expect(inv.paymentTerms).toContain('Zahlbar mit 2% Skonto bis 2024-03-15');
    expect(inv.payee?.name).toBe('Nordlicht Factoring AG');
    expect([inv.periodStart, inv.periodEnd]).toEqual(['2024-02-01', '2024-02-29']);
    expect(inv.totals.prepaid).toBe(50);
    expect(inv.totals.due).toBeCloseTo(eInvoiceTotals(f).gross - 50, 2);
  });

  it('takes the due date from the payment terms text when no date element carries one', () => {
    const f = sampleEInvoice({
      dueDate: undefined,
      paymentTerms: 'Zahlbar innerhalb 30 Tagen netto bis 04.04.2024, 3% Skonto innerhalb 10 Tagen bis 15.03.2024',
    });
    const inv = parseEInvoice(buildCiiInvoiceXml(f));
    expect(inv.dueDate).toBe('2024-04-04');
    expect(inv.dueDateFromTerms).toBe(true);
  });

  it('reads a line price given per base quantity as a unit price', () => {
    const xml = buildCiiInvoiceXml(sampleEInvoice()).replace(
      '<ram:ChargeAmount>4.5000</ram:ChargeAmount>',
      '<ram:ChargeAmount>450.00</ram:ChargeAmount><ram:BasisQuantity unitCode="C62">100</ram:BasisQuantity>',
    );
    expect(parseEInvoice(xml).lines[0]?.unitPrice).toBe(4.5);
  });

  it('keeps entities and character references, and collapses whitespace in names', () => {
    const xml = buildCiiInvoiceXml(sampleEInvoice({ seller: { name: 'Müller &amp; Söhne', vatId: 'DE1' } })).replace(
      'Müller &amp;amp; Söhne',
      'M&#252;ller &amp;\n   S&#xF6;hne',
    );
    expect(parseEInvoice(xml).seller.name).toBe('Müller & Söhne');
  });
});

describe('parseEInvoice: UBL', () => {
  it('reads every field of an XRechnung UBL invoice', () => {
    const f = sampleEInvoice({ buyerReference: '04011000-12345-03' });
    const inv = parseEInvoice(enc(buildUblInvoiceXml(f)));
    expectFixture(inv, f);
    expect(inv.syntax).toBe('ubl');
    expect(inv.flavor).toBe('xrechnung-ubl');
    expect(inv.buyerReference).toBe('04011000-12345-03');
    expect(inv.sources.gross).toBe('cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount 120.04');
    expect(inv.seller.email).toBeNull(); // EndpointID is an address for the network, not a contact
  });

  it('reads a credit note (CreditNote root, CreditedQuantity, due date in PaymentMeans)', () => {
    const f = sampleEInvoice({ typeCode: '381', number: 'GS-2024-7' });
    const inv = parseEInvoice(buildUblInvoiceXml(f, 'peppol-ubl'));
    expectFixture(inv, f);
    expect(inv.typeCode).toBe('381');
    expect(inv.flavor).toBe('ubl');
    expect(inv.dueDate).toBe(f.dueDate);
  });
});

describe('parseEInvoice: errors', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return isAutodError(e) ? e.code : 'not an AutodError';
    }
    return undefined;
  };
  it('rejects malformed XML with INPUT_INVALID_EINVOICE and says where', () => {
    const xml = buildCiiInvoiceXml(sampleEInvoice()).replace('</ram:Name>', '</ram:Nme>');
    expect(code(() => parseEInvoice(xml))).toBe('INPUT_INVALID_EINVOICE');
    expect(() => parseEInvoice(xml)).toThrow(/not well-formed.*line/);
  });
  it('is safe against entity expansion, external entities and deep nesting', () => {
    const ubl = (doctype: string, id: string): string =>
      `<?xml version="1.0"?>${doctype}<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>${id}</ID></Invoice>`;
    const levels = Array.from({ length: 8 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('');
    const bomb = parseEInvoice(ubl(`<!DOCTYPE b [<!ENTITY l0 "lol">${levels}]>`, '&l8;'));
    expect(bomb.number?.length ?? 0).toBeLessThan(1000); // not 10^8 characters
    expect(code(() => parseEInvoice(ubl('<!DOCTYPE x [<!ENTITY x SYSTEM "file:///etc/passwd">]>', '&x;')))).toBe(
      'INPUT_INVALID_EINVOICE',
    );
    expect(parseEInvoice(ubl('<!DOCTYPE x [<!ENTITY co "ACME">]>', '&co;-1')).number).toBe('ACME-1');
    const deep = ubl('', '1').replace('<ID>', `${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}<ID>`);
    expect(code(() => parseEInvoice(deep))).toBe('INPUT_INVALID_EINVOICE');
  });

  it('rejects other XML, a cut-off file, an empty invoice and a file over 5 MB', () => {
    expect(code(() => parseEInvoice('<a/>'))).toBe('INPUT_INVALID_EINVOICE');
    const xml = buildUblInvoiceXml(sampleEInvoice());
    expect(code(() => parseEInvoice(xml.slice(0, 900)))).toBe('INPUT_INVALID_EINVOICE');
    expect(
      code(() =>
        parseEInvoice(
          '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><Note>x</Note></Invoice>',
        ),
      ),
    ).toBe('INPUT_INVALID_EINVOICE');
    expect(code(() => parseEInvoice(new Uint8Array(5 * 1024 * 1024 + 1)))).toBe('INPUT_INVALID_EINVOICE');
  });
});
