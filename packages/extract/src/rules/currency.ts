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
const DOLLAR_CURRENCIES = new Set(['USD', 'CAD', 'AUD', 'NZD', 'SGD', 'HKD', 'MXN', 'TWD']);
const KRONA_BY_COUNTRY: Record<string, string> = { SE: 'SEK', NO: 'NOK', DK: 'DKK', IS: 'ISK' };

/** The currency an amount's mark means on this document. */
export function resolveMark(a: Pick<AmountCandidate, 'currency' | 'symbol'>, locale: LocaleFacts): string | null {
  const country = locale.country ?? '';
  if (a.symbol === '$' && DOLLAR_BY_COUNTRY[country]) return DOLLAR_BY_COUNTRY[country] ?? null;
  // Tills print a bare `$` for the local currency: on a document that is clearly from a country
  // whose currency is not a dollar, `$` is that currency.
  if (a.symbol === '$' && locale.countryScore >= 5 && locale.countryScore - locale.runnerUpScore >= 3) {
    const local = COUNTRY_CURRENCY[country];
    if (local && !DOLLAR_CURRENCIES.has(local)) return local;
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
  /\b(?:currency|währung|rechnungswährung|devise|monnaie|valuta|moneda|divisa|moeda|mata wang)\s*:?\s*([A-Z]{3})\b|\b(?:in|en|em|dalam)\s+([A-Z]{3})\b|\(\s*([A-Z]{3}|RM|Rs\.?|€|\$|£)\s*\)/gi;
const LABEL_MARKS: Record<string, string> = { RM: 'MYR', Rs: 'INR', 'Rs.': 'INR', '€': 'EUR', $: 'USD', '£': 'GBP' };

/** Labels that name the document's own currency (beat a secondary "tax currency" label). */
const DOCUMENT_CURRENCY_LABEL =
  /rechnungsw|invoice currency|document currency|devise de (?:la )?facture|factuurvaluta|moneda de (?:la )?factura|valuta (?:della )?fattura/i;

/** Amount classes whose label may carry the document's currency as a word. */
const MONEY_LINE = new Set<AmountCandidate['cls']>(['gross', 'total', 'due', 'net', 'tender', 'change']);

type Tally = Map<string, { n: number; index: number; raw: string; strong: boolean }>;

export function decideCurrency(
  text: string,
  amounts: readonly AmountCandidate[],
  total: AmountCandidate | undefined,
  locale: LocaleFacts,
  language: string | null,
): CurrencyFact | null {
  const countryCode = locale.country ? (COUNTRY_CURRENCY[locale.country] ?? null) : null;
  const countryStrong =
    countryCode !== null && locale.countryScore >= 5 && locale.countryScore - locale.runnerUpScore >= 3;
  const sample = text.slice(0, 30_000);

  // A currency named by a label ("Rechnungswährung: GBP", "Amount (RM)", "Betrag in EUR").
  const labelled: Tally = new Map();
  CURRENCY_LABEL.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CURRENCY_LABEL.exec(sample)) !== null) {
    const tok = m[1] ?? m[2] ?? m[3] ?? '';
    const code = CURRENCY_CODES.has(tok) ? tok : LABEL_MARKS[tok];
    if (!code) continue;
    const strong = DOCUMENT_CURRENCY_LABEL.test(m[0]);
    const e = labelled.get(code) ?? { n: 0, index: m.index, raw: m[0], strong };
    e.n += strong ? 5 : 1;
    e.strong ||= strong;
    labelled.set(code, e);
  }
  // A currency mark standing as a word in the label of a money line ("RM CASH 100.00",
  // "TOTAL EUR 12.00" where the mark is not next to the number).
  for (const a of amounts) {
    if (a.currency || !MONEY_LINE.has(a.cls)) continue;
    for (const w of a.label.toUpperCase().split(/[^A-Z€$£]+/)) {
      const code = w === 'RM' ? 'MYR' : CURRENCY_CODES.has(w) ? w : (LABEL_MARKS[w] ?? null);
      if (!code) continue;
      const e = labelled.get(code) ?? { n: 0, index: a.index, raw: a.label, strong: false };
      e.n += 1;
      labelled.set(code, e);
      break;
    }
  }
  const strongLabel = [...labelled.entries()].find(([, e]) => e.strong);
  if (strongLabel) {
    return {
      code: strongLabel[0],
      confidence: 0.97,
      how: 'label',
      index: strongLabel[1].index,
      raw: strongLabel[1].raw,
    };
  }

  // The marks on the amounts (the headline total's counts three times).
  const marks: Tally = new Map();
  for (const a of amounts) {
    const code = resolveMark(a, locale);
    // A symbol on a number without cents is often OCR noise ("£22322"); ISO codes are not.
    if (!code || (!a.hasDecimals && a !== total && !/^[A-Z]{3}$/.test(a.symbol ?? ''))) continue;
    const e = marks.get(code) ?? { n: 0, index: a.index, raw: a.raw, strong: false };
    e.n += a === total ? 3 : 1;
    // An ISO code printed next to an amount is never an OCR smudge.
    if (/^[A-Z]{3}$/.test(a.symbol ?? '')) e.strong = true;
    if (a === total) [e.index, e.raw] = [a.index, a.raw];
    marks.set(code, e);
  }
  for (const [code, e] of labelled) {
    const x = marks.get(code) ?? { n: 0, index: e.index, raw: e.raw, strong: false };
    x.n += 2 * e.n;
    marks.set(code, x);
  }
  const ranked = [...marks.entries()].sort((a, b) => b[1].n - a[1].n);
  const top = ranked[0];
  const totalMark = total ? resolveMark(total, locale) : null;
  if (top) {
    const [code, e] = top;
    const sum = ranked.reduce((s, [, x]) => s + x.n, 0);
    const share = e.n / sum;
    // Stray marks on a document that is clearly from elsewhere: OCR reads "£", "¥", "€" out of
    // smudges, and a few foreign-priced lines do not make the document's currency.
    if (
      countryStrong &&
      countryCode !== code &&
      e.n <= 3 &&
      !e.strong &&
      !labelled.has(code) &&
      !(totalMark === code && total?.hasDecimals)
    ) {
      return { code: countryCode, confidence: 0.8, how: 'country', index: null, raw: null };
    }
    const agree = countryCode === code;
    let confidence = totalMark === code ? 0.9 : 0.75;
    if (agree) confidence += 0.05;
    if (share >= 0.9 && e.n >= 3) confidence += 0.03;
    if (share < 0.6) confidence -= 0.15;
    return {
      code,
      confidence: Math.min(0.97, confidence),
      how: totalMark === code ? 'total symbol' : labelled.has(code) ? 'label' : 'symbols',
      index: e.index,
      raw: e.raw,
    };
  }
  // The country; the language.
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
  // Any ISO code in the text.
  const code = /\b([A-Z]{3})\b/g;
  while ((m = code.exec(text.slice(0, 20_000))) !== null) {
    if (m[1] && CURRENCY_CODES.has(m[1]))
      return { code: m[1], confidence: 0.5, how: 'symbols', index: m.index, raw: m[1] };
  }
  return null;
}
