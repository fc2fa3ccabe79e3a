/**
 * Field scoring with the semantics of the corpus scorer (`score.py` of the real-documents
 * corpus), shared by the accuracy benchmark and the held-out tests:
 * - issuer: word sets after NFKD → ASCII, lower case, punctuation → spaces, "D.I.Y." → "diy",
 *   legal-form words dropped; equal, or one a subset of the other;
 * - total: within 0.005 (`totalAlt` values accepted by `totalAnyMatch`);
 * - date: the same `YYYY-MM-DD`;
 * - invoice number: equal after removing whitespace, `#`, `:` and lower-casing;
 * - currency: equal upper-cased.
 */

const LEGAL = new Set([
  ...['bv', 'b', 'v', 'ag', 'inc', 'ltd', 'llc', 'gmbh', 'sa', 'sas', 'sarl', 'spolka', 'akcyjna', 'pvt'],
  ...['co', 'corp', 'nv', 'plc', 'the', 'kg', 'ohg', 'ug', 'eg', 'mbh', 'se'],
  ...['sdn', 'bhd', 'berhad', 's', 'm'],
]);

function norm(s: string): string[] {
  return s
    .normalize('NFKD')
    .replace(/[^\p{ASCII}]/gu, '')
    .toLowerCase()
    .replace(/(?<=\b[a-z])\.(?=[a-z]\b)/g, '')
    .replace(/[^a-z0-9 ]+/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

function mainWords(s: string): string[] {
  return norm(s).filter((w) => !LEGAL.has(w));
}

export function issuerMatch(truth: string | null | undefined, got: string | null | undefined): boolean {
  if (!truth || !got) return false;
  const a = mainWords(truth);
  const b = mainWords(got);
  if (a.length === 0 || b.length === 0) return false;
  if (a.join(' ') === b.join(' ')) return true;
  const sa = new Set(a);
  const sb = new Set(b);
  return [...sa].every((w) => sb.has(w)) || [...sb].every((w) => sa.has(w));
}

export function totalMatch(truth: number | null | undefined, got: number | null | undefined): boolean {
  return truth !== null && truth !== undefined && got !== null && got !== undefined && Math.abs(got - truth) < 0.005;
}

export function totalAnyMatch(
  truth: number | null | undefined,
  alts: readonly number[] | undefined,
  got: number | null | undefined,
): boolean {
  return totalMatch(truth, got) || (alts ?? []).some((a) => totalMatch(a, got));
}

const invNorm = (s: string): string => s.replace(/[\s#:]/g, '').toLowerCase();

export function invoiceNumberMatch(truth: string | null | undefined, got: string | null | undefined): boolean {
  return Boolean(truth) && Boolean(got) && invNorm(truth ?? '') === invNorm(got ?? '');
}

export function currencyMatch(truth: string | null | undefined, got: string | null | undefined): boolean {
  return Boolean(truth) && (got ?? '').toUpperCase() === (truth ?? '').toUpperCase();
}

export function dateMatch(truth: string | null | undefined, got: string | null | undefined): boolean {
  return Boolean(truth) && (got ?? '').slice(0, 10) === (truth ?? '').slice(0, 10);
}

/** Accuracy by confidence bucket: 0–0.5, 0.5–0.8, 0.8–0.95, ≥ 0.95. */
export const CONFIDENCE_BUCKETS = ['0-0.5', '0.5-0.8', '0.8-0.95', '0.95-1'] as const;
export type ConfidenceBucket = (typeof CONFIDENCE_BUCKETS)[number];

export function bucketOf(confidence: number): ConfidenceBucket {
  if (confidence >= 0.95) return '0.95-1';
  if (confidence >= 0.8) return '0.8-0.95';
  if (confidence >= 0.5) return '0.5-0.8';
  return '0-0.5';
}
