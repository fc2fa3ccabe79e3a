import type { LineIndex } from '../text.js';

/**
 * Where a value's label is: the text before it on its line (last cell when the line has wide
 * column gaps), else the column header above it, else the previous line when that is a short label.
 */

export const VALUE_TOKEN = /\d[\d.,/-]*\d|[$€£¥]\s?\d/;

/** Label for a value at `index` (lower-case, '' when none). */
export function labelFor(lines: LineIndex, index: number): string {
  return labelWithSource(lines, index).label;
}

/** Where a label was found: on the value's line, as a column header above it, or as the line above. */
export type LabelSource = 'inline' | 'column' | 'above' | 'none';

export function labelWithSource(lines: LineIndex, index: number): { label: string; source: LabelSource } {
  const label = (text: string, source: LabelSource) => ({ label: text, source });
  const line = lines.lineAt(index);
  const before = line.text.slice(0, index - line.start).trimEnd();
  const cells = before.split(/\s{3,}|\t+/);
  const last = cells.at(-1) ?? '';
  // A rate inside the label ("VAT 20%", "IVA 23 %") is part of it, not a value.
  const lastNoRate = last.replace(/\d+(?:[.,]\d+)?\s?%/g, '');
  if (last.trim().length > 0 && !VALUE_TOKEN.test(lastNoRate)) return label(last.toLowerCase(), 'inline');
  if (last.trim().length > 0) {
    // "Label: 03/01/2024 Due: 04/01/2024" on one line without wide gaps: text after the last value.
    const tail = last.split(/\d[\d.,/-]*\d|[$€£¥]\s?\d[\d.,]*/).at(-1) ?? '';
    if (/\p{L}{2,}/u.test(tail)) return label(tail.toLowerCase(), 'inline');
    // "Total after rounding 325-7 85.10": the numbers before the value are no amounts (no cents),
    // so the words before them still label it.
    const nums = last.match(/\d[\d.,/-]*\d/g) ?? [];
    if (nums.length > 0 && nums.every((n) => !/[.,]\d{2}$/.test(n)) && /\p{L}{3,}/u.test(last))
      return label(
        last
          .replace(/\d[\d.,/-]*\d/g, ' ')
          .replace(/\s+/g, ' ')
          .trim()
          .toLowerCase(),
        'inline',
      );
  }
  const prev = lines.previousNonEmpty(line);
  if (!prev) return label('', 'none');
  // Column header: same number of cells on both lines.
  const here = cellsWithPos(line.text);
  const above = cellsWithPos(prev.text);
  const offset = index - line.start;
  const col = here.findIndex((c) => offset >= c.start && offset < c.start + c.text.length + 1);
  if (here.length > 1 && col >= 0) {
    const header =
      above.length === here.length ? above[col] : above.find((c) => Math.abs(c.start - (here[col]?.start ?? 0)) <= 4);
    if (header && !VALUE_TOKEN.test(header.text)) return label(header.text.toLowerCase(), 'column');
    // A row of a table whose header is further up: no usable label.
    return label('', here.length > 2 ? 'column' : 'none');
  }
  if (before.trim().length === 0 && prev.text.trim().length <= 48 && !VALUE_TOKEN.test(prev.text))
    return label(prev.text.trim().toLowerCase(), 'above');
  return label('', 'none');
}

function cellsWithPos(text: string): { text: string; start: number }[] {
  const out: { text: string; start: number }[] = [];
  const re = /\S+(?:\s{1,2}\S+)*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.push({ text: m[0], start: m.index });
  return out;
}
