import { CURRENCY_CODES } from '../amounts.js';
import type { AmountCandidate } from './amounts.js';
import { COUNTRY_CURRENCY, type LocaleFacts } from './locale.js';

/**
 * The document's currency. In order of strength: the mark on the headline total; a currency
 * named by a label ("Rechnungswährung: EUR", "Amount (RM)"); the marks on the other amounts; the
 * country the document comes from; its language. Marks that several currencies share are read
 * with the country: `$` is CAD in Canada, AUD in Australia …; `kr` is SEK, NOK or DKK; `¥` on an
 * Indian document is an OCR'd `₹`.
 */

export interface CurrencyFact {
  code: string;
  /** 0..1. */
  confidence: number;
  how: 'total symbol' | 'label' | 'symbols' | 'country' | 'language';
  /** Offset of the evidence in the text, when there is one. */
  index: number | null;
  raw: string | null;
}

const DOLLAR_BY_COUNTRY: Record<string, string> = {
  CA: 'CAD',
  AU: 'AUD',
  NZ: 'NZD',
  SG: 'SGD',
  HK: 'HKD',
  MX: 'MXN',
};
const KRONA_BY_COUNTRY: Record<string, string> = { SE: 'SEK', NO: 'NOK', DK: 'DKK', IS: 'ISK' };

/** The currency an amount's mark means on this document. */
export function resolveMark(a: Pick<AmountCandidate, 'currency' | 'symbol'>, locale: LocaleFacts): string | null {
  const country = locale.country ?? '';
  if (a.symbol === '$' && DOLLAR_BY_COUNTRY[country]) return DOLLAR_BY_COUNTRY[country] ?? null;
  // Tills print a bare `$` for the local currency: on a document that is clearly from a country
  // whose currency is not a dollar, `$` is that currency.
  if (a.symbol === '$' && locale.countryScore >= 5 && locale.countryScore - locale.runnerUpScore >= 3) {
    const local = COUNTRY_CURRENCY[country];
    if (local && local !== 'USD' && !local.endsWith('D')) return local;
  }
  if (a.symbol === '¥') return country === 'IN' ? 'INR' : country === 'CN' ? 'CNY' : 'JPY';
  if (a.symbol && /^kr\.?$/i.test(a.symbol)) return KRONA_BY_COUNTRY[country] ?? null;
  return a.currency;
}

const LANGUAGE_CURRENCY: Record<string, string> = {
  de: 'EUR',
  fr: 'EUR',
  nl: 'EUR',
  es: 'EUR',
  it: 'EUR',
  pt: 'EUR',
  ms: 'MYR',
};

/** "Currency: EUR", "Rechnungswährung : EUR", "Amount (RM)", "Betrag in EUR", "Devise : EUR". */
const CURRENCY_LABEL =
  /\b(?:currency|währung|rechnungswährung|devise|monnaie|valuta|moneda|divisa|moeda|mata wang)\s*:?\s*([A-Z]{3})\b|\b(?:in|en|em|dalam)\s+([A-Z]{3})\b|\(\s*([A-Z]{3}|RM|Rs\.?|€|\$|£)\s*\)/g;
const LABEL_MARKS: Record<string, string> = { RM: 'MYR', Rs: 'INR', 'Rs.': 'INR', '€': 'EUR', $: 'USD', '£': 'GBP' };

export function decideCurrency(
  text: string,
  amounts: readonly AmountCandidate[],
  total: AmountCandidate | undefined,
  locale: LocaleFacts,
  language: string | null,
): CurrencyFact | null {
  // 1. The headline total's own mark.
  if (total) {
    const code = resolveMark(total, locale);
    if (code) return { code, confidence: 0.95, how: 'total symbol', index: total.index, raw: total.raw };
  }
  // 2. A currency named by a label.
  const labelled = new Map<string, { n: number; index: number; raw: string }>();
  CURRENCY_LABEL.lastIndex = 0;
  let m: RegExpExecArray | null;
  const sample = text.slice(0, 30_000);
  while ((m = CURRENCY_LABEL.exec(sample)) !== null) {
    const tok = m[1] ?? m[2] ?? m[3] ?? '';
    const code = CURRENCY_CODES.has(tok) ? tok : LABEL_MARKS[tok];
    if (!code) continue;
    const e = labelled.get(code) ?? { n: 0, index: m.index, raw: m[0] };
    e.n++;
    labelled.set(code, e);
  }
  // 3. The marks on the other amounts.
  const marks = new Map<string, { n: number; index: number; raw: string }>();
  for (const a of amounts) {
    const code = resolveMark(a, locale);
    if (!code) continue;
    const e = marks.get(code) ?? { n: 0, index: a.index, raw: a.raw };
    e.n++;
    marks.set(code, e);
  }
  const top = (map: Map<string, { n: number; index: number; raw: string }>) =>
    [...map.entries()].sort((a, b) => b[1].n - a[1].n)[0];
  const countryCode = locale.country ? (COUNTRY_CURRENCY[locale.country] ?? null) : null;
  const lab = top(labelled);
  const mark = top(marks);
  if (lab && (!mark || lab[0] === mark[0] || lab[1].n >= mark[1].n)) {
    return {
      code: lab[0],
      confidence: mark?.[0] === lab[0] || countryCode === lab[0] ? 0.95 : 0.85,
      how: 'label',
      index: lab[1].index,
      raw: lab[1].raw,
    };
  }
  if (mark) {
    const share = mark[1].n / [...marks.values()].reduce((s, e) => s + e.n, 0);
    const agree = countryCode === mark[0];
    return {
      code: mark[0],
      confidence: Math.min(0.95, (agree ? 0.85 : 0.7) + (share >= 0.9 ? 0.05 : 0) + (mark[1].n >= 3 ? 0.05 : 0)),
      how: 'symbols',
      index: mark[1].index,
      raw: mark[1].raw,
    };
  }
  // 4. The country; 5. the language.
  if (countryCode) {
    const strength = locale.countryScore - locale.runnerUpScore;
    return {
      code: countryCode,
      confidence: strength >= 6 ? 0.9 : strength >= 3 ? 0.8 : 0.6,
      how: 'country',
      index: null,
      raw: null,
    };
  }
  const byLanguage = language ? LANGUAGE_CURRENCY[language] : undefined;
  if (byLanguage) return { code: byLanguage, confidence: 0.5, how: 'language', index: null, raw: null };
  // 6. Any ISO code in the text.
  const code = /\b([A-Z]{3})\b/g;
  while ((m = code.exec(text.slice(0, 20_000))) !== null) {
    if (m[1] && CURRENCY_CODES.has(m[1]))
      return { code: m[1], confidence: 0.5, how: 'symbols', index: m.index, raw: m[1] };
  }
  return null;
}
