/**
 * Scoring of the held-out multilingual texts (`heldout-docs.ts`): issuer, customer, date, total,
 * currency and invoice number, with the corpus scorer's rules, plus accuracy by confidence bucket.
 */
import { extractOffline } from '../extractor.js';
import {
  bucketOf,
  currencyMatch,
  dateMatch,
  invoiceNumberMatch,
  issuerMatch,
  totalAnyMatch,
  totalMatch,
} from '../scoring.js';
import { HELD_OUT, type HeldOutDoc } from './heldout-docs.js';

export { HELD_OUT, HELD_OUT_2, type HeldOutDoc } from './heldout-docs.js';

export type Field = 'issuer' | 'customer' | 'date' | 'total' | 'currency' | 'invoice_number';
export const FIELDS: Field[] = ['issuer', 'customer', 'date', 'total', 'currency', 'invoice_number'];
const EVIDENCE_KEY = {
  issuer: 'issuer',
  customer: 'customer',
  date: 'primary_date',
  total: 'total_amount',
  currency: 'currency',
  invoice_number: 'invoice_number',
} as const;

export function scoreHeldOut(set: readonly HeldOutDoc[] = HELD_OUT) {
  const tally = Object.fromEntries(FIELDS.map((f) => [f, { ok: 0, n: 0 }])) as Record<Field, { ok: number; n: number }>;
  let totalAny = 0;
  const buckets = new Map<string, { ok: number; n: number }>();
  const misses: string[] = [];
  for (const doc of set) {
    const { metadata: m, facts } = extractOffline({
      text: doc.text,
      fileName: `${doc.id}.pdf`,
      processedAt: '2024-06-30T00:00:00.000Z',
      sourceFileId: doc.id,
    });
    const t = doc.truth;
    const total = m.extracted_fields.total_amount ?? m.extracted_fields.amount_due ?? m.extracted_fields.balance;
    const got: Record<Field, string | number | null> = {
      issuer: m.issuer,
      customer: facts.customer,
      date: m.primary_date,
      total,
      currency: m.extracted_fields.currency,
      invoice_number: m.extracted_fields.invoice_number,
    };
    const results: Partial<Record<Field, boolean>> = {
      issuer: issuerMatch(t.issuer, m.issuer),
      ...(t.customer ? { customer: issuerMatch(t.customer, facts.customer) } : {}),
      ...(t.date ? { date: dateMatch(t.date, m.primary_date) } : {}),
      ...(t.total !== null ? { total: totalMatch(t.total, total) } : {}),
      ...(t.currency ? { currency: currencyMatch(t.currency, m.extracted_fields.currency) } : {}),
      ...(t.invoiceNumber
        ? { invoice_number: invoiceNumberMatch(t.invoiceNumber, m.extracted_fields.invoice_number) }
        : {}),
    };
    if (t.total !== null && totalAnyMatch(t.total, t.totalAlt, total)) totalAny++;
    for (const f of FIELDS) {
      const r = results[f];
      if (r === undefined) continue;
      tally[f].n++;
      if (r) tally[f].ok++;
      else {
        const want = f === 'date' ? t.date : f === 'invoice_number' ? t.invoiceNumber : t[f];
        misses.push(`${doc.id} ${f}: want ${JSON.stringify(want)}, got ${JSON.stringify(got[f])}`);
      }
      const ev = facts.fieldEvidence[EVIDENCE_KEY[f]];
      if (ev) {
        const key = `${f} ${bucketOf(ev.confidence)}`;
        const b = buckets.get(key) ?? { ok: 0, n: 0 };
        b.n++;
        if (r) b.ok++;
        buckets.set(key, b);
      }
    }
  }
  return { tally, totalAny, buckets, misses };
}
