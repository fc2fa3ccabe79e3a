/** Small text helpers shared by the extractor rules. */

export interface Line {
  /** 0-based line number among all lines (blank lines included). */
  no: number;
  /** Offset of the line's first character in the text. */
  start: number;
  text: string;
}

/** A text split into lines with offsets, plus position lookups. */
export class LineIndex {
  readonly lines: Line[];
  /** Lines with visible content, in order. */
  readonly nonEmpty: Line[];

  constructor(readonly text: string) {
    this.lines = [];
    let start = 0;
    let no = 0;
    for (const part of text.split('\n')) {
      this.lines.push({ no: no++, start, text: part });
      start += part.length + 1;
    }
    this.nonEmpty = this.lines.filter((l) => l.text.trim().length > 0);
  }

  /** The line containing offset `index`. */
  lineAt(index: number): Line {
    let lo = 0;
    let hi = this.lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const line = this.lines[mid];
      if (line && line.start <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.lines[lo] ?? { no: 0, start: 0, text: '' };
  }

  /** The nearest non-empty line before `line`, if any. */
  previousNonEmpty(line: Line): Line | undefined {
    for (let i = line.no - 1; i >= 0 && i >= line.no - 3; i--) {
      const l = this.lines[i];
      if (l && l.text.trim().length > 0) return l;
    }
    return undefined;
  }

  /** Rank of `line` among the non-empty lines (0 = first visible line). */
  visibleRank(line: Line): number {
    const i = this.nonEmpty.findIndex((l) => l.no === line.no);
    return i < 0 ? this.nonEmpty.length : i;
  }

  /**
   * The label for a value at `index` of length `length`: the text before it on its line (at most
   * `max` characters), or, when the value starts its line, the previous line if that looks like a
   * label (short and not itself holding a value). Lower-cased.
   */
  labelBefore(index: number, max = 48): string {
    const line = this.lineAt(index);
    const before = line.text.slice(0, index - line.start);
    if (before.trim().length > 0) return before.slice(-max).toLowerCase();
    const prev = this.previousNonEmpty(line);
    if (prev && prev.text.trim().length <= max) return prev.text.trim().toLowerCase();
    return '';
  }
}

/** Collapse whitespace and trim. */
export function squash(s: string): string {
  return s.replace(/\s+/gu, ' ').trim();
}

/** Truncate to `max` characters, marking the cut with `suffix` (the result never exceeds `max`). */
export function truncate(s: string, max: number, suffix = ' … (truncated)'): string {
  if (s.length <= max) return s;
  return s.slice(0, Math.max(0, max - suffix.length)).trimEnd() + suffix;
}

/** Upper-case the first letter of every word (keeps the rest as is). */
export function titleCase(s: string): string {
  return s.replace(/(^|[\s/-])(\p{Ll})/gu, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "March 2024" for "2024-03-15". */
export function monthYear(iso: string): string {
  const month = MONTH_NAMES[Number(iso.slice(5, 7)) - 1] ?? '';
  return `${month} ${iso.slice(0, 4)}`.trim();
}

/** Made once: `toLocaleString` with options builds a new number format on every call. */
const MONEY_FORMAT = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** "USD 1,234.56" (or "1,234.56" without currency). */
export function formatMoney(amount: number, currency: string | null): string {
  const n = MONEY_FORMAT.format(amount);
  return currency ? `${currency} ${n}` : n;
}
