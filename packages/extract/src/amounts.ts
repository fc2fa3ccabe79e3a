/**
 * Money amounts. Number formats understood:
 * - US/UK `1,234.56`, European `1.234,56`, Swiss `1'234.56`, French/SI `1 234,56` (non-breaking or
 *   thin space only, a plain space never joins two numbers), plain `1234.5` / `1234,50`.
 * - With both `.` and `,` present the last one is the decimal mark. With one kind only: followed
 *   by 1-2 digits it is the decimal mark; followed by exactly 3 digits (once or repeatedly) it
 *   groups thousands (`1,234` = 1234, `1.234` = 1234: money rarely has three decimals).
 * - A leading `-`, a trailing `-` or parentheses make the amount negative; `CR` is ignored.
 * Currencies: symbols `$ € £ ¥ ₹ ₩ ₽ ₺ ₪ ฿ ₱ ₫`, `US$ C$ CA$ A$ AU$ NZ$ HK$ S$ R$ MX$`, the letter
 * marks `RM` (MYR), `Rs`/`Rs.` (INR), `zł` (PLN), `Kč` (CZK), `Ft` (HUF), `Rp` (IDR), `CHF`/`Fr.`/
 * `SFr.` (CHF) and `kr` (Nordic krona/krone: left open, the document's country decides), and ISO
 * codes before or after the number. `$` alone means USD and `¥` JPY unless the caller knows better
 * (`symbol` keeps the mark as printed).
 */

export interface ParsedAmount {
  amount: number;
  currency: string | null;
}

export interface FoundAmount extends ParsedAmount {
  raw: string;
  index: number;
  /** Whether the number carried an explicit decimal part (e.g. `.00`). */
  hasDecimals: boolean;
  /** The currency mark as printed (`$`, `kr`, `EUR` …), null when none. */
  symbol: string | null;
}

const SYMBOLS: Record<string, string> = {
  $: 'USD',
  US$: 'USD',
  'U.S.$': 'USD',
  C$: 'CAD',
  CA$: 'CAD',
  A$: 'AUD',
  AU$: 'AUD',
  NZ$: 'NZD',
  HK$: 'HKD',
  S$: 'SGD',
  R$: 'BRL',
  MX$: 'MXN',
  '€': 'EUR',
  '£': 'GBP',
  '¥': 'JPY',
  '₹': 'INR',
  '₩': 'KRW',
  '₽': 'RUB',
  '₺': 'TRY',
  '₪': 'ILS',
  '฿': 'THB',
  '₱': 'PHP',
  '₫': 'VND',
};

/** Currency marks made of letters: only when not glued to other letters. `kr` stays open (null). */
const LETTER_SYMBOLS: Record<string, string | null> = {
  RM: 'MYR',
  Rs: 'INR',
  'Rs.': 'INR',
  zł: 'PLN',
  Kč: 'CZK',
  Ft: 'HUF',
  Rp: 'IDR',
  'Rp.': 'IDR',
  'Fr.': 'CHF',
  'SFr.': 'CHF',
  kr: null,
  'kr.': null,
  Kr: null,
  'Kr.': null,
};

export const CURRENCY_CODES = new Set([
  'USD',
  'EUR',
  'GBP',
  'CHF',
  'CAD',
  'AUD',
  'NZD',
  'JPY',
  'CNY',
  'HKD',
  'SGD',
  'INR',
  'MYR',
  'IDR',
  'PHP',
  'VND',
  'TWD',
  'SEK',
  'NOK',
  'DKK',
  'ISK',
  'PLN',
  'CZK',
  'HUF',
  'RON',
  'BGN',
  'MXN',
  'BRL',
  'ZAR',
  'KRW',
  'RUB',
  'TRY',
  'ILS',
  'AED',
  'SAR',
  'THB',
]);

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const CODE_ALT = [...CURRENCY_CODES].join('|');
const SYMBOL_ALT = Object.keys(SYMBOLS)
  .sort((a, b) => b.length - a.length)
  .map(escape)
  .join('|');
const LETTER_ALT = Object.keys(LETTER_SYMBOLS)
  .sort((a, b) => b.length - a.length)
  .map(escape)
  .join('|');
const CUR = `(?:${SYMBOL_ALT}|(?<![\\p{L}])(?:${CODE_ALT}|${LETTER_ALT})(?![\\p{L}]))`;
/** A number: grouped thousands with `,` `.` `'` or nbsp/thin space, optional 1-2 decimals; or plain digits. */
const NUM = `(?:\\d{1,3}(?: \\d{3})+,\\d{2}|\\d{1,3}(?:(?<gs>[,.'\\u00a0\\u202f])\\d{3})(?:\\k<gs>\\d{3})*(?:[.,]\\d{1,2})?|\\d+(?:[.,]\\d{1,2})?)`;

// Spaces between the parts, never a line break: "4.30" ending one line and "RM" opening the next
// are two things.
const SP = '[^\\S\\n]?';
const AMOUNT_RE = new RegExp(
  `(?<open>\\()?(?<pre>${CUR})?${SP}(?<sign>[-\u2212])?${SP}(?<pre2>${CUR})?${SP}(?<num>${NUM})(?![\\d])(?:${SP}(?<post>${CUR}))?(?<trail>-(?![\\d]))?(?<close>\\))?`,
  'gu',
);

/** Normalise a number string (any of the formats above) to a JS number; null when it is not one. */
export function parseNumber(raw: string): number | null {
  let s = raw.replace(/[\s\u00a0\u202f']/g, '');
  if (!/^\d[\d.,]*$/.test(s)) return null;
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  if (lastDot >= 0 && lastComma >= 0) {
    const dec = lastDot > lastComma ? '.' : ',';
    const group = dec === '.' ? ',' : '.';
    s = s.split(group).join('');
    if (s.split(dec).length > 2) return null;
    s = s.replace(dec, '.');
  } else if (lastDot >= 0 || lastComma >= 0) {
    const sep = lastDot >= 0 ? '.' : ',';
    const parts = s.split(sep);
    const tail = parts.at(-1) ?? '';
    if (parts.length > 2 || (tail.length === 3 && (parts[0] ?? '').length <= 3 && (parts[0] ?? '') !== '0')) {
      if (!parts.slice(1).every((p) => p.length === 3)) return null;
      s = parts.join('');
    } else {
      s = parts.join('.');
    }
  }
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function currencyOf(token: string | undefined): string | null {
  if (!token) return null;
  const t = token.trim();
  if (t in LETTER_SYMBOLS) return LETTER_SYMBOLS[t] ?? null;
  return SYMBOLS[t] ?? (CURRENCY_CODES.has(t) ? t : null);
}

/**
 * Every money-like number in `text`, with its currency when one is attached. Numbers that are part
 * of dates, times, ids or percentages are skipped.
 */
export function findAmounts(text: string): FoundAmount[] {
  const out: FoundAmount[] = [];
  AMOUNT_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = AMOUNT_RE.exec(text)) !== null) {
    if (m[0].length === 0) {
      AMOUNT_RE.lastIndex++;
      continue;
    }
    const g = m.groups ?? {};
    const num = g.num ?? '';
    const numStart = m.index + m[0].lastIndexOf(num);
    const start = m.index + Math.max(0, m[0].search(/\S/));
    const lead = text.slice(Math.max(0, start - 2), start);
    const after = text.slice(numStart + num.length, numStart + num.length + 2);
    const startsWithSymbol = /^[(]?[^\p{L}\d\s(-]/u.test(m[0].trim());
    // Glued to letters/ids/dates/times: not an amount.
    if (!startsWithSymbol && (/[\p{L}\d#/.\-_]$/u.test(lead) || /\d[:.,]$/.test(lead))) continue;
    if (/^[/:%-]\d|^%|^\s%|^[/:]/.test(after) || /^[.,]\d/.test(after)) continue;
    const currency = currencyOf(g.pre) ?? currencyOf(g.pre2) ?? currencyOf(g.post);
    // "1 740,00 €": a plain space groups thousands only next to a currency mark (in a table
    // "1 250,00" is more often a quantity and a price); else read on from after the first group.
    if (/ /.test(num) && !(g.pre ?? g.pre2 ?? g.post)) {
      AMOUNT_RE.lastIndex = numStart + num.indexOf(' ');
      continue;
    }
    const value = parseNumber(num);
    if (value === null) continue;
    const symbol = (g.pre ?? g.pre2 ?? g.post)?.trim() ?? null;
    const negative = Boolean(g.sign) || Boolean(g.trail) || (Boolean(g.open) && Boolean(g.close));
    out.push({
      amount: negative ? -value : value,
      currency,
      raw: m[0].trim(),
      index: start,
      hasDecimals: /[.,]\d{1,2}$/.test(num) && !/^\d{1,3}([.,])\d{3}$/.test(num),
      symbol,
    });
  }
  return out;
}

/**
 * Parse a string holding one amount, e.g. "$1,234.56", "1.234,56 €", "EUR 99", "-£5.00", "(12.50)".
 * Returns null when there is no amount or more than one.
 */
export function parseAmount(s: string): ParsedAmount | null {
  const found = findAmounts(s);
  if (found.length !== 1) return null;
  const only = found[0];
  if (!only) return null;
  const rest = s
    .replace(only.raw, '')
    .replace(/[\s:=*]+/g, '')
    .replace(/^(?:CR|DR)$/i, '');
  if (rest.length > 0) return null;
  return { amount: Math.round(only.amount * 100) / 100, currency: only.currency };
}
