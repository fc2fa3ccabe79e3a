import { describe, expect, it } from 'vitest';
import { LineIndex } from '../text.js';
import { amountFacts, classifyAmountLabel, taxLines } from './amounts.js';
import { totalConfidence } from './confidence.js';
import { dateFacts } from './dates.js';
import { inferLocale } from './locale.js';

function facts(text: string, opts: { receipt?: boolean } = {}) {
  const lines = new LineIndex(text);
  const dates = dateFacts(text, lines, inferLocale(text, null), null);
  return amountFacts(text, lines, true, !opts.receipt, dates.all);
}

describe('classifyAmountLabel', () => {
  it.each([
    ['Grand Total', 'gross'],
    ['Total Sales (Inclusive of GST)', 'gross'],
    ['Tatal Sales (Inclusive of GST)', 'gross'],
    ['Total Sales (Excluding GST)', 'net'],
    ['TOTAL INCL. GST@6%', 'gross'],
    ['Total GST', 'tax'],
    ['Total Sales Inckeive GST @6%', 'gross'],
    ['Total Sales (i ctusive of GST)', 'gross'],
    ['Total Amount (with GST)', 'gross'],
    ['Total Sales Tax', 'tax'],
    ['xx (Inclusive of GST) :', 'gross'],
    ['inkl. MwSt.', 'tax'],
    ['INC 6% GST', 'tax'],
    ['Total Excl. GST', 'net'],
    ['GST @ 6% included in total', 'tax'],
    ['Total includes 6% GST', 'tax'],
    ['Nett Total', 'gross'],
    ['Net total', 'net'],
    ['Subtotal', 'net'],
    ['Rounding Adj', 'rounding'],
    ['Total after rounding', 'gross'],
    ['Total rounded', 'gross'],
    ['CASH', 'tender'],
    ['Cash tendered', 'tender'],
    ['CHANGE', 'change'],
    ['Total Qty', 'qty'],
    ['Total Discount', 'discount'],
    ['Amount due', 'due'],
    ['Balance due', 'due'],
    ['Gesamtbetrag', 'gross'],
    ['Bruttosumme', 'gross'],
    ['Rechnungsbetrag', 'gross'],
    ['Rechnungssumme ohne USt.', 'net'],
    ['Zahlbetrag', 'due'],
    ['Erhaltene Anzahlungen', 'prepaid'],
    ['Gesamtbetrag der Zuschläge', 'discount'],
    ['Rückgeld', 'change'],
    ['Montant TTC', 'gross'],
    ['Total HT', 'net'],
    ['TVA 20 %', 'tax'],
    ['Net à payer', 'due'],
    ['Totaal te betalen', 'due'],
    ['Subtotaal', 'net'],
    ['BTW 21%', 'tax'],
    ['Total factura', 'gross'],
    ['Base imponible', 'net'],
    ['Totale documento', 'gross'],
    ['Imponibile', 'net'],
    ['di cui IVA', 'tax'],
    ['Total a pagar', 'due'],
    ['Valor total', 'gross'],
    ['JUMLAH', 'gross'],
    ['BAKI', 'change'],
    ['TUNAI', 'tender'],
    ['Umsatzsteuerbefreit', 'other'],
    ['Gross amount', 'gross'],
    ['Gross pay', 'other'],
    ['Net pay', 'netpay'],
    ['Closing balance', 'balance'],
  ])('%s → %s', (label, cls) => {
    expect(classifyAmountLabel(label.toLowerCase())).toBe(cls);
  });
});

describe('amountFacts on receipts', () => {
  it('takes the rounded total after the rounding line, not the unrounded one, cash or change', () => {
    const f = facts(
      [
        'SRI MAJU TRADING',
        'BREAD   2.50',
        'MILK   7.81',
        'TOTAL AMOUNT   RM 10.31',
        'ROUNDING ADJ   -0.01',
        'RM 10.30',
        'CASH   RM 20.30',
        'CHANGE   RM 10.00',
      ].join('\n'),
      { receipt: true },
    );
    expect(f.total?.amount).toBe(10.3);
    expect(f.total?.checks).toContain('cash − change');
  });

  it('never takes a tax summary table row, a cash amount or a quantity', () => {
    const f = facts(
      [
        'Total Qty   4',
        'Total Sales (Excluding GST)   30.00',
        'Total GST   1.80',
        'Total Sales (Inclusive of GST)   31.80',
        'CASH   50.00',
        'Change   18.20',
        'GST SUMMARY',
        'Tax Code   %   Amt   Tax',
        'SR   6   30.00   1.80',
        'Total:   30.00   1.80',
      ].join('\n'),
      { receipt: true },
    );
    expect(f.total?.amount).toBe(31.8);
    expect(f.net?.amount).toBe(30);
    expect(f.tax?.amount).toBe(1.8);
    expect(f.all.find((c) => c.label.includes('total:'))?.inSummary).toBe(true);
  });

  it('puts back a decimal point OCR turned into a space on a labelled line', () => {
    const f = facts(['Total Sales (Incl GST)   RM 64 15', 'CASH   RM 100. 00', 'CHANGE   35.85'].join('\n'), {
      receipt: true,
    });
    expect(f.total?.amount).toBe(64.15);
  });

  it('reads digits OCR turned into letters or slashes on a labelled line', () => {
    const z = facts(['Sub Total   8.40', 'Service Tax   0.50', 'TOTAL   8z.9O', 'CASH   100.00'].join('\n'), {
      receipt: true,
    });
    expect(z.total?.amount).toBe(82.9);
    const slash = facts(['Bread   2.50', 'Milk   4.10', 'TOTAL  ~ /6.60', 'CASH   10.00', 'CHANGE   3.40'].join('\n'), {
      receipt: true,
    });
    expect(slash.total?.amount).toBe(6.6);
  });

  it('drops a tax code glued to the cents of a payment line ("50.00S" read as "50.006")', () => {
    const f = facts(['Rice   12.00 S', 'Tea   3.30 S', 'CASH   50.006', 'CHANGE   34.70'].join('\n'), {
      receipt: true,
    });
    expect(f.total?.amount).toBe(15.3);
    // Not in a document that writes its cents with a comma (there "1.005" is a thousand and five).
    const de = facts(['Brot   2,50', 'Summe   1.005', 'Bar   1.010,00', 'Rückgeld   5,00'].join('\n'), {
      receipt: true,
    });
    expect(de.all.some((c) => c.amount === 1005)).toBe(true);
  });

  it('takes net + tax as the total when the only "total" is below the amount before tax', () => {
    const f = facts(
      [
        'Shampoo   2   30.00',
        'Conditioner   1   24.50',
        'Amount excl. VAT   EUR 54.50',
        'VAT 20%   EUR 10.90',
        'Paid by card ****1234',
        'Total points   8.20',
      ].join('\n'),
      { receipt: true },
    );
    expect(f.total?.amount).toBe(65.4);
    expect(f.total?.checks).toContain('net + tax');
    // Two OCR readings added up: not sure unless the payment confirms the sum.
    expect(totalConfidence(f.total, f.margin, true)).toBeLessThan(0.8);
    const paid = facts(
      ['Amount excl. VAT   54.50', 'VAT 20%   10.90', 'Cash   70.00', 'Change   4.60', 'Total points   8.20'].join(
        '\n',
      ),
      { receipt: true },
    );
    expect(paid.total?.amount).toBe(65.4);
    expect(totalConfidence(paid.total, paid.margin, true)).toBeGreaterThanOrEqual(0.9);
    expect(classifyAmountLabel('amt paid excl. gst')).toBe('net');
  });

  it('takes a subtotal paid exactly over the largest item price when no total is labelled', () => {
    const f = facts(['Tea   $3.20', 'Scone   $4.10', 'SUBTOTAL   7.30', 'CASH   $7.30'].join('\n'), { receipt: true });
    expect(f.total?.amount).toBe(7.3);
  });

  it('never takes a currency mark from the next line', () => {
    const f = facts(['Soup   4.30', 'RM', 'CASH   10.00', 'CHANGE   5.70'].join('\n'), { receipt: true });
    expect(f.all.find((c) => c.amount === 4.3)?.currency).toBeNull();
  });

  it('reads a Malay receipt: JUMLAH, TUNAI, BAKI', () => {
    const f = facts(
      ['KEDAI RUNCIT', 'GULA 1KG   2   5.60', 'JUMLAH   36.00', 'TUNAI   50.00', 'BAKI   14.00'].join('\n'),
      {
        receipt: true,
      },
    );
    expect(f.total?.amount).toBe(36);
  });

  it('takes a "Net Amount" that is what was paid as the total', () => {
    const f = facts(
      [
        'Sub Total   900.00',
        'CGST 2.5%   22.50',
        'SGST 2.5%   22.50',
        'Net Amount   945.00',
        'Cash   1000.00',
        'Change   55.00',
      ].join('\n'),
      { receipt: true },
    );
    expect(f.total?.amount).toBe(945);
  });

  it('falls back to cash − change when no total is legible', () => {
    const f = facts(['T0TAl   ###', 'CASH   50.00', 'CHANGE   14.65'].join('\n'), { receipt: true });
    expect(f.total?.amount).toBe(35.35);
    expect(f.total?.checks).toContain('fallback');
  });
});

describe('amountFacts on invoices', () => {
  it('keeps the gross total when a prepayment lowers the amount due (de)', () => {
    const f = facts(
      [
        'Positionssumme   180,76',
        'Rechnungssumme ohne USt.   177,49',
        'Steuerbetrag in   EUR   20,16',
        'Bruttosumme   197,65',
        'Erhaltene Anzahlungen   -50,00',
        'Zahlbetrag   147,65',
      ].join('\n'),
    );
    expect(f.gross?.amount).toBe(197.65);
    expect(f.due?.amount).toBe(147.65);
  });

  it('reads French amounts grouped with spaces next to a currency', () => {
    const f = facts(['Total HT   1 450,00 €', 'TVA 20 %   290,00 €', 'Total TTC   1 740,00 €'].join('\n'));
    expect(f.gross?.amount).toBe(1740);
    expect(f.gross?.checks).toContain('net + tax');
  });

  it('never takes the year of a date in the label as the total', () => {
    const f = facts(['Subtotal   $4.11', 'TOTAL AMOUNT DUE ON August 3, 2014   $4.11'].join('\n'));
    expect(f.total?.amount).toBe(4.11);
  });

  it('does not read payment terms, phone numbers or postcodes as money', () => {
    const f = facts(
      ['Lieferant GmbH, 80333 München, Tel. 089 123456', 'Zahlbar innerhalb 30 Tagen', 'Gesamtbetrag   119,00 €'].join(
        '\n',
      ),
    );
    expect(f.total?.amount).toBe(119);
    expect(f.all.some((c) => c.amount === 30 && c.cls === 'due')).toBe(false);
  });

  it('keeps a credit note negative (nl)', () => {
    const f = facts(['CREDITNOTA', 'Subtotaal   -10,00 €', 'BTW 21%   -2,10 €', 'Totaal   -12,10 €'].join('\n'));
    expect(f.gross?.amount).toBe(-12.1);
  });

  it('prefers the amount due the arithmetic confirms over a net figure under an unknown label (pt)', () => {
    const f = facts(['Total ilíquido   780,00 €', 'IVA 23%   179,40 €', 'Total a pagar   959,40 €'].join('\n'));
    expect((f.gross ?? f.total)?.amount).toBe(959.4);
    expect(f.total?.checks).toContain('net + tax');
  });
});

describe('receipt totals under OCR damage', () => {
  it('takes a net total printed below the tax and the subtotal as the final amount', () => {
    const f = facts(
      [
        'FRIED RICE   12.00',
        'ICED TEA   4.00',
        'SUB TOTAL   16.00',
        'SST 6%   0.96',
        'ROUNDING ADJ   -0.01',
        'NET TOTAL   16.95',
      ].join('\n'),
      { receipt: true },
    );
    expect(f.total?.amount).toBe(16.95);
    expect(f.total?.checks).toContain('below the tax');
  });

  it('takes what was paid with no change when the printed total is unreadable', () => {
    const f = facts(['SUB-TOTAL   40.00', 'SST   2.40', 'TOTAL   4Z.4O%', 'CASH   42.40', 'CHANGE   0.00'].join('\n'), {
      receipt: true,
    });
    expect(f.total?.amount).toBe(42.4);
  });

  it('repairs a lost decimal point after a capitalised label and reads "Net Amt" below the tax as the total', () => {
    const f = facts(['Gross Amt 31 20', 'GST (6%) 1.87', 'Net Amt : 33.07'].join('\n'), { receipt: true });
    expect(f.all.some((c) => c.amount === 31.2 && c.cls === 'gross')).toBe(true);
    expect(f.total?.amount).toBe(33.07);
  });

  it('reads cash − change as the total of an untitled till slip whose printed total lost its cents', () => {
    const text = [
      'NOODLE HOUSE',
      'Laksa   RM9.50',
      'Teh Tarik   RM2.80',
      'Grand Total xx 9 x 12',
      'Cash RM20.00',
      'Change RM7.70',
    ].join('\n');
    const lines = new LineIndex(text);
    const f = amountFacts(text, lines, false, false, []);
    expect(f.total?.amount).toBe(12.3);
  });

  it('never takes a total "ohne USt." below the tax for the gross total (de)', () => {
    const f = facts(
      [
        'Positionssumme   400,00',
        'Zuschlag Verpackung   % USt   12,00',
        'Gesamtbetrag der Zuschläge   12,00',
        'Rechnungssumme ohne USt.   412,00',
        'Steuerbetrag   78,28',
        'Bruttosumme   490,28',
      ].join('\n'),
    );
    expect(f.total?.amount).toBe(490.28);
  });

  it('keeps a net total above the tax as the net (de)', () => {
    const f = facts(['Nettobetrag   100,00 €', 'MwSt 19%   19,00 €', 'Gesamtbetrag   119,00 €'].join('\n'));
    expect(f.total?.amount).toBe(119);
    expect(f.net?.amount).toBe(100);
  });

  it('does not fall back to a cents-less number with a currency on a document printed in cents', () => {
    const f = facts(
      ['BILL DT: 02/02/2024 09:09 PM RM 1', 'COFFEE   3.50', 'TOAST   2.80', 'KAYA   1.20', 'Tctl ~~ /.5O'].join('\n'),
      { receipt: true },
    );
    expect(f.total?.amount).not.toBe(1);
  });
});

describe('taxLines', () => {
  it('finds rate, net and tax in any order and language', () => {
    const text = ['MwSt 19 % auf 1.000,00   190,00', 'Umsatzsteuer (S)   113,03   7   7,91', 'VAT 20%   £60.00'].join(
      '\n',
    );
    expect(taxLines(text, new LineIndex(text))).toEqual([
      { rate: 19, net_amount: 1000, tax_amount: 190 },
      { rate: 7, net_amount: 113.03, tax_amount: 7.91 },
      { rate: 20, net_amount: null, tax_amount: 60 },
    ]);
  });
});
