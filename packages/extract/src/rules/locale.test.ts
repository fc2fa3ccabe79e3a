import { describe, expect, it } from 'vitest';
import { decideCurrency } from './currency.js';
import { amountFacts } from './amounts.js';
import { inferLocale } from './locale.js';
import { LineIndex } from '../text.js';

function currencyOf(text: string, language: string | null = null): string | null {
  const lines = new LineIndex(text);
  const locale = inferLocale(text, language);
  const a = amountFacts(text, lines, true, false);
  return decideCurrency(text, a.all, a.total, locale, language)?.code ?? null;
}

describe('inferLocale', () => {
  it('recognises countries from tax ids, legal forms, phone prefixes and addresses', () => {
    expect(
      inferLocale('KEDAI MAJU SDN BHD\nNo 3, Jalan Bunga, 81200 Johor Bahru\nGST ID: 001234567890', null).country,
    ).toBe('MY');
    expect(inferLocale('Acme Pvt. Ltd.\nGSTIN 29AADFA4410L1ZS\nBengaluru 560011', null).country).toBe('IN');
    expect(inferLocale('Müller GmbH\nUSt-IdNr. DE123456789\nTel. +49 30 1234567', 'de').country).toBe('DE');
    expect(inferLocale('Bakkerij B.V.\nKvK 12345678\nBTW NL812345678B01', 'nl').country).toBe('NL');
    expect(inferLocale('Studio Rossi S.r.l.\nP.IVA 01234567890', 'it').country).toBe('IT');
    expect(inferLocale('Acme LLC\n12 Main St, Springfield, IL 62701', 'en').country).toBe('US');
  });

  it('stays undecided on thin evidence', () => {
    expect(inferLocale('Thank you for your order', 'en').country).toBeNull();
  });
});

describe('decideCurrency', () => {
  it('reads RM, Rs, ₹, zł, Kč, CHF and Fr. marks', () => {
    expect(currencyOf('TOTAL   RM 12.50')).toBe('MYR');
    expect(currencyOf('Grand Total   Rs. 1,250.00')).toBe('INR');
    expect(currencyOf('Grand Total   ₹ 1,250.00')).toBe('INR');
    expect(currencyOf('Razem brutto   1 476,00 zł')).toBe('PLN');
    expect(currencyOf('Celkem   1 250,00 Kč')).toBe('CZK');
    expect(currencyOf('Total   CHF 748.60')).toBe('CHF');
    expect(currencyOf('Total   Fr. 748.60')).toBe('CHF');
  });

  it('reads a currency mark written as a word in the label of a money line', () => {
    expect(currencyOf('Noodle Bar\nSoup   4.30\nRM CASH   10.00\nCHANGE   5.70')).toBe('MYR');
    expect(currencyOf('Corner Shop\nMilk   1.30\nCHF TOTAL   7.30')).toBe('CHF');
  });

  it('reads a shared mark with the country: $ in Canada, kr in Sweden or Denmark, ¥ on an Indian bill', () => {
    expect(currencyOf('Maple Café\n301 Queen St W, Toronto ON M5V 2A4\nCanada\nTOTAL   $15.54')).toBe('CAD');
    expect(currencyOf('ICA Nära\nOrg.nr 556123-4567\nSverige\nTotalt   72,85 kr')).toBe('SEK');
    expect(currencyOf('Bageriet ApS\nCVR 12345678\nDanmark\nI alt   72,85 kr')).toBe('DKK');
    expect(currencyOf('Anand Sweets\nGSTIN 29AADFA4410L1ZS\nCGST 2.5%   22.50\nNet Amount   ¥ 945.00')).toBe('INR');
  });

  it('takes the currency from the country when no mark is printed', () => {
    expect(currencyOf('KEDAI RUNCIT MAJU\nJALAN MAWAR 2, TAMAN MAWAR\n81200 JOHOR BAHRU, JOHOR\nJUMLAH   36.00')).toBe(
      'MYR',
    );
    expect(currencyOf('Schreinerei Albrecht GmbH\nUSt-IdNr. DE274118903\nRechnungsbetrag   3.329,62', 'de')).toBe(
      'EUR',
    );
  });

  it('does not let stray OCR marks override a clear country', () => {
    expect(
      currencyOf(
        'SINAR JAYA SDN BHD\nJALAN INDUSTRI 3, 47100 PUCHONG, SELANGOR\nGST ID: 001234567890\n£22322 ¥\nTOTAL   19.90',
      ),
    ).toBe('MYR');
  });

  it('follows a label that names the invoice currency', () => {
    expect(
      currencyOf('Rechnungswährung : GBP\nWährung der Umsatzsteuerbuchung : EUR\nBruttosumme   163,16', 'de'),
    ).toBe('GBP');
    expect(currencyOf('Amount (RM)\nBread   2.50\nTotal   2.50')).toBe('MYR');
  });

  it('prints ISO codes as they are even on a foreign document', () => {
    expect(currencyOf('Acme LLC\n12 Main St, Springfield, IL 62701\nAmount due GBP 284.50')).toBe('GBP');
  });
});
