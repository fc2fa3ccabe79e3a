import { describe, expect, it } from 'vitest';
import { LineIndex } from '../text.js';
import { findBic, findIban, findInvoiceNumber, findOrderNumber, findPaymentTerms, findTaxIds } from './identifiers.js';
import { lineItems } from './line-items.js';

describe('findInvoiceNumber', () => {
  it.each([
    ['Invoice No: INV-2024-5033', 'INV-2024-5033'],
    ['Invoice No: #12570', '12570'],
    ['INVOICE #2024-117', '2024-117'],
    ['Tax Invoice No.: SE/2023-24/1187', 'SE/2023-24/1187'],
    ['Rechnungsnummer: 2024-0312', '2024-0312'],
    ['Handelsrechnung Nr. 471102 vom 05.06.2018', '471102'],
    ['Rechnung des Versicherers Nr. 01.234.567.8-2018-1 vom', '01.234.567.8-2018-1'],
    ['Rechnung Nr. 880 451 223', '880 451 223'],
    ['N° de facture : F2024-0087', 'F2024-0087'],
    ['Factuurnummer: 2022-1184', '2022-1184'],
    ['Nº factura: 2024/0219', '2024/0219'],
    ['FATTURA N. 145/2024 del 4 aprile 2024', '145/2024'],
    ['Fatura nº FT 2024/311', 'FT 2024/311'],
    ['FAKTURA VAT nr 31/03/2024', '31/03/2024'],
    ['No. Invois: INV-88', 'INV-88'],
  ])('%s → %s', (text, want) => {
    expect(findInvoiceNumber(text)?.value).toBe(want);
  });

  it('does not take dates, amounts, addresses or customer numbers', () => {
    expect(findInvoiceNumber('Invoice Date: 12/02/2024')).toBeNull();
    expect(findInvoiceNumber('Rechnungsdatum 05.06.2018')).toBeNull();
    expect(findInvoiceNumber('Invoice to customer no 12345')).toBeNull();
    expect(findInvoiceNumber('Rechnungsbetrag 119,00')).toBeNull();
  });

  it('prefers the invoice heading to a voucher number', () => {
    expect(
      findInvoiceNumber('Handelsrechnung Nr. E2018092011804 vom 20.09.2018\nBelegnummer 2018092011804')?.value,
    ).toBe('E2018092011804');
  });
});

describe('other identifiers', () => {
  it('finds order numbers in several languages', () => {
    expect(findOrderNumber('PO Number: PO-7781')?.value).toBe('PO-7781');
    expect(findOrderNumber('Bestellnummer: 2018-471331')?.value).toBe('2018-471331');
    expect(findOrderNumber('N° de commande : CMD-5521')?.value).toBe('CMD-5521');
  });

  it('finds tax ids with their labels', () => {
    const text =
      'USt-IdNr.: DE 312 554 780\nVAT Reg No: GB 284 5511 07\nGSTIN: 27AABCS1429B1ZB\nP.IVA 03456780371\nBTW NL812345678B01';
    expect(findTaxIds(text).map((t) => t.value)).toEqual([
      'DE 312 554 780',
      'GB 284 5511 07',
      '27AABCS1429B1ZB',
      '03456780371',
      'NL812345678B01',
    ]);
  });

  it('accepts only IBANs with a valid checksum', () => {
    expect(findIban('IBAN DE89 3704 0044 0532 0130 00')?.value).toBe('DE89 3704 0044 0532 0130 00');
    expect(findIban('IBAN DE88 3704 0044 0532 0130 00')).toBeNull();
    expect(findBic('BIC COBADEFFXXX')?.value).toBe('COBADEFFXXX');
  });

  it('reads payment terms', () => {
    const terms = (t: string) => findPaymentTerms(t, new LineIndex(t))?.value;
    expect(terms('Payment terms: Net 30 days')).toBe('Net 30 days');
    expect(terms('Zahlungsbedingungen:\nZahlbar innerhalb 14 Tagen ohne Abzug')).toBe(
      'Zahlbar innerhalb 14 Tagen ohne Abzug',
    );
    expect(terms('Betaling binnen 14 dagen op NL91 ABNA 0417 1643 00')).toMatch(/binnen 14 dagen/i);
  });
});

describe('lineItems', () => {
  it('reads description, quantity, unit price and amount from a table (en, de, nl)', () => {
    const en = [
      'DESCRIPTION   QTY   UNIT PRICE   AMOUNT',
      'Room night   3   95.00   285.00',
      'Breakfast   6   12.50   75.00',
      'Subtotal   360.00',
    ];
    expect(lineItems(new LineIndex(en.join('\n')))).toEqual([
      { description: 'Room night', quantity: 3, unit_price: 95, amount: 285 },
      { description: 'Breakfast', quantity: 6, unit_price: 12.5, amount: 75 },
    ]);
    const de = [
      'Pos.   Beschreibung   Menge   Einzelpreis   Gesamt',
      '1   Montage (Stunden)   6   58,00 €   348,00 €',
      'Nettobetrag   348,00 €',
    ];
    expect(lineItems(new LineIndex(de.join('\n')))[0]).toMatchObject({ quantity: 6, unit_price: 58, amount: 348 });
    const nl = [
      'Omschrijving   Aantal   Prijs   Bedrag',
      'Onderhoud cv-ketel   1   € 95,00   € 95,00',
      'Subtotaal   € 95,00',
    ];
    expect(lineItems(new LineIndex(nl.join('\n')))[0]).toMatchObject({ description: 'Onderhoud cv-ketel', amount: 95 });
  });

  it('returns nothing without a table header', () => {
    expect(lineItems(new LineIndex('Bread 2.50\nMilk 1.20'))).toEqual([]);
  });
});
