import { findDates, toIso, type FoundDate } from '../dates.js';
import type { LineIndex } from '../text.js';
import { firstPhrase, labelTokens } from './fuzzy.js';
import { labelWithSource } from './labels.js';
import { DUE_DATE_LABELS, ISSUE_DATE_LABELS } from './lexicon.js';
import { MONTH_FIRST_COUNTRIES, type LocaleFacts } from './locale.js';

/**
 * Date rules: which of the document's dates is its date, which is the due date, which span is
 * its period. Numeric dates are read day-first or month-first per document (see
 * {@link decideDayFirst}); dates damaged by OCR ("3B/D3/2018", "2512/2018") are recovered next to
 * a date label or a time.
 */

const DUE_LABEL =
  /\b(?:due|pay(?:ment)? by|payable (?:by|on|until)|pay before|pay on or before|please pay by|deadline|respond by|reply by|must be received by|no later than|fällig\w*|faellig\w*|zahlbar bis|zahlungsziel|zahlungsfrist|échéance|echeance|à payer avant|a payer avant|date limite|vencimiento|pagar antes|vervaldatum|vervaldag|te betalen vóór|te betalen voor|uiterlijk|scadenza|vencimento|pagar até|tarikh akhir)\b/;
/** "Please pay $5.00 by", "payment must reach us before": a due date in running text. */
const DUE_SENTENCE =
  /\b(?:pay|payment|paid|remit|respond|reply|return|submit|file|zahlbar|zahlen|payer|betalen|pagar|pagare)\b.{0,60}\b(?:by|before|until|no later than|on or before|bis|zum|avant|le|voor|vóór|antes del?|entro il|até)\s*$/;
const PRIMARY_LABEL =
  /\b(?:(?:statement|invoice|bill(?:ing)?|issue|issued|document|notice|letter|receipt|purchase|transaction|order|pay|print(?:ed)?|tax|assessment|report|visit|service|closing|sale|check|cheque|payment advice|tax point) date|date of (?:issue|invoice|statement|notice|letter|service|purchase)|dated|issued(?: on)?|as of|rechnungsdatum|ausstellungsdatum|belegdatum|datum|date de (?:facturation|facture|l'avis|émission|la facture)|date d'émission|factuurdatum|fecha(?: de (?:emisión|emision|factura|expedición))?|data (?:fattura|documento|emissione|da fatura|de emissão|de emissao)|tarikh)\b/;
const PERIOD_LABEL =
  /\b(?:period|from|through|thru|to|between|coverage|effective|start|begin|end|billing cycle|service dates|zeitraum|leistungszeitraum|période|periode|periodo|período|bis|du|au|van|tot|desde|hasta|dal|al)\b|[-–—]\s*$/;
const WEAK_DATE_LABEL =
  /\b(?:birth|dob|born|previous|last payment|payment received|received|expir\w*|exp|valid (?:until|thru|through)|gültig bis|since|opened|member since|posted|renew\w*|start date|hire date|employed|geburtsdatum|date de naissance|geboortedatum|bestellung|lieferdatum|leistungsdatum|liefer- und leistungsdatum|delivery date|date de livraison|leverdatum)\b/;
const BARE_DATE_LABEL = /\b(?:date|datum|fecha|data|tarikh)\b\W*$/;

export interface DateCandidate extends FoundDate {
  label: string;
  score: number;
  kind: 'due' | 'primary' | 'period' | 'weak' | 'bare' | 'none';
  /** Recovered from OCR damage (letters read for digits, a lost separator). */
  repaired: boolean;
  /** A time of day on the same line (a transaction timestamp). */
  withTime: boolean;
}

export interface DateFacts {
  all: DateCandidate[];
  primary: DateCandidate | undefined;
  due: DateCandidate | undefined;
  periodStart: string | undefined;
  periodEnd: string | undefined;
  /** Date labelled statement/invoice/issue date, if any. */
  statementDate: string | undefined;
  dayFirst: boolean | undefined;
  /** How strongly the document decided its day/month order (0 = no evidence). */
  orderEvidence: number;
}

// ---------------------------------------------------------------------------------------------
// Day/month order

/**
 * Day first or month first for this document. Votes: an unambiguous numeric date in the document
 * (13/05/2024 or 05/13/2024) 3 each; the country 2.5 (month first only in the US and the
 * Philippines); a non-English language 2. Undefined when nothing votes.
 */
export function decideDayFirst(
  text: string,
  locale: LocaleFacts,
  language: string | null,
): { dayFirst: boolean | undefined; evidence: number } {
  let vote = 0;
  let dmy = 0;
  let mdy = 0;
  for (const d of findDates(text.slice(0, 30_000))) {
    if (d.form !== 'numeric' || d.alt) continue;
    if (/\./.test(d.raw)) continue; // dotted dates are day-first everywhere; they say nothing about slashes
    if (d.order === 'dmy') dmy++;
    else mdy++;
  }
  vote += 3 * Math.min(2, dmy) - 3 * Math.min(2, mdy);
  // How the writer puts month names: "March 5, 2024" (month first) or "5 March 2024".
  const named = text.slice(0, 30_000);
  const monthFirst = (
    named.match(
      /\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,\s*\d{4}\b/gi,
    ) ?? []
  ).length;
  const dayFirstNamed = (
    named.match(
      /\b\d{1,2}(?:st|nd|rd|th|er|\.)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+\d{4}\b/gi,
    ) ?? []
  ).length;
  vote += 1.5 * Math.sign(dayFirstNamed - monthFirst);
  // A currency mark alone (score 2) does not say how the writer dates things; an address, a tax
  // id or a phone prefix does.
  if (locale.country && locale.countryScore >= 3) vote += MONTH_FIRST_COUNTRIES.has(locale.country) ? -2.5 : 2.5;
  if (language && language !== 'en') vote += 2;
  if (vote === 0) return { dayFirst: undefined, evidence: 0 };
  return { dayFirst: vote > 0, evidence: Math.abs(vote) };
}

// ---------------------------------------------------------------------------------------------
// OCR repair

const OCR_DIGIT: Record<string, string> = {
  O: '0',
  o: '0',
  D: '0',
  Q: '0',
  B: '8',
  I: '1',
  l: '1',
  i: '1',
  '|': '1',
  S: '5',
  s: '5',
  Z: '2',
  z: '2',
  G: '6',
  g: '9',
  T: '7',
};

/**
 * A copy of `text` with letters OCR read for digits put back inside date-shaped tokens
 * ("3B/D3/2018" → "38/03/2018"), same length so offsets stay valid. Tokens need at least five
 * real digits and a 4-digit year shape.
 */
export function repairDateTokens(text: string): string {
  return text.replace(
    /(?<![\p{L}\p{N}])[0-9ODQBIlisSZzGgT|]{1,2}[/.-][0-9ODQBIlisSZzGgT|]{1,2}[/.-][0-9ODQBIlisSZzGgT|]{4}(?![\p{L}\p{N}])/gu,
    (tok) => {
      if (!/[^0-9/.-]/.test(tok)) return tok;
      if ((tok.match(/\d/g) ?? []).length < 5) return tok;
      return tok.replace(/[^0-9/.-]/g, (c) => OCR_DIGIT[c] ?? c);
    },
  );
}

/** Digits OCR reads for the digit of a year ("2618" for 2018, "2076" for 2016): the common confusions only. */
const YEAR_DIGIT: Record<string, string> = { '6': '0', '7': '1', '8': '0' };

/**
 * A copy of `text` where the year of a numeric date that cannot be the document's (after `refYear`
 * or before 1990) is put back when exactly one common OCR digit confusion makes it plausible:
 * "12-02-2618" → "12-02-2018". Same length, so offsets stay valid.
 */
export function repairYears(text: string, refYear: number): string {
  return text.replace(
    /(?<![\p{L}\p{N}])(\d{1,2}[/.-]\d{1,2}[/.-])(\d{4})(?![\p{L}\p{N}])/gu,
    (tok, head: string, year: string) => {
      const y = Number(year);
      if (y >= 1990 && y <= refYear) return tok;
      const options = new Set<string>();
      for (let i = 0; i < 4; i++) {
        for (const d of YEAR_DIGIT[year[i] ?? ''] ?? '') {
          const cand = year.slice(0, i) + d + year.slice(i + 1);
          if (Number(cand) >= 1990 && Number(cand) <= refYear) options.add(cand);
        }
      }
      return options.size === 1 ? head + [...options].join('') : tok;
    },
  );
}

/**
 * Dates whose separators OCR lost, next to a date label or a time: "2512/2018", "25032018",
 * "20180428". Each is calendar-checked; compact forms are read day-first unless the document is
 * month-first.
 */
function compactDates(
  text: string,
  lines: LineIndex,
  dayFirst: boolean | undefined,
): (FoundDate & { weak?: boolean })[] {
  const out: (FoundDate & { weak?: boolean })[] = [];
  const re = /(?<![\p{L}\p{N}])(\d{8}|\d{4}[/.-]\d{4}|\d{2}[/.-]\d{6})(?![\p{N}])/gu;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const raw = m[1] ?? '';
    const line = lines.lineAt(m.index);
    const before = line.text.slice(0, m.index - line.start);
    const after = line.text.slice(m.index - line.start + raw.length);
    const labelled = BARE_DATE_LABEL.test(before.toLowerCase()) || /\bdat\w?\W*$/i.test(before);
    const timed = /\d{1,2}:\d{2}/.test(after.slice(0, 20));
    // "2212/2017" alone: a day and month run together before a separated year. Kept (as the weakest
    // date) unless it is a numbered reference ("No. 0112/2023").
    const split = /^\d{4}[/.-]\d{4}$/.test(raw) && !/(?:\b(?:no|nr|n|num|ref)\.?|#|:)\s*$/i.test(before);
    if (!labelled && !timed && !split) continue;
    const digits = raw.replace(/\D/g, '');
    const readings: (string | null)[] = [];
    const a = digits.slice(0, 2);
    const b = digits.slice(2, 4);
    const year = Number(digits.slice(4));
    if (dayFirst === false) readings.push(toIso(year, Number(a), Number(b)));
    readings.push(toIso(year, Number(b), Number(a)));
    if (dayFirst !== false) readings.push(toIso(year, Number(a), Number(b)));
    if (/^\d{8}$/.test(raw))
      readings.unshift(toIso(Number(digits.slice(0, 4)), Number(digits.slice(4, 6)), Number(digits.slice(6))));
    const iso = readings.find((r): r is string => r !== null && r >= '1990-01-01');
    if (iso) out.push({ iso, raw, index: m.index, form: 'numeric', ...(!labelled && !timed ? { weak: true } : {}) });
  }
  return out;
}

/**
 * "28-03-18 18:05": a dashed date with a two-digit year, which alone is too often an id, is a
 * date when a time follows it or a date label precedes it.
 */
function dashedShortDates(text: string, lines: LineIndex, dayFirst: boolean | undefined): FoundDate[] {
  const out: FoundDate[] = [];
  const re = /(?<![\p{L}\p{N}-])(\d{1,2})-(\d{1,2})-(\d{2})(?![\p{N}-])/gu;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const line = lines.lineAt(m.index);
    const before = line.text.slice(0, m.index - line.start);
    const after = line.text.slice(m.index - line.start + m[0].length);
    if (!/^\s{1,3}\d{1,2}:\d{2}/.test(after) && !BARE_DATE_LABEL.test(before.toLowerCase())) continue;
    const a = Number(m[1]);
    const b = Number(m[2]);
    const year = 2000 + Number(m[3]);
    const dmy = toIso(year, b, a);
    const mdy = toIso(year, a, b);
    const iso = dayFirst === false ? (mdy ?? dmy) : (dmy ?? mdy);
    if (iso) out.push({ iso, raw: m[0], index: m.index, form: 'numeric' });
  }
  return out;
}

/** "25 Hay 2017": a month name with one wrong letter, between a day and a 4-digit year. */
function fuzzyMonthDates(text: string): FoundDate[] {
  const out: FoundDate[] = [];
  const names: [string, number][] = [
    ['jan', 1],
    ['feb', 2],
    ['mar', 3],
    ['apr', 4],
    ['may', 5],
    ['jun', 6],
    ['jul', 7],
    ['aug', 8],
    ['sep', 9],
    ['oct', 10],
    ['nov', 11],
    ['dec', 12],
  ];
  const re = /(?<![\p{L}\p{N}])(\d{1,2})[\s-]{1,2}(\p{L}{3})[\s-]{1,2}(\d{4})(?![\p{N}])/gu;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const word = (m[2] ?? '').toLowerCase();
    const hits = names.filter(([n]) => n !== word && editOne(n, word));
    if (hits.length !== 1) continue;
    const iso = toIso(Number(m[3]), hits[0]?.[1] ?? 0, Number(m[1]));
    if (iso) out.push({ iso, raw: m[0], index: m.index, form: 'named' });
  }
  return out;
}

function editOne(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d === 1;
}

// ---------------------------------------------------------------------------------------------
// Date facts

const CONNECTOR = /^\s*(?:-|–|—|to|through|thru|until|till|bis|au|al|a|tot|t\/m|hasta|até|to the)\s*$/i;
const TIME = /\b\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?/i;

function fuzzyDateLabel(label: string): 'due' | 'primary' | undefined {
  const toks = labelTokens(label).slice(-3);
  if (toks.length === 0) return undefined;
  if (firstPhrase(toks, DUE_DATE_LABELS, false)) return 'due';
  const last = toks.at(-1) ?? '';
  // OCR'd "DATE" ("DALE", "OATE", "Dale"): one wrong letter, anywhere.
  if (last.length === 4 && editOne(last, 'date')) return 'primary';
  if (firstPhrase(toks, ISSUE_DATE_LABELS, false)) return 'primary';
  return undefined;
}

/** Weekday names (English, German, Malay; Sunday = 0) as printed beside a date. */
const WEEKDAY_NAMES: readonly (readonly string[])[] = [
  ['sun', 'sunday', 'sonntag', 'ahad'],
  ['mon', 'monday', 'montag', 'isnin'],
  ['tue', 'tues', 'tuesday', 'dienstag', 'selasa'],
  ['wed', 'wednesday', 'mittwoch', 'rabu'],
  ['thu', 'thur', 'thurs', 'thursday', 'donnerstag', 'khamis'],
  ['fri', 'friday', 'freitag', 'jumaat'],
  ['sat', 'saturday', 'samstag', 'sonnabend', 'sabtu'],
];
const WEEKDAY_WORD = WEEKDAY_NAMES.flat().join('|');
const WEEKDAY_AFTER = new RegExp(`^[\\s,(\\[]{0,3}(${WEEKDAY_WORD})\\.?(?![\\p{L}])`, 'iu');
const WEEKDAY_BEFORE = new RegExp(`(?<![\\p{L}])(${WEEKDAY_WORD})\\.?[\\s,(\\[]{0,3}$`, 'iu');

/** The weekday printed right before or after a date on its line (0 = Sunday), if any. */
export function printedWeekday(lineBefore: string, lineAfter: string): number | undefined {
  const word = (WEEKDAY_AFTER.exec(lineAfter) ?? WEEKDAY_BEFORE.exec(lineBefore))?.[1]?.toLowerCase();
  if (!word) return undefined;
  const day = WEEKDAY_NAMES.findIndex((names) => names.includes(word));
  return day >= 0 ? day : undefined;
}

/**
 * A date checked against the weekday printed beside it: the date itself when they agree; when
 * they do not, the one day of the month a single digit away that falls on that weekday (OCR reads
 * one digit of the day wrong, "16" for "14"); `undefined` when none or more than one does.
 */
export function weekdayReading(iso: string, weekday: number): string | undefined {
  const at = (d: string): number => new Date(`${d}T00:00:00Z`).getUTCDay();
  if (at(iso) === weekday) return iso;
  const [y, m, dd] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const monthDays = new Date(Date.UTC(Number(y), Number(m), 0)).getUTCDate();
  const fits = new Set<string>();
  for (let pos = 0; pos < 2; pos++)
    for (let digit = 0; digit <= 9; digit++) {
      const day = pos === 0 ? `${digit}${dd[1]}` : `${dd[0]}${digit}`;
      const n = Number(day);
      if (day === dd || n < 1 || n > monthDays) continue;
      const candidate = `${y}-${m}-${day}`;
      if (at(candidate) === weekday) fits.add(candidate);
    }
  return fits.size === 1 ? [...fits][0] : undefined;
}

export function dateFacts(
  text: string,
  lines: LineIndex,
  locale: LocaleFacts,
  language: string | null,
  /** The year the document is read in (from `processedAt`): later years are OCR damage. */
  refYear: number = new Date().getUTCFullYear(),
): DateFacts {
  const order = decideDayFirst(text, locale, language);
  const opts = order.dayFirst === undefined ? {} : { dayFirst: order.dayFirst };
  const found = findDates(text, opts);
  const extra: (FoundDate & { repaired: boolean; weak?: boolean })[] = [];
  // Years OCR damaged ("2618", "2076"): the repaired reading replaces the one found, if any.
  const yearFixed = repairYears(text, refYear);
  if (yearFixed !== text) {
    for (const d of findDates(yearFixed, opts)) {
      const at = found.findIndex((f) => f.index === d.index);
      if (at >= 0 && found[at]?.iso === d.iso) continue;
      if (at >= 0) found.splice(at, 1);
      extra.push({ ...d, raw: text.slice(d.index, d.index + d.raw.length), repaired: true });
    }
  }
  const taken = (i: number, len: number): boolean =>
    found.some((d) => i < d.index + d.raw.length && d.index < i + len) || extra.some((e) => e.index === i);
  const repairedText = repairDateTokens(text);
  if (repairedText !== text) {
    for (const d of findDates(repairedText, opts))
      if (!taken(d.index, d.raw.length))
        extra.push({ ...d, raw: text.slice(d.index, d.index + d.raw.length), repaired: true });
  }
  for (const d of [
    ...compactDates(text, lines, order.dayFirst),
    ...dashedShortDates(text, lines, order.dayFirst),
    ...fuzzyMonthDates(text),
  ])
    if (!taken(d.index, d.raw.length) && !extra.some((e) => e.index === d.index)) extra.push({ ...d, repaired: true });
  const merged = [...found.map((d) => ({ ...d, repaired: false })), ...extra].sort((a, b) => a.index - b.index);

  const all: DateCandidate[] = merged.map((read) => {
    let d = read;
    const { label, source } = labelWithSource(lines, d.index);
    const line = lines.lineAt(d.index);
    const rank = lines.visibleRank(line);
    const lineBefore = line.text.slice(0, d.index - line.start).toLowerCase();
    const lineAfter = line.text.slice(d.index - line.start + d.raw.length);
    const withTime = TIME.test(lineAfter.slice(0, 24)) || TIME.test(lineBefore.slice(-24));
    let kind: DateCandidate['kind'];
    let score: number;
    if (DUE_LABEL.test(label) || DUE_SENTENCE.test(lineBefore)) [kind, score] = ['due', 1];
    else if (WEAK_DATE_LABEL.test(label)) [kind, score] = ['weak', 1.5];
    else if (PRIMARY_LABEL.test(label))
      [kind, score] = [
        'primary',
        10 +
          (/statement|invoice|issue|pay date|bill date|rechnungsdatum|factuurdatum|facture|factura|fattura/.test(label)
            ? 1
            : 0),
      ];
    else if (BARE_DATE_LABEL.test(label)) [kind, score] = source === 'column' ? ['none', 2] : ['bare', 8];
    else if (PERIOD_LABEL.test(label)) [kind, score] = ['period', 3];
    else {
      const fuzzy = source === 'inline' ? fuzzyDateLabel(label) : undefined;
      if (fuzzy === 'due') [kind, score] = ['due', 1];
      else if (fuzzy === 'primary') [kind, score] = ['bare', 7.5];
      else [kind, score] = ['none', rank < 10 ? 5 : 3];
    }
    // Invoice headings "Rechnung Nr. 123 vom 05.06.2018", "Invoice 42 of 3 March 2024".
    if (
      (kind === 'none' || kind === 'period') &&
      rank < 8 &&
      /\b(?:vom|du|del|van|of|dated|dd|from)\s*$/.test(lineBefore) &&
      /(?:rechnung|invoice|facture|factura|factuur|fattura|fatura|bolletta|bill|statement|avis|nota)\b/.test(
        lineBefore,
      ) &&
      !/bestell|order|auftrag|liefer|delivery|commande|bestelling|pedido|ordine/.test(lineBefore)
    )
      [kind, score] = ['primary', 10.5];
    // A weekday printed beside the date ("16-01-2018 (Sun)") marks the date a receipt or ticket
    // was issued; when it disagrees, the one day a digit away that agrees is the reading.
    const weekday = printedWeekday(lineBefore, lineAfter);
    const checked = weekday === undefined ? undefined : weekdayReading(d.iso, weekday);
    if (checked !== undefined) {
      if (kind === 'none' || kind === 'bare') [kind, score] = ['bare', Math.max(score, 8)];
      if (checked !== d.iso) {
        d = { ...d, iso: checked, repaired: true };
        delete d.alt;
      }
    }
    if (withTime && (kind === 'none' || kind === 'bare')) score += 1;
    if (d.repaired) score -= 0.5;
    // An unlabelled "2212/2017": only when nothing better is printed.
    if ('weak' in d && d.weak) [kind, score] = ['none', 0.5];
    const { weak: _weak, ...date } = d as typeof d & { weak?: boolean };
    return { ...date, label, kind, score: score - Math.min(1, rank / 100), withTime };
  });

  // The due date follows the issue date: when the order was a guess and the other reading of
  // both puts the due date after the issue date (and this one does not), take the other reading.
  const guessDue = all.find((d) => d.kind === 'due');
  const guessPrimary = all
    .filter((d) => d.kind === 'primary' || d.kind === 'bare')
    .sort((a, b) => b.score - a.score)[0];
  if (guessPrimary && guessDue && order.evidence < 3 && guessPrimary.alt && guessDue.alt) {
    const gap = (a: string, b: string): number => (Date.parse(b) - Date.parse(a)) / 86_400_000;
    const now = gap(guessPrimary.iso, guessDue.iso);
    const swapped = gap(guessPrimary.alt, guessDue.alt);
    if ((now < 0 || now > 190) && swapped >= 0 && swapped <= 190) {
      for (const d of all) {
        if (d.alt) [d.iso, d.alt] = [d.alt, d.iso];
      }
    }
  }
  // Periods: "X - Y", "X to Y", "from X through Y" on one line; or "Period start/end" labels.
  let periodStart: string | undefined;
  let periodEnd: string | undefined;
  for (let i = 0; i + 1 < all.length; i++) {
    const a = all[i];
    const b = all[i + 1];
    if (!a || !b) continue;
    const between = text.slice(a.index + a.raw.length, b.index);
    if (CONNECTOR.test(between) && a.iso <= b.iso) {
      periodStart = a.iso;
      periodEnd = b.iso;
      if (a.kind === 'none' || a.kind === 'bare') a.kind = 'period';
      b.kind = 'period';
      a.score = Math.min(a.score, 3);
      b.score = Math.min(b.score, 2.5);
      break;
    }
  }
  if (!periodStart) {
    const start = all.find((d) =>
      /\b(?:period|coverage|service|billing)\s*(?:start|from|begin)|\bstart date\b|\bfrom\b\W*$/.test(d.label),
    );
    const end = all.find((d) =>
      /\b(?:period|coverage|service|billing)\s*(?:end|to|through)|\bend date\b|\b(?:to|through|until)\b\W*$/.test(
        d.label,
      ),
    );
    if (start && end && start.iso <= end.iso) {
      periodStart = start.iso;
      periodEnd = end.iso;
    }
  }

  const due = all.find((d) => d.kind === 'due');
  let primary: DateCandidate | undefined;
  for (const d of all) {
    if (d.kind === 'due') continue;
    if (!primary || d.score > primary.score) primary = d;
  }
  // No labelled issue/statement date but a covered period: a statement is dated at the end of its
  // period. Only due dates: fall back to the period end too, else leave the primary date empty.
  if ((!primary || (primary.kind !== 'primary' && primary.kind !== 'bare')) && periodEnd) {
    primary = all.find((d) => d.iso === periodEnd && d.kind === 'period') ?? primary;
  }
  const statement = all.find(
    (d) =>
      d.kind === 'primary' &&
      /statement|invoice|issue|bill(?:ing)? date|dated|rechnung|facture|factuur|factura|fattura|fatura/.test(d.label),
  );
  return {
    all,
    primary,
    due,
    periodStart,
    periodEnd,
    statementDate: statement?.iso,
    dayFirst: order.dayFirst,
    orderEvidence: order.evidence,
  };
}
