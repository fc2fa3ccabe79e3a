/**
 * The cross-check of an e-invoice's XML against what the document shows: the text-based result (the offline rules
 * over the PDF text) and the printed text itself. The XML always wins; a key field whose text reading disagrees gets
 * a lower confidence and a short note.
 */
import type { DocumentMetadata, EvidenceField } from '@autod/core';
import { findDates } from '../dates.js';

/** Confidence of a key field read from the XML. */
export const XML_CONFIDENCE = 0.99;
/** The text rules read another value, but the XML's value is printed on the document as well. */
export const MISMATCH_PRINTED_CONFIDENCE = 0.9;
/** The text reading disagrees and the XML's value is nowhere in the printed text: a person should look. */
export const MISMATCH_UNPRINTED_CONFIDENCE = 0.6;

export interface CrossCheckFinding {
  field: EvidenceField;
  /** The XML's value (kept). */
  xml: string;
  /** What the text-based reading found. */
  text: string;
  /** Whether the XML's value appears in the printed text. */
  printed: boolean;
  confidence: number;
  note: string;
}

/** Legal-form and filler words ignored when comparing party names. */
const NAME_NOISE = new Set([
  'gmbh',
  'mbh',
  'ag',
  'kg',
  'ohg',
  'ug',
  'eg',
  'se',
  'co',
  'inc',
  'ltd',
  'llc',
  'plc',
  'corp',
  'bv',
  'nv',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'the',
  'und',
  'and',
]);

function words(s: string): string[] {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((w) => w.length > 1 && !NAME_NOISE.has(w));
}

/** Same party: the significant words of one name are all in the other. */
export function sameName(a: string, b: string): boolean {
  const wa = new Set(words(a));
  const wb = new Set(words(b));
  if (wa.size === 0 || wb.size === 0) return false;
  return [...wa].every((w) => wb.has(w)) || [...wb].every((w) => wa.has(w));
}

function namePrinted(name: string, printedWords: ReadonlySet<string>): boolean {
  const w = words(name);
  return w.length > 0 && w.every((x) => printedWords.has(x));
}

function normId(s: string): string {
  return s.replace(/[\s#:]/g, '').toLowerCase();
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function idPrinted(id: string, printed: string): boolean {
  const parts = id.trim().split(/\s+/).map(escapeRe);
  return new RegExp(`(?<![\\p{L}\\p{N}])${parts.join('\\s*')}(?![\\p{L}\\p{N}])`, 'iu').test(printed);
}

/** The ways an amount is printed: 1234.5 → 1234.50, 1234,50, 1,234.50, 1.234,50, 1 234,50, 1'234.50 … */
function amountSpellings(value: number): string[] {
  const abs = Math.abs(value);
  const [int = '0', frac = '00'] = abs.toFixed(2).split('.');
  const grouped = (sep: string): string => int.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  const out = new Set<string>();
  for (const [thousands, dec] of [
    ['', '.'],
    ['', ','],
    [',', '.'],
    ['.', ','],
    [' ', ','],
    [' ', '.'],
    ['\u00a0', ','],
    ['\u202f', ','],
    ["'", '.'],
  ] as const) {
    out.add(`${grouped(thousands)}${dec}${frac}`);
  }
  if (frac === '00') out.add(grouped('')).add(grouped('.')).add(grouped(','));
  return [...out];
}

export function amountPrinted(value: number, printed: string): boolean {
  const alternatives = amountSpellings(value).map(escapeRe).join('|');
  return new RegExp(`(?<![\\d.,])(?:${alternatives})(?![\\d]|[.,]\\d)`).test(printed);
}

const CURRENCY_SIGNS: Readonly<Record<string, readonly string[]>> = {
  EUR: ['€', 'eur', 'euro'],
  USD: ['$', 'usd', 'us$'],
  GBP: ['£', 'gbp'],
  CHF: ['chf', 'fr.'],
  JPY: ['¥', 'jpy'],
};

function currencyPrinted(code: string, printed: string): boolean {
  const lower = printed.toLowerCase();
  const signs = CURRENCY_SIGNS[code] ?? [code.toLowerCase()];
  return signs.some((s) =>
    /^[a-z]/.test(s) ? new RegExp(`(?<![a-z])${escapeRe(s)}(?![a-z])`).test(lower) : lower.includes(s),
  );
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) < 0.005;
}

function fmt(n: number): string {
  return n.toFixed(2);
}

/**
 * Compare the XML-based metadata with the text-based one over the key fields (issuer, customer, date, total,
 * currency, invoice number, due date). Only fields both readings have are compared. For each disagreement the XML
 * value stays; the finding says whether that value is printed on the document (then the text rules misread it:
 * confidence 0.9) or not (the PDF shows something else than its XML: confidence 0.6).
 * `acceptedTotals` are the XML amounts a printed "total" may legitimately refer to (gross, amount due, net).
 */
export function crossCheck(
  xml: DocumentMetadata,
  textResult: DocumentMetadata,
  printed: string,
  acceptedTotals: readonly number[],
): CrossCheckFinding[] {
  const findings: CrossCheckFinding[] = [];
  const printedWords = new Set(words(printed));
  const printedDates = new Set(findDates(printed).map((d) => d.iso));
  const add = (field: EvidenceField, xmlValue: string, textValue: string, isPrinted: boolean, label: string): void => {
    const confidence = isPrinted ? MISMATCH_PRINTED_CONFIDENCE : MISMATCH_UNPRINTED_CONFIDENCE;
    const where = isPrinted ? 'which the PDF also shows' : 'which the PDF text does not show';
    findings.push({
      field,
      xml: xmlValue,
      text: textValue,
      printed: isPrinted,
      confidence,
      note: `E-invoice cross-check: ${label} read from the PDF text is "${textValue}", the embedded XML says "${xmlValue}" (${where}); the XML value is kept.`,
    });
  };

  for (const field of ['issuer', 'customer'] as const) {
    const x = xml[field];
    const t = textResult[field];
    if (x && t && !sameName(x, t)) add(field, x, t, namePrinted(x, printedWords), `the ${field}`);
  }
  const xd = xml.primary_date;
  const td = textResult.primary_date;
  if (xd && td && xd !== td) add('primary_date', xd, td, printedDates.has(xd), 'the date');

  const xt = xml.extracted_fields.total_amount ?? xml.extracted_fields.amount_due;
  const tt = textResult.extracted_fields.total_amount ?? textResult.extracted_fields.amount_due;
  if (xt !== null && tt !== null && !acceptedTotals.some((a) => close(Math.abs(a), Math.abs(tt)))) {
    add('total_amount', fmt(xt), fmt(tt), amountPrinted(xt, printed), 'the total');
  }

  const xc = xml.extracted_fields.currency;
  const tc = textResult.extracted_fields.currency;
  if (xc && tc && xc !== tc) add('currency', xc, tc, currencyPrinted(xc, printed), 'the currency');

  const xn = xml.extracted_fields.invoice_number;
  const tn = textResult.extracted_fields.invoice_number;
  if (xn && tn && normId(xn) !== normId(tn))
    add('invoice_number', xn, tn, idPrinted(xn, printed), 'the invoice number');

  const xdue = xml.extracted_fields.due_date;
  const tdue = textResult.extracted_fields.due_date;
  if (xdue && tdue && xdue !== tdue) add('due_date', xdue, tdue, printedDates.has(xdue), 'the due date');
  return findings;
}
