/**
 * Date recognition. Every recognised date is normalised to `YYYY-MM-DD` and checked against the
 * calendar (no 31 April, 29 February only in leap years); years outside 1900-2199 are rejected.
 *
 * Numeric day/month order (the ambiguity rule):
 * - `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`: year first, always month then day.
 * - With `FindDatesOptions.dayFirst` set (the extractor decides it per document from its other
 *   dates, country and language), ambiguous numeric dates follow it; an impossible reading falls
 *   back to the other order. Without it:
 * - `a/b/yyyy` and `a-b-yyyy`: US order (month/day) unless `a` > 12, then day/month.
 * - `a.b.yyyy`: European order (day.month) unless `b` > 12, then month.day.
 * - Two-digit years: 00-69 are 20xx, 70-99 are 19xx.
 * An ambiguous numeric date carries the other reading in `alt`.
 * Month names are recognised in English, German, French, Spanish, Dutch, Italian, Portuguese and
 * Malay, full or abbreviated, in the orders "March 5, 2024", "5 March 2024", "5-Mar-2024",
 * "12Mar 2018", "5. März 2024", "5 de marzo de 2024", "8 maart 2022", "3 di maggio 2024".
 */

export interface FoundDate {
  /** `YYYY-MM-DD`. */
  iso: string;
  /** The text as it appears in the input. */
  raw: string;
  /** Offset of `raw` in the input. */
  index: number;
  /**
   * For a numeric date that reads as a valid date in both day/month orders (e.g. `03/04/2024`):
   * the other reading. Absent when the date is unambiguous.
   */
  alt?: string;
  /** How the date was written: year first, numeric day/month, or with a month name. */
  form: 'ymd' | 'numeric' | 'named';
  /** For numeric dates: which order gave `iso` (`dmy` = day first). */
  order?: 'dmy' | 'mdy';
}

export interface FindDatesOptions {
  /**
   * Day/month order for ambiguous numeric dates: `true` day first (most of the world), `false`
   * month first (US). Unset: the separator rule described above.
   */
  dayFirst?: boolean;
}

const MONTHS: Record<string, number> = {};
function months(n: number, ...names: string[]): void {
  for (const name of names) MONTHS[name] = n;
}
// English, German, French, Spanish, Dutch, Italian, Portuguese, Malay (full names and abbreviations).
months(
  1,
  'january',
  'jan',
  'januar',
  'jänner',
  'jaenner',
  'janvier',
  'janv',
  'enero',
  'ene',
  'januari',
  'gennaio',
  'gen',
  'janeiro',
);
months(
  2,
  'february',
  'feb',
  'febr',
  'februar',
  'février',
  'fevrier',
  'févr',
  'fevr',
  'fév',
  'febrero',
  'februari',
  'febbraio',
  'fevereiro',
  'fev',
);
months(3, 'march', 'mar', 'märz', 'maerz', 'mär', 'mrz', 'mars', 'marzo', 'maart', 'mrt', 'março', 'marco', 'mac');
months(4, 'april', 'apr', 'avril', 'avr', 'abril', 'abr', 'aprile');
months(5, 'may', 'mai', 'mayo', 'mei', 'maggio', 'mag', 'maio');
months(6, 'june', 'jun', 'juni', 'juin', 'junio', 'giugno', 'giu', 'junho');
months(7, 'july', 'jul', 'juli', 'juillet', 'juil', 'julio', 'luglio', 'lug', 'julho', 'julai');
months(8, 'august', 'aug', 'août', 'aout', 'agosto', 'ago', 'augustus', 'ogos', 'ogo');
months(9, 'september', 'sep', 'sept', 'septembre', 'septiembre', 'setiembre', 'set', 'settembre', 'setembro');
months(10, 'october', 'oct', 'oktober', 'okt', 'octobre', 'octubre', 'ottobre', 'ott', 'outubro', 'out');
months(11, 'november', 'nov', 'novembre', 'noviembre', 'novembro');
months(
  12,
  'december',
  'dec',
  'dezember',
  'dez',
  'décembre',
  'decembre',
  'déc',
  'diciembre',
  'dic',
  'dicembre',
  'dezembro',
  'disember',
  'dis',
);

/** Month names, longest first so the alternation prefers "september" over "sep". */
const MONTH_ALT = Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  .join('|');

const L = '(?<![\\p{L}\\p{N}])'; // left word boundary (unicode-aware)
const NUM_L = '(?<![\\p{L}\\p{N}.,/-]|[\\p{N}][.,/-])'; // not glued to another number
const NUM_R = '(?![\\p{N}]|[.,/-][\\p{N}])';
const ORD = '(?:st|nd|rd|th|er|e|º|°)?';

const PATTERNS: { re: RegExp; kind: 'ymd' | 'num' | 'mdy' | 'dmy' }[] = [
  { kind: 'ymd', re: new RegExp(`(?=\\d)${NUM_L}(\\d{4})([-/.])(\\d{1,2})\\2(\\d{1,2})${NUM_R}`, 'gu') },
  { kind: 'num', re: new RegExp(`(?=\\d)${NUM_L}(\\d{1,2})([-/.])(\\d{1,2})\\2(\\d{4}|\\d{2})${NUM_R}`, 'gu') },
  {
    kind: 'mdy',
    re: new RegExp(
      `(?=[jfmasondeJFMASONDE])${L}(${MONTH_ALT})\\.?\\s{0,3}(\\d{1,2})${ORD}(?:\\s*,\\s*|\\s+|,)(\\d{4})${NUM_R}`,
      'giu',
    ),
  },
  {
    kind: 'dmy',
    re: new RegExp(
      `(?=\\d)${NUM_L}(\\d{1,2})${ORD}(?:\\.\\s{0,3}|\\s{0,3}|\\s*-\\s*|/)(?:(?:of|de|di)\\s+)?(${MONTH_ALT})(?:\\.\\s{0,3}|\\s+de\\s+|\\s{1,3}|\\s*-\\s*|/|,\\s*)(\\d{4}|'\\d{2}|\\d{2})${NUM_R}`,
      'giu',
    ),
  },
];

function expandYear(y: string): number {
  const digits = y.replace(/^'/, '');
  const n = Number(digits);
  if (digits.length === 2) return n < 70 ? 2000 + n : 1900 + n;
  return n;
}

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** `YYYY-MM-DD` for a calendar-valid date in 1900-2199, else null. */
export function toIso(year: number, month: number, day: number): string | null {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return null;
  if (year < 1900 || year > 2199 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function monthNumber(name: string): number | undefined {
  return MONTHS[name.toLowerCase().replace(/\.$/, '')];
}

type Reading = Pick<FoundDate, 'iso' | 'alt' | 'form' | 'order'>;

function fromMatch(kind: 'ymd' | 'num' | 'mdy' | 'dmy', m: RegExpExecArray, opts: FindDatesOptions): Reading | null {
  switch (kind) {
    case 'ymd': {
      const iso = toIso(Number(m[1]), Number(m[3]), Number(m[4]));
      return iso ? { iso, form: 'ymd' } : null;
    }
    case 'num': {
      const a = Number(m[1]);
      const sep = m[2];
      const b = Number(m[3]);
      const year = expandYear(m[4] ?? '');
      // Two-digit years only with '.' or '/' (e.g. 15.03.24, 3/15/24); "12-05-24" is too often an id.
      if ((m[4] ?? '').length === 2 && sep === '-') return null;
      const dmy = toIso(year, b, a);
      const mdy = toIso(year, a, b);
      // Dots are day-first everywhere (the US never writes 05.08.2024); slashes and dashes follow the document.
      const dayFirst = sep === '.' ? true : (opts.dayFirst ?? false);
      const [first, second] = dayFirst ? [dmy, mdy] : [mdy, dmy];
      const iso = first ?? second;
      if (!iso) return null;
      if (dmy === mdy) return { iso, form: 'numeric' }; // 05/05/2024: no order to tell
      const order = iso === dmy ? 'dmy' : 'mdy';
      const other = iso === dmy ? mdy : dmy;
      return other ? { iso, alt: other, form: 'numeric', order } : { iso, form: 'numeric', order };
    }
    case 'mdy': {
      const month = monthNumber(m[1] ?? '');
      const iso = month ? toIso(Number(m[3]), month, Number(m[2])) : null;
      return iso ? { iso, form: 'named' } : null;
    }
    case 'dmy': {
      const month = monthNumber(m[2] ?? '');
      const iso = month ? toIso(expandYear(m[3] ?? ''), month, Number(m[1])) : null;
      return iso ? { iso, form: 'named' } : null;
    }
  }
}

/** Every date in `text`, in order of appearance (overlapping matches resolved to the earliest, longest). */
export function findDates(text: string, opts: FindDatesOptions = {}): FoundDate[] {
  const hits: FoundDate[] = [];
  for (const { re, kind } of PATTERNS) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const reading = fromMatch(kind, m, opts);
      if (reading) hits.push({ ...reading, raw: m[0], index: m.index });
    }
  }
  hits.sort((a, b) => a.index - b.index || b.raw.length - a.raw.length);
  const out: FoundDate[] = [];
  let end = -1;
  for (const h of hits) {
    if (h.index < end) continue;
    out.push(h);
    end = h.index + h.raw.length;
  }
  return out;
}

/**
 * Parse a string that is (mostly) one date, e.g. "03/15/2024", "15.03.2024", "March 15th, 2024",
 * "Friday, 15 March 2024", "2024-03-15T10:00:00Z". Returns `YYYY-MM-DD` or null.
 */
export function parseDate(s: string, opts: FindDatesOptions = {}): string | null {
  const trimmed = s.trim();
  if (trimmed.length === 0 || trimmed.length > 64) return null;
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(trimmed);
  if (iso) return toIso(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const found = findDates(trimmed, opts);
  if (found.length !== 1) return null;
  const only = found[0];
  if (!only) return null;
  // The rest of the string may only be a weekday, punctuation or a time.
  const rest = (trimmed.slice(0, only.index) + ' ' + trimmed.slice(only.index + only.raw.length))
    .toLowerCase()
    .replace(/\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)?\b/g, ' ')
    .replace(/[\p{L}]+/gu, (w) =>
      WEEKDAYS.has(w) || w === 'on' || w === 'the' || w === 'le' || w === 'el' || w === 'den' ? ' ' : w,
    )
    .replace(/[\s,.;:()-]+/g, '');
  return rest.length === 0 ? only.iso : null;
}

const WEEKDAYS = new Set([
  ...['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'],
  ...['mon', 'tue', 'tues', 'wed', 'thu', 'thur', 'thurs', 'fri', 'sat', 'sun'],
  ...['montag', 'dienstag', 'mittwoch', 'donnerstag', 'freitag', 'samstag', 'sonntag'],
  ...['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'],
  ...['lunes', 'martes', 'miércoles', 'miercoles', 'jueves', 'viernes', 'sábado', 'sabado', 'domingo'],
  ...['maandag', 'dinsdag', 'woensdag', 'donderdag', 'vrijdag', 'zaterdag', 'zondag'],
  ...['lunedì', 'martedì', 'mercoledì', 'giovedì', 'venerdì', 'sabato', 'domenica'],
  ...['segunda', 'terça', 'quarta', 'quinta', 'sexta', 'feira', 'sábado', 'domingo'],
  ...['isnin', 'selasa', 'rabu', 'khamis', 'jumaat', 'sabtu', 'ahad'],
]);

/** Whole days from `from` to `to` (both `YYYY-MM-DD`); positive when `to` is later. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
