import { findAmounts, type FoundAmount } from '../amounts.js';
import type { Line, LineIndex } from '../text.js';
import { firstPhrase, labelTokens, type Phrase } from './fuzzy.js';
import { labelFor } from './labels.js';
import {
  CHANGE_LABELS,
  DISCOUNT_LABELS,
  DUE_LABELS,
  EXCL_MARKERS,
  GROSS_LABELS,
  INCL_MARKERS,
  NET_LABELS,
  PREPAID_LABELS,
  QTY_LABELS,
  ROUNDING_LABELS,
  TAX_LABELS,
  TAX_OF_WHICH,
  TAX_SUMMARY_HEADERS,
  TENDER_LABELS,
  TOTAL_LABELS,
  UNIT_LABELS,
} from './lexicon.js';

/**
 * Amount rules. Every money-like number gets a class from its label (fuzzy, multilingual, see
 * `lexicon.ts`): gross total, amount due, plain total, net, tax, rounding, cash tendered, change,
 * discount, prepayment, quantity, or (English statements, payslips, policies) balance, net pay and
 * premium. The headline total is the best gross/total candidate, checked against the document's
 * arithmetic: net + tax, cash − change, the line after a rounding adjustment, and the subtotals it
 * must not be below. Totals inside a tax summary table are never the headline.
 */

export type AmountClass =
  | 'due'
  | 'gross'
  | 'total'
  | 'net'
  | 'tax'
  | 'rounding'
  | 'tender'
  | 'change'
  | 'discount'
  | 'prepaid'
  | 'qty'
  | 'unit'
  | 'balance'
  | 'netpay'
  | 'premium'
  | 'other'
  | 'none';

/** The kinds reported to the rest of the extractor (kept from the first version). */
export type AmountKind = 'due' | 'total' | 'balance' | 'net' | 'premium' | 'other' | 'none';

export interface AmountCandidate extends FoundAmount {
  label: string;
  cls: AmountClass;
  kind: AmountKind;
  score: number;
  /** Inside a tax summary table. */
  inSummary: boolean;
  /** Read from an OCR'd integer that lost its decimal point ("8091" → 80.91). */
  repaired: boolean;
  /** What confirmed it (net + tax, cash − change, after rounding …). */
  checks: string[];
  line: Line;
}

export interface TaxLine {
  rate: number | null;
  net_amount: number | null;
  tax_amount: number | null;
}

export interface AmountFacts {
  all: AmountCandidate[];
  /** The headline amount (gross total, or due/balance/net pay/premium for other documents). */
  total: AmountCandidate | undefined;
  /** The gross total incl. tax, when one is labelled or implied. */
  gross: AmountCandidate | undefined;
  due: AmountCandidate | undefined;
  balance: AmountCandidate | undefined;
  net: AmountCandidate | undefined;
  tax: AmountCandidate | undefined;
  taxLines: TaxLine[];
  /** Margin of the headline over the runner-up (for confidence). */
  margin: number;
}

// English labels of statements, payslips and policies (the first rules, kept as they are tested).
const LEGACY: readonly (readonly [RegExp, AmountClass])[] = [
  [
    /\b(?:new balance|statement balance|closing balance|ending balance|current balance|account balance|neuer saldo|schlusssaldo|nouveau solde|saldo final)\b/,
    'balance',
  ],
  [
    /\b(?:net pay|net earnings|take[- ]home pay|net salary|nettolohn|nettogehalt|auszahlungsbetrag|líquido a percibir)\b/,
    'netpay',
  ],
  [/\b(?:total premium|annual premium|premium due|premium|prämie|beitrag)\b/, 'premium'],
];
const LEGACY_NEGATIVE =
  /\b(?:previous balance|prior balance|opening balance|beginning balance|starting balance|payments? received|credits?|credit limit|available|minimum|interest|late fee|gross|deductions?|ytd|year to date|deposit|withdrawal|limit|deductible|coverage|liability|past due|overdue amount|last payment|tip|withheld|wages|shipping|delivery)\b/;
const NEVER_HEADLINE =
  /\b(?:sub-?total|limit|coverage|deductible|available|credit line|ytd|year to date|previous balance|prior balance|opening balance|beginning balance|unit price|rate|per|each|minimum|withheld)\b/;

/** Words that name an amount without saying which ("Amount incl. VAT"). */
const AMOUNT_WORDS = new Set([
  'amount',
  'betrag',
  'montant',
  'bedrag',
  'importe',
  'importo',
  'valor',
  'amaun',
  'sum',
  'sales',
  'jualan',
]);

const has = (toks: readonly string[], list: readonly Phrase[]): number => firstPhrase(toks, list)?.at ?? -1;

const CLASS_CACHE = new Map<string, AmountClass>();

/** The class of an amount from its label text. */
export function classifyAmountLabel(label: string): AmountClass {
  const hit = CLASS_CACHE.get(label);
  if (hit !== undefined) return hit;
  const cls = classifyUncached(label);
  if (CLASS_CACHE.size > 50_000) CLASS_CACHE.clear();
  CLASS_CACHE.set(label, cls);
  return cls;
}

function classifyUncached(label: string): AmountClass {
  const toks = labelTokens(label).slice(-10);
  if (toks.length === 0) return 'none';
  const due = has(toks, DUE_LABELS);
  const gross = has(toks, GROSS_LABELS);
  const total = has(toks, TOTAL_LABELS);
  const anyTotal = Math.max(gross, total);
  if (has(toks, CHANGE_LABELS) >= 0) return 'change';
  // "Total rounded", "Rounded total": the final total, not the adjustment.
  // "Total rounded", "Rounded total", "Total after rounding": the final total, not the adjustment.
  if (has(toks, ROUNDING_LABELS) >= 0)
    return toks.some((t) => /^(?:after|nach|apres|na|tras|dopo|apos|selepas|selepas)$/.test(t)) ||
      (anyTotal >= 0 && toks.some((t) => /^round(?:ed)?$/.test(t)))
      ? 'gross'
      : 'rounding';
  if (has(toks, PREPAID_LABELS) >= 0) return 'prepaid';
  // "Gross amount", "Gross total" (not "gross pay"), "Total credit": a named grand total that the
  // English statement words below (gross, credit) must not turn into something else.
  if (/\bgross\s+(?:amount|amt|total|sales)\b/.test(label)) return 'gross';
  const grossPhrase = firstPhrase(toks, GROSS_LABELS);
  if (grossPhrase && grossPhrase.phrase.words.length >= 2 && /credit/.test(grossPhrase.phrase.text)) return 'gross';
  const legacyNeg = LEGACY_NEGATIVE.test(label);
  if ((due >= 0 || toks.at(-1) === 'due') && !/minimum|past due|previous|overdue/.test(label)) return 'due';
  if (has(toks, DISCOUNT_LABELS) >= 0) return 'discount';
  if (has(toks, QTY_LABELS) >= 0 && due < 0 && gross < 0) return 'qty';
  const tax = has(toks, TAX_LABELS);
  // "Inclusive" as OCR reads it on receipts ("Inckeive", "i ctusive"): a word ending like it.
  const inclExact = has(toks, INCL_MARKERS);
  const inclFuzzy = toks.findIndex((t) => t.length >= 5 && !t.startsWith('ex') && /(?:usive|sive|eive)$/.test(t));
  const incl = inclExact >= 0 ? inclExact : inclFuzzy;
  const excl = has(toks, EXCL_MARKERS);
  const net = has(toks, NET_LABELS);
  const amountWord = toks.findIndex((t) => AMOUNT_WORDS.has(t));
  const head = Math.max(anyTotal, amountWord, due);
  // "Amt paid excl. GST": what was paid without the tax is a net amount, not cash tendered.
  if (has(toks, TENDER_LABELS) >= 0 && gross < 0 && total < 0 && excl < 0) return 'tender';
  if (tax >= 0) {
    // "Umsatzsteuerbefreit", "VAT exempt": a tax-free amount, not a tax.
    if (/(?:exempt|befreit|frei\b|exon[eé]r|vrijgesteld|exento|esente|isento|zero[- ]rated)/i.test(label))
      return 'other';
    // "Total includes 6% GST", "dont TVA", "davon MwSt": the tax inside the total.
    if (has(toks, TAX_OF_WHICH) >= 0) return 'tax';
    // "Total incl. GST", "Total Sales (Inclusive of GST)", "Amount incl. VAT".
    if (incl >= 0 && head >= 0 && tax > Math.min(incl, head)) return 'gross';
    // "… (Inclusive of GST) : 599.45" with the head word lost to OCR: a bracketed incl. qualifier
    // without a rate names the total; "inkl. MwSt 1,52", "incl. 6% GST 1.62" name the tax in it.
    if (
      incl >= 0 &&
      tax > incl &&
      !/%/.test(label) &&
      /\(\s*(?:\p{L}{1,2}\s+)?\p{L}*(?:incl|inkl|inc\b|usive|sive|eive)/iu.test(label)
    )
      return 'gross';
    // "Total excl. GST", "Rechnungssumme ohne USt.".
    if (excl >= 0) return 'net';
    // "Total Sales (… GST)", "Total Amount … VAT": the tax word qualifies a named total further on
    // (an incl. marker OCR lost); "Total Sales Tax", "Total GST", "Sales tax" name the tax itself.
    const noun = toks.findIndex((t, i) => i > anyTotal && i < tax && /^(?:sales|amount|amt|bill|payable)$/.test(t));
    if (anyTotal >= 0 && noun >= 0 && tax > noun + 1 && toks[tax - 1] !== 'sales' && has(toks, TAX_OF_WHICH) < 0)
      return 'gross';
    // "GST 6%", "Steuerbetrag", "GST included in total", "Total GST".
    return 'tax';
  }
  if (excl >= 0 && (head >= 0 || net >= 0)) return 'net';
  if (incl >= 0 && head >= 0) return 'gross';
  if (net >= 0) return 'net';
  for (const [re, cls] of LEGACY) if (re.test(label)) return cls;
  if (legacyNeg) return 'other';
  if (gross >= 0) return 'gross';
  if (total >= 0) return 'total';
  if (has(toks, UNIT_LABELS) >= 0) return 'unit';
  if (/\b(?:refund|balance)\b/.test(label)) return 'other';
  if (/\b(?:amount|charges?|cost|fee)\b/.test(label)) return 'other';
  return 'none';
}

function kindOf(cls: AmountClass): AmountKind {
  switch (cls) {
    case 'due':
      return 'due';
    case 'gross':
    case 'total':
      return 'total';
    case 'balance':
      return 'balance';
    case 'netpay':
      return 'net';
    case 'premium':
      return 'premium';
    case 'none':
      return 'none';
    default:
      return 'other';
  }
}

const BASE: Partial<Record<AmountClass, number>> = {
  due: 10,
  gross: 9.5,
  total: 8,
  balance: 8,
  netpay: 8,
  premium: 7,
};

/**
 * Lines inside tax summary tables: from the header while the rows are rate/amount rows (at most
 * 12 lines). A blank line, a section heading ("Belegsummen:") or a labelled total, net, tax or
 * payment line of the document proper ends the table; the table's own "Total:" row stays in it.
 */
function summaryLines(lines: LineIndex): Set<number> {
  const out = new Set<number>();
  for (const line of lines.nonEmpty) {
    const toks = labelTokens(line.text);
    if (toks.length === 0 || toks.length > 6 || !firstPhrase(toks, TAX_SUMMARY_HEADERS)) continue;
    out.add(line.no);
    for (let i = line.no + 1; i < line.no + 13 && i < lines.lines.length; i++) {
      const l = lines.lines[i];
      if (!l || l.text.trim().length === 0) break;
      const t = l.text.trim();
      if (/^[\p{L} .-]{3,40}:\s*$/u.test(t)) break; // a section heading
      if (/\b(?:thank|terima|danke|merci|dank|gracias|grazie|obrigad)/i.test(t)) break;
      const labelPart = t.split(/[-−]?\d/)[0] ?? '';
      const cls = classifyAmountLabel(labelPart);
      const ltoks = labelTokens(labelPart);
      if (['gross', 'due', 'net', 'rounding', 'tender', 'change', 'prepaid', 'discount'].includes(cls)) break;
      if (cls === 'total' && ltoks.length > 2) break;
      out.add(i);
    }
  }
  return out;
}

const MONEY_CLASSES = new Set<AmountClass>(['gross', 'total', 'due', 'net', 'tax', 'rounding', 'tender', 'change']);

/**
 * OCR on receipts often turns a decimal point into a space ("RM 64 13", "100. 00"). On lines
 * labelled as money, put the point back, keeping every offset: "64 13" → "64.13", "100. 00" →
 * " 100.00". Returns the repaired text and the lines changed.
 */
function repairAmountText(lines: LineIndex): { text: string; changed: Set<number> } {
  const changed = new Set<number>();
  const out: string[] = [];
  // Amounts written with a decimal point and two decimals ("12.50"), none with a decimal comma.
  const pointCents = (lines.text.match(/\d\.\d{2}(?!\d)/g)?.length ?? 0) >= 3 && !/\d,\d{2}(?![\d])/.test(lines.text);
  for (const line of lines.lines) {
    let t = line.text;
    const first = t.search(/\d/);
    // A currency mark glued to the number ("RM20. 40", "$12. 50") says money whatever the label.
    const marked = /(?:RM|[$€£])\d{1,6}\.\s\d{2}(?!\d)/.test(t);
    if (first > 0 && (marked || MONEY_CLASSES.has(classifyAmountLabel(t.slice(0, first).toLowerCase())))) {
      const before = t;
      // Letters OCR reads for digits inside a number ("1z.15", "4O.00") and a stray
      // slash or bar glued to the front of the amount ("TOTAL /18.00"): one character for one.
      t = t.replace(/(?<=\d)[zZ](?=[\d.,\s]|$)|(?<=\d[.,]?)[oO](?=[\d.,\s]|$)/g, (m) =>
        m === 'z' || m === 'Z' ? '2' : '0',
      );
      t = t.replace(/(?<=\s)[/\\](?=\d{1,6}[.,]\d{2}(?!\d))/g, ' ');
      // A tax code glued to the cents ("100.00S" read as "100.006"): the third decimal goes when
      // the document writes its amounts with a point and two decimals.
      if (pointCents) t = t.replace(/(?<![\d.,])(\d{1,6}\.\d{2})[568](?=\s*$)/, (_m, a: string) => `${a} `);
      t = t.replace(/(?<![\d.,])(\d{1,6})\.\s(\d{2})(?![\d])/g, (_m, a: string, b: string) => ` ${a}.${b}`);
      t = t.replace(
        /(?<![\d.,])(\d{1,6}) (\d{2})(\s*(?:[A-Z]{1,2}|[^\w\s]{1,2})?\s*)$/,
        (_m, a: string, b: string, rest: string) => `${a}.${b}${rest}`,
      );
      if (t !== before) changed.add(line.no);
    }
    out.push(t);
  }
  return { text: out.join('\n'), changed };
}

/** Checks that confirm an amount by the document's own arithmetic (not by position). */
export const ARITHMETIC_CHECKS = new Set(['net + tax', 'cash − change', 'subtotal + taxes', 'net amount paid']);

/** Credit notes (their totals are negative). */
const CREDIT_NOTE =
  /\b(?:credit note|credit memo|gutschrift|rechnungskorrektur|stornorechnung|avoir|note de crédit|creditnota|creditfactuur|nota de cr[eé]dito|factura rectificativa|nota di credito)\b/i;

/** A number followed by a unit of time or a percent sign is a term, not money ("30 Tagen", "14 days"). */
const TERM_AFTER =
  /^\s*(?:%|days?|tage?n?|jours?|dagen|dag|d[ií]as?|giorni|hari|months?|monate?n?|mois|maanden|meses|mesi|weeks?|wochen?|semaines?|weken|x\b)/i;

const near = (a: number, b: number, tol = 0.011): boolean => Math.abs(a - b) <= tol;

export function amountFacts(
  text: string,
  lines: LineIndex,
  mainAmountExpected: boolean,
  payable: boolean,
  /** Spans of the dates found in the text: numbers inside them are never amounts. */
  dateSpans: readonly { index: number; raw: string }[] = [],
): AmountFacts {
  const summary = summaryLines(lines);
  const creditNote = CREDIT_NOTE.test(text.slice(0, 3000));
  const all: AmountCandidate[] = [];
  let decimals = 0;
  let count = 0;
  const fixed = repairAmountText(lines);
  for (const a of findAmounts(fixed.text)) {
    // "TOTAL AMOUNT DUE ON August 3, 2014 $4.11": the year is part of a date.
    if (dateSpans.some((d) => a.index < d.index + d.raw.length && d.index < a.index + a.raw.length)) continue;
    const line = lines.lineAt(a.index);
    const label = labelFor(lines, a.index);
    const after = text.slice(a.index + a.raw.length, a.index + a.raw.length + 12);
    const cls = TERM_AFTER.test(after) ? 'other' : classifyAmountLabel(label);
    const inSummary = summary.has(line.no);
    count++;
    if (a.hasDecimals) decimals++;
    const repaired =
      fixed.changed.has(line.no) &&
      fixed.text.slice(a.index, a.index + a.raw.length) !== text.slice(a.index, a.index + a.raw.length);
    all.push({ ...a, label, cls, kind: kindOf(cls), score: 0, inSummary, repaired, checks: [], line });
  }
  // The amount on the line right after a rounding adjustment, with at most a currency mark as its
  // label, is the rounded total ("ROUNDING -0.01" / "RM 60.30").
  for (const r of all.filter((c) => c.cls === 'rounding' && Math.abs(c.amount) < 1)) {
    const next = all.find(
      (c) =>
        c.line.no > r.line.no &&
        c.line.no <= r.line.no + 2 &&
        c.cls === 'none' &&
        labelTokens(c.label).join('').length <= 3 &&
        c.hasDecimals,
    );
    if (next) {
      next.cls = 'gross';
      next.kind = 'total';
      next.checks.push('line after rounding');
    }
  }
  // OCR dropped the decimal point of a labelled total ("Total 8091") while the document's other
  // amounts have decimals: offer the cents reading too.
  if (count >= 3 && decimals / count >= 0.6) {
    for (const c of [...all]) {
      if ((c.cls === 'gross' || c.cls === 'total') && !c.hasDecimals && !c.currency && /^\d{3,6}$/.test(c.raw)) {
        all.push({ ...c, amount: c.amount / 100, hasDecimals: true, repaired: true, checks: [] });
      }
    }
  }

  const nets = all.filter((c) => c.cls === 'net' && !c.inSummary && c.amount > 0);
  const taxes = all.filter((c) => c.cls === 'tax' && !c.inSummary && c.amount >= 0);
  const tenders = all.filter((c) => c.cls === 'tender' && c.amount > 0);
  const changes = all.filter((c) => c.cls === 'change' && c.amount >= 0);
  const roundings = all.filter((c) => c.cls === 'rounding');
  // Cash handed over and change given back: a till receipt, whatever its title says.
  const expectsTotal = mainAmountExpected || (tenders.some((t) => t.hasDecimals) && changes.some((c) => c.hasDecimals));
  const discount = all.some((c) => c.cls === 'discount' && Math.abs(c.amount) > 0);

  const headlineClasses = new Set<AmountClass>(['gross', 'due', 'total', 'balance', 'netpay', 'premium']);
  // "Net Amount" on many receipts is the final amount (after discounts, with tax): when a net
  // amount is what the customer paid (cash − change) or is a subtotal plus the taxes, it is the total.
  for (const c of all) {
    if (c.cls !== 'net' || c.inSummary || c.amount <= 0) continue;
    // "Sub total 64.00 / GST 3.84 / Net total 67.85": a net-labelled amount printed below the tax
    // and above the other net amount is the final amount (a net before tax comes before the tax).
    const belowTax = taxes.some((t) => t.line.no < c.line.no && t.amount > 0);
    // Above it a smaller subtotal: a net, or a "Gross Amt" before the tax was added.
    const belowSmallerNet = all.some(
      (n) =>
        n !== c &&
        !n.inSummary &&
        (n.cls === 'net' || n.cls === 'gross' || n.cls === 'total') &&
        n.hasDecimals &&
        n.line.no < c.line.no &&
        n.amount > 0 &&
        n.amount < c.amount,
    );
    // A label that says "without tax" ("Rechnungssumme ohne USt.", "Total excl. VAT") never is.
    const saysExcl = has(labelTokens(c.label).slice(-10), EXCL_MARKERS) >= 0;
    if (belowTax && belowSmallerNet && !saysExcl && !nets.some((n) => n.line.no > c.line.no && n.amount > c.amount)) {
      c.cls = 'gross';
      c.kind = 'total';
      c.checks.push('below the tax');
      continue;
    }
    const paidExactly = tenders.some((t) =>
      changes.some((ch) => ch.amount > 0 && near(t.amount - ch.amount, c.amount, 0.005)),
    );
    const sumOfParts = nets.some(
      (n) =>
        n !== c && n.amount < c.amount && near(n.amount + taxes.reduce((a, t) => a + t.amount, 0), c.amount, 0.021),
    );
    if (paidExactly || sumOfParts) {
      c.cls = 'gross';
      c.kind = 'total';
      c.checks.push(paidExactly ? 'net amount paid' : 'subtotal + taxes');
    }
  }
  for (const c of all) {
    const base = BASE[c.cls];
    if (base === undefined) {
      c.score = c.cls === 'other' ? 3 : c.cls === 'none' ? 0 : -5;
    } else {
      c.score = base;
    }
    if (c.currency) c.score += 1;
    if (c.hasDecimals) c.score += 0.5;
    else if (!c.currency) c.score -= 3;
    if (c.amount <= 0 && !(creditNote && c.amount < 0)) c.score -= 2;
    if (c.repaired) c.score -= 2;
    if (c.inSummary) c.score -= 9;
    if (!headlineClasses.has(c.cls) || c.inSummary || c.amount <= 0) continue;
    // The arithmetic of the document.
    // Net + tax = total, with a tax that is a plausible VAT rate of the net (at most 30%).
    if (
      nets.some((n) =>
        taxes.some((t) => t.amount <= n.amount * 0.3 + 0.01 && near(n.amount + t.amount, c.amount, 0.021)),
      ) &&
      !nets.some((n) => near(n.amount, c.amount))
    ) {
      c.score += 2.5;
      c.checks.push('net + tax');
    }
    if (tenders.some((t) => changes.some((ch) => ch.amount > 0 && near(t.amount - ch.amount, c.amount, 0.005)))) {
      c.score += 2.5;
      c.checks.push('cash − change');
    } else if (tenders.some((t) => near(t.amount, c.amount)) && changes.every((ch) => near(ch.amount, 0))) {
      c.score += 1;
      c.checks.push('paid exactly');
    }
    if (nets.length > 0 && !discount && nets.some((n) => n.amount > c.amount + 0.05) && c.cls !== 'due') {
      c.score -= 2;
    }
    if (roundings.length > 0) {
      const r = roundings.at(-1);
      if (r && c.line.no > r.line.no && c.line.no <= r.line.no + 3) {
        c.score += 1.5;
        if (!c.checks.includes('line after rounding')) c.checks.push('after rounding');
      } else if (r && c.line.no < r.line.no && Math.abs(r.amount) > 0 && Math.abs(r.amount) < 0.1) {
        // Before a non-zero rounding adjustment: the unrounded total.
        if (all.some((o) => o !== c && o.line.no > r.line.no && near(o.amount, c.amount + r.amount))) c.score -= 2;
      }
    }
    const repeats = all.filter(
      (o) =>
        o !== c && !o.inSummary && headlineClasses.has(o.cls) && near(o.amount, c.amount) && o.line.no !== c.line.no,
    ).length;
    if (repeats > 0) {
      c.score += 0.5;
      c.checks.push('repeated');
    }
  }

  // Totals the arithmetic implies: cash tendered − change, and the gross total + a rounding
  // adjustment. When they agree, or the rounded total is not printed legibly, they stand in.
  // The payment line nearest above the change line; both with cents (OCR junk has none).
  const paid = changes
    .filter((ch) => ch.amount > 0 && ch.hasDecimals)
    .map((ch) => {
      const t = tenders
        .filter((x) => x.hasDecimals && x.line.no < ch.line.no && ch.line.no - x.line.no <= 3 && x.amount > ch.amount)
        .sort((a, b) => b.line.no - a.line.no)[0];
      return t ? Math.round((t.amount - ch.amount) * 100) / 100 : undefined;
    })
    .find((v) => v !== undefined);
  const r = roundings.filter((x) => Math.abs(x.amount) > 0 && Math.abs(x.amount) < 0.1 && !x.inSummary).at(-1);
  if (r) {
    const g = all
      .filter(
        (c) =>
          (c.cls === 'gross' || c.cls === 'total') &&
          !c.inSummary &&
          c.amount > 0 &&
          c.line.no < r.line.no &&
          r.line.no - c.line.no <= 5,
      )
      .sort((a, b) => b.score - a.score)[0];
    if (g) {
      const rounded = Math.round((g.amount + r.amount) * 100) / 100;
      const printed = all.find(
        (c) => c !== g && headlineClasses.has(c.cls) && !c.inSummary && near(c.amount, rounded, 0.005),
      );
      const agree = paid !== undefined && near(paid, rounded, 0.005);
      if (printed) {
        printed.score += agree ? 2 : 1;
        printed.checks.push('gross + rounding');
      } else {
        all.push({
          ...g,
          amount: rounded,
          raw: String(rounded),
          repaired: false,
          score:
            g.score +
            (agree ? 2.5 : 0.5) +
            (all.some((c) => c.line.no > r.line.no && c.line.no <= r.line.no + 2 && headlineClasses.has(c.cls))
              ? 0
              : 1),
          checks: agree ? ['gross + rounding', 'cash − change'] : ['gross + rounding'],
        });
      }
    }
  }
  const best = (pred: (c: AmountCandidate) => boolean): AmountCandidate | undefined => {
    let b: AmountCandidate | undefined;
    for (const c of all) {
      if (!pred(c)) continue;
      if (
        !b ||
        c.score > b.score ||
        (c.score === b.score && (c.line.no > b.line.no || (c.line.no === b.line.no && c.amount > b.amount)))
      )
        b = c;
    }
    return b;
  };
  // A balance may be negative (an overdrawn account); other headline amounts may not.
  // A credit note's total is negative.
  const usable = (c: AmountCandidate): boolean =>
    !c.inSummary &&
    (c.amount > 0 || (c.amount < 0 && (c.cls === 'balance' || creditNote))) &&
    c.score >= (c.amount > 0 || creditNote ? 6 : 4);
  let gross = best((c) => (c.cls === 'gross' || c.cls === 'total') && usable(c));
  const due = best((c) => c.cls === 'due' && usable(c));
  // An amount due that is net + tax while the "total" found is smaller and unchecked: that total
  // was a net figure under an unknown label ("Total ilíquido").
  if (
    gross &&
    due &&
    due.amount > gross.amount &&
    due.checks.includes('net + tax') &&
    !gross.checks.includes('net + tax')
  )
    gross = due;
  const balance = best((c) => c.cls === 'balance' && usable(c));
  const net = best((c) => c.cls === 'net' && !c.inSummary && c.amount > 0);
  const tax =
    best((c) => c.cls === 'tax' && !c.inSummary && c.amount >= 0 && c.checks.length > 0) ??
    (gross && net ? taxes.find((t) => near(net.amount + t.amount, gross?.amount ?? 0, 0.021)) : undefined) ??
    best((c) => c.cls === 'tax' && !c.inSummary && c.amount >= 0 && c.hasDecimals);

  let total = best((c) => headlineClasses.has(c.cls) && usable(c));
  const arithmetic = (c: AmountCandidate | undefined): boolean =>
    Boolean(c?.checks.some((k) => ARITHMETIC_CHECKS.has(k)));
  // A total below the amount before tax is no total (without a discount): when that net amount
  // plus its tax is not printed legibly, it is the total ("Amt excl. GST 73.87 / GST 4.43" with
  // the total line garbled, and a points total "Total PV 12.10" printed below).
  if (total && !discount && !arithmetic(total) && (total.cls === 'gross' || total.cls === 'total')) {
    const head = total;
    const n = nets.filter((x) => x.hasDecimals && x.amount > head.amount + 0.05).sort((a, b) => b.amount - a.amount)[0];
    const t = n
      ? taxes.find(
          (x) => x.hasDecimals && x.amount > 0 && x.amount <= n.amount * 0.3 && Math.abs(x.line.no - n.line.no) <= 3,
        )
      : undefined;
    if (n && t) {
      const sum = Math.round((n.amount + t.amount) * 100) / 100;
      const implied: AmountCandidate = {
        ...n,
        amount: sum,
        raw: String(sum),
        cls: 'gross',
        kind: 'total',
        repaired: false,
        checks:
          paid !== undefined && near(paid, sum, 0.005)
            ? ['net + tax', 'cash − change', 'implied']
            : ['net + tax', 'implied'],
        score: head.score,
      };
      all.push(implied);
      total = implied;
      if (!gross || gross === head) gross = implied;
    }
  }
  // Without a prepayment, the amount due of a receipt or invoice is its total: when it is the one
  // the arithmetic confirms, it is the gross total too.
  const prepaid = all.some((c) => c.cls === 'prepaid' && Math.abs(c.amount) > 0);
  if (due && gross && !prepaid && ((arithmetic(due) && !arithmetic(gross)) || (!gross.hasDecimals && due.hasDecimals)))
    gross = due;
  // What was paid (cash − change) against a weak or unconfirmed headline: when another printed
  // amount agrees with it, or the headline lost its cents, the payment is the total.
  if (paid !== undefined && paid > 0 && expectsTotal) {
    const head = gross ?? total;
    const confirmed = all.some((c) => near(c.amount, paid, 0.005) && c.cls !== 'change');
    const weak = !head || !head.hasDecimals || head.repaired;
    if (head && !near(head.amount, paid, 0.005) && !arithmetic(head) && (confirmed || weak)) {
      const anchor = changes.find((ch) => ch.amount > 0) ?? head;
      const t: AmountCandidate = {
        ...anchor,
        amount: paid,
        raw: String(paid),
        cls: 'gross',
        kind: 'total',
        // Two OCR'd readings disagree (the printed total and cash − change): right more often
        // than the printed one, but not sure.
        checks: ['cash − change', 'disagrees with the printed total'],
        score: head.score,
      };
      all.push(t);
      if (!gross || gross === head) gross = t;
      if (total === head) total = t;
    }
  }
  if (!total && expectsTotal) {
    // Unlabelled fallback: the largest positive amount that carries a currency and no negative label.
    const centsDocument = count >= 3 && decimals / count >= 0.5;
    total = all
      .filter(
        (c) =>
          c.currency !== null &&
          c.amount > 0 &&
          (c.hasDecimals || !centsDocument) &&
          !c.inSummary &&
          !NEVER_HEADLINE.test(c.label) &&
          !['tender', 'change', 'tax', 'rounding', 'discount', 'prepaid', 'qty', 'unit', 'net'].includes(c.cls),
      )
      .reduce<AmountCandidate | undefined>((m, c) => (!m || c.amount > m.amount ? c : m), undefined);
    // A subtotal above that amount, paid exactly ("SUBTOTAL 20.40 / CASH 20.40"): an item
    // price is never the total when a larger sum of the items was paid.
    const paidSubtotal = nets
      .filter(
        (n) =>
          n.hasDecimals &&
          n.amount > (total?.amount ?? 0) &&
          tenders.some((t) => near(t.amount, n.amount, 0.005)) &&
          changes.every((ch) => near(ch.amount, 0)),
      )
      .sort((a, b) => b.amount - a.amount)[0];
    if (paidSubtotal) total = { ...paidSubtotal, cls: 'gross', kind: 'total', checks: ['paid exactly'] };
  }
  if (!total && expectsTotal) {
    // Last resorts on a receipt: a net total nothing contradicts, what was paid (cash − change), or
    // the only payment line.
    // Paid with no change ("CASH 48.00 / CHANGE 0.00") at least the net: what was paid is the total.
    const exact =
      tenders.length === 1 &&
      changes.length > 0 &&
      changes.every((ch) => near(ch.amount, 0)) &&
      tenders[0]?.hasDecimals &&
      !all.some((c) => c.cls === 'net' && !c.inSummary && c.amount > (tenders[0]?.amount ?? 0) + 0.005)
        ? tenders[0]
        : undefined;
    total =
      exact ??
      best((c) => c.cls === 'net' && !c.inSummary && c.amount > 0 && c.hasDecimals) ??
      (paid !== undefined
        ? undefined
        : tenders.length === 1 && changes.every((ch) => near(ch.amount, 0))
          ? tenders[0]
          : undefined);
    if (!total && paid !== undefined && paid > 0) {
      const anchor = changes[0] ?? tenders[0];
      if (anchor)
        total = {
          ...anchor,
          amount: paid,
          raw: String(paid),
          cls: 'gross',
          kind: 'total',
          checks: ['cash − change'],
          score: 5,
        };
    }
    if (total) {
      total.checks.push('fallback');
      gross ??= total;
    }
  }
  let margin = 0;
  if (total) {
    const runner = all
      .filter((c) => c !== total && headlineClasses.has(c.cls) && !near(c.amount, total.amount) && !c.inSummary)
      .reduce((m, c) => Math.max(m, c.score), -Infinity);
    margin = Number.isFinite(runner) ? total.score - runner : 5;
  }
  void payable;
  return { all, total, gross, due, balance, net, tax, taxLines: taxLines(text, lines), margin };
}

// ---------------------------------------------------------------------------------------------
// Tax lines

const RATE_WORDS = /\b(?:tax|vat|gst|hst|sst|mwst|ust|umsatzsteuer|steuer|tva|btw|iva|imposta|cukai|moms|mva|alv)\b/i;

/**
 * Tax breakdown rows: a line with a rate and amounts where tax = net × rate / 100 (to the cent).
 * Language-independent: "MwSt 19% auf 1.000,00 190,00", "Umsatzsteuer (S) 113,03 7 7,91",
 * "SR 6 165.00 9.90", "VAT 20% 200.00" (net unknown).
 */
export function taxLines(text: string, lines: LineIndex): TaxLine[] {
  const out: TaxLine[] = [];
  const summary = summaryLines(lines);
  for (const line of lines.nonEmpty) {
    const inTable = summary.has(line.no);
    if (!inTable && !RATE_WORDS.test(line.text)) continue;
    const nums = [
      ...line.text.matchAll(
        /(?<![\p{L}\d.,])(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(\s?%)?(?![\d])/gu,
      ),
    ].map((m) => ({ v: parseLocaleNumber(m[1] ?? ''), pct: Boolean(m[2]) }));
    const values = nums.filter((n): n is { v: number; pct: boolean } => n.v !== null);
    let found: TaxLine | undefined;
    for (const r of values) {
      if (r.v <= 0 || r.v > 30) continue;
      for (const n of values) {
        if (n === r || n.pct || n.v <= r.v) continue;
        for (const t of values) {
          if (t === r || t === n || t.pct) continue;
          if (near((n.v * r.v) / 100, t.v, 0.011 + n.v * 0.00005)) {
            found = { rate: r.v, net_amount: n.v, tax_amount: t.v };
            break;
          }
        }
        if (found) break;
      }
      if (found) break;
    }
    if (!found && !inTable) {
      const pct = values.find((v) => v.pct && v.v > 0 && v.v <= 30);
      const amts = values.filter((v) => !v.pct && v !== pct);
      if (pct && amts.length === 1 && amts[0]) found = { rate: pct.v, net_amount: null, tax_amount: amts[0].v };
    }
    if (found && !out.some((o) => o.rate === found.rate && o.tax_amount === found.tax_amount)) out.push(found);
  }
  return out.slice(0, 10);
}

function parseLocaleNumber(raw: string): number | null {
  if (/^\d{1,3}(?:[.,]\d{3})+$/.test(raw)) return Number(raw.replace(/[.,]/g, ''));
  const m = /^(\d{1,3}(?:([.,])\d{3})*|\d+)(?:([.,])(\d{1,2}))?$/.exec(raw);
  if (!m) return null;
  const int = (m[1] ?? '').replace(/[.,]/g, '');
  return Number(m[4] ? `${int}.${m[4]}` : int);
}
