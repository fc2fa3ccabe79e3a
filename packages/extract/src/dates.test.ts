import { describe, expect, it } from 'vitest';
import { daysBetween, findDates, parseDate } from './dates.js';

describe('parseDate', () => {
  const cases: [string, string | null][] = [
    // ISO and year-first
    ['2024-03-15', '2024-03-15'],
    ['2024-03-15T10:20:30Z', '2024-03-15'],
    ['2024/3/5', '2024-03-05'],
    ['2024.12.01', '2024-12-01'],
    // '/' and '-': US month/day unless the first number is > 12
    ['03/15/2024', '2024-03-15'],
    ['3/5/2024', '2024-03-05'],
    ['04/05/2024', '2024-04-05'],
    ['15/03/2024', '2024-03-15'],
    ['12-31-2023', '2023-12-31'],
    ['31-12-2023', '2023-12-31'],
    ['3/15/24', '2024-03-15'],
    ['12/31/99', '1999-12-31'],
    // '.': European day.month unless the second number is > 12
    ['15.03.2024', '2024-03-15'],
    ['04.05.2024', '2024-05-04'],
    ['1.2.2024', '2024-02-01'],
    ['03.15.2024', '2024-03-15'],
    ['15.03.24', '2024-03-15'],
    // month names, several languages and orders
    ['March 15, 2024', '2024-03-15'],
    ['March 15 2024', '2024-03-15'],
    ['Mar 5, 2024', '2024-03-05'],
    ['Sept. 30, 2023', '2023-09-30'],
    ['March 15th, 2024', '2024-03-15'],
    ['15 March 2024', '2024-03-15'],
    ['15th of March 2024', '2024-03-15'],
    ['15-Mar-2024', '2024-03-15'],
    ['15 Mar. 2024', '2024-03-15'],
    ['Friday, March 15, 2024', '2024-03-15'],
    ['15. März 2024', '2024-03-15'],
    ['1. Dezember 2023', '2023-12-01'],
    ['1er janvier 2024', '2024-01-01'],
    ['15 février 2024', '2024-02-15'],
    ['15 de marzo de 2024', '2024-03-15'],
    ['2 dic 2023', '2023-12-02'],
    // invalid calendar dates and non-dates
    ['2023-02-29', null],
    ['2024-02-29', '2024-02-29'],
    ['31/04/2024', null],
    ['13/13/2024', null],
    ['April 31, 2024', null],
    ['1800-01-01', null],
    ['', null],
    ['hello', null],
    ['1,234.56', null],
    ['March 2024', null],
    ['Invoice 03/15/2024 and 04/15/2024', null],
    ['12-05-24', null],
  ];
  it.each(cases)('%s -> %s', (input, expected) => {
    expect(parseDate(input)).toBe(expected);
  });
});

describe('findDates', () => {
  it('finds every date with its position and raw text', () => {
    const text = 'Statement date: 03/15/2024\nPeriod: Feb 1, 2024 to 29.02.2024\nDue 2024-04-10.';
    const found = findDates(text);
    expect(found.map((d) => d.iso)).toEqual(['2024-03-15', '2024-02-01', '2024-02-29', '2024-04-10']);
    for (const d of found) expect(text.slice(d.index, d.index + d.raw.length)).toBe(d.raw);
  });

  it('ignores numbers glued to other numbers, versions and amounts', () => {
    expect(findDates('Version 1.2.3.4, total 1.234,56, ref 123/45/6789, phone 555-12-3456')).toEqual([]);
  });

  it('does not take a date out of a longer digit run', () => {
    expect(findDates('Account 112/03/20245')).toEqual([]);
  });
});

describe('daysBetween', () => {
  it('counts whole days, negative backwards', () => {
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
    expect(daysBetween('2024-03-01', '2024-02-28')).toBe(-2);
  });
});
