import { describe, expect, it } from 'vitest';
import { LineIndex } from '../text.js';
import { dateFacts, decideDayFirst, printedWeekday, repairDateTokens, repairYears, weekdayReading } from './dates.js';
import { inferLocale } from './locale.js';

function primary(text: string, language: string | null = null): string | undefined {
  const lines = new LineIndex(text);
  return dateFacts(text, lines, inferLocale(text, language), language).primary?.iso;
}

describe('decideDayFirst', () => {
  it('follows an unambiguous date of the same document', () => {
    expect(decideDayFirst('Date: 03/04/2024\nDelivered 25/03/2024', inferLocale('', null), null).dayFirst).toBe(true);
    expect(decideDayFirst('Date: 03/04/2024\nDelivered 03/25/2024', inferLocale('', null), null).dayFirst).toBe(false);
  });

  it('reads the language and the country when the dates are all ambiguous', () => {
    expect(decideDayFirst('Factuurdatum: 8-9-2022', inferLocale('', 'nl'), 'nl').dayFirst).toBe(true);
    const us = 'Acme LLC\n12 Main St, Springfield, IL 62701\nTotal $5.00\nDate: 03/04/2024';
    expect(decideDayFirst(us, inferLocale(us, 'en'), 'en').dayFirst).toBe(false);
    const my = 'KEDAI MAJU SDN BHD\nJALAN MAWAR, 81200 JOHOR BAHRU\nDate: 03/04/2018';
    expect(decideDayFirst(my, inferLocale(my, 'en'), 'en').dayFirst).toBe(true);
  });

  it('reads how month names are written: "March 5, 2024" is month first', () => {
    expect(decideDayFirst('Issued March 5, 2024\nDue 04/05/2024', inferLocale('', null), null).dayFirst).toBe(false);
    expect(decideDayFirst('Issued 5 March 2024\nDue 04/05/2024', inferLocale('', null), null).dayFirst).toBe(true);
  });

  it('has no opinion without evidence', () => {
    expect(decideDayFirst('Date: 03/04/2024', inferLocale('', null), null).dayFirst).toBeUndefined();
  });
});

describe('dateFacts', () => {
  it('reads a Dutch invoice date day first, with Dutch month names too', () => {
    expect(primary('Van Dijk B.V.\nFactuurdatum: 8-9-2022\nVervaldatum: 22-9-2022', 'nl')).toBe('2022-09-08');
    expect(primary('Groenstroom N.V.\nDatum: 14 maart 2023', 'nl')).toBe('2023-03-14');
  });

  it('reads month names in Malay, Italian and Portuguese', () => {
    expect(primary('TARIKH: 12 Ogos 2018')).toBe('2018-08-12');
    expect(primary('FATTURA N. 145/2024 del 4 aprile 2024', 'it')).toBe('2024-04-04');
    expect(primary('Data de emissão: 19 de fevereiro de 2024', 'pt')).toBe('2024-02-19');
  });

  it('takes the invoice date from an invoice heading, not the order or delivery date (de)', () => {
    const text = [
      'Handelsrechnung Nr. 471102 vom 05.06.2018',
      'Liefer- und Leistungsdatum   : 03.06.2018',
      'Rechnung gemäß Bestellung Nr. 2018-471331 vom 01.03.2018.',
    ].join('\n');
    expect(primary(text, 'de')).toBe('2018-06-05');
  });

  it('puts the due date after the issue date when the order is a guess', () => {
    const text = 'Invoice date: 04/03/2024\nDue date: 04/30/2024';
    expect(primary(text)).toBe('2024-04-03');
  });

  it('recovers dates OCR damaged next to a date label or a time', () => {
    expect(primary('KEDAI SDN BHD\nJALAN MAWAR, JOHOR\nDoc No CS00031663 Date 2512/2018')).toBe('2018-12-25');
    expect(primary('Receipt\n28-03-18 18:05 SHO1 ZJ42')).toBe('2018-03-28');
    expect(primary('RECEIPT\nDate : 25 Hay 2017 09:41am')).toBe('2017-05-25');
    expect(repairDateTokens('Date 3O/O3/2018 8:13')).toBe('Date 30/03/2018 8:13');
  });

  it('leaves dashed two-digit-year numbers alone without a label or a time', () => {
    expect(primary('Part no 12-05-24 x 3')).toBeUndefined();
  });
});

describe('OCR-damaged years and run-together dates', () => {
  it('puts back a year OCR misread when one common confusion makes it plausible', () => {
    expect(repairYears('09-07-2618 10:15 AM', 2025)).toBe('09-07-2018 10:15 AM');
    expect(repairYears('09-07-2628', 2025)).toBe('09-07-2628');
    expect(repairYears('Date 21/11/2619', 2025)).toBe('Date 21/11/2019');
    expect(repairYears('PRINTED 03/05/2073 14:01', 2025)).toBe('PRINTED 03/05/2013 14:01');
    expect(repairYears('Valid until 03/05/2024', 2025)).toBe('Valid until 03/05/2024');
  });

  it('reads the repaired year as the date of a receipt', () => {
    const text = 'KEDAI RUNCIT MAJU\n14-05-2617 09:12:44 AM\nTOTAL 12.50';
    const lines = new LineIndex(text);
    expect(dateFacts(text, lines, inferLocale(text, 'en'), 'en', 2025).primary?.iso).toBe('2017-05-14');
  });

  it('takes an unlabelled "ddmm/yyyy" only when nothing better is printed, never a numbered reference', () => {
    expect(primary('KEDAI MAJU\nTAX INVOICE  1403/2019\nTOTAL 5.00')).toBe('2019-03-14');
    expect(primary('KEDAI MAJU\nTAX INVOICE  1403/2019\nDate: 25/04/2019\nTOTAL 5.00')).toBe('2019-04-25');
    expect(primary('Fattura n. 1403/2019\nTotale 5,00')).toBeUndefined();
  });
});

describe('a weekday printed beside a date', () => {
  it('is read in English, German and Malay, right before or after the date', () => {
    expect(printedWeekday('', ' (Sat) 14:02')).toBe(6);
    expect(printedWeekday('', ', Thursday')).toBe(4);
    expect(printedWeekday('montag, ', '')).toBe(1);
    expect(printedWeekday('tarikh: khamis ', '')).toBe(4);
    expect(printedWeekday('', ' sunny side')).toBeUndefined();
    expect(printedWeekday('', ' 14:02 Sat')).toBeUndefined();
  });

  it('confirms the date, or gives the one day a digit away that falls on it', () => {
    expect(weekdayReading('2024-03-19', 2)).toBe('2024-03-19');
    // 19 March 2024 is a Tuesday; of the days one digit away only the 14th is a Thursday.
    expect(weekdayReading('2024-03-19', 4)).toBe('2024-03-14');
    // 13 March is a Wednesday; the 10th and the 17th are both Sundays: no way to tell.
    expect(weekdayReading('2024-03-13', 0)).toBeUndefined();
  });

  it('marks the date a receipt was issued, over a period printed on it', () => {
    const receipt = (stamp: string): string =>
      ['KEDAI BUKU MAJU', 'No 5, Jalan Mawar', 'Member 24 NOVEMBER 2023 - 4 MARCH 2024', stamp, 'TOTAL 12.00'].join(
        '\n',
      );
    expect(primary(receipt('19-03-2024 16:02'))).toBe('2024-03-04');
    expect(primary(receipt('19-03-2024 (Tue) 16:02'))).toBe('2024-03-19');
    expect(primary(receipt('19-03-2024 (Thu) 16:02'))).toBe('2024-03-14');
  });
});
