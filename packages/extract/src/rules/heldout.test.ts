/**
 * Accuracy on the held-out multilingual texts (`heldout.fixtures.ts`): issuer, customer, date,
 * total, currency and invoice number, scored like the real-documents corpus. Prints the table and
 * the misses, checks the floors, and checks that high-confidence fields are right.
 */
import { describe, expect, it } from 'vitest';
import { extractOffline } from '../extractor.js';
import {
  bucketOf,
  currencyMatch,
  dateMatch,
  invoiceNumberMatch,
  issuerMatch,
  totalAnyMatch,
  totalMatch,
  type ConfidenceBucket,
} from '../scoring.js';
import { HELD_OUT } from './heldout.fixtures.js';

type Field = 'issuer' | 'customer' | 'date' | 'total' | 'currency' | 'invoice_number';
const FIELDS: Field[] = ['issuer', 'customer', 'date', 'total', 'currency', 'invoice_number'];
const EVIDENCE_KEY = {
  issuer: 'issuer',
  customer: 'customer',
  date: 'primary_date',
  total: 'total_amount',
  currency: 'currency',
  invoice_number: 'invoice_number',
} as const;

export function scoreHeldOut() {
  const tally = Object.fromEntries(FIELDS.map((f) => [f, { ok: 0, n: 0 }])) as Record<Field, { ok: number; n: number }>;
  let totalAny = 0;
  const buckets = new Map<string, { ok: number; n: number }>();
  const misses: string[] = [];
  for (const doc of HELD_OUT) {
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

describe('held-out multilingual documents', () => {
  it('reads issuer, customer, date, total, currency and invoice number in 8 languages', () => {
    const { tally, totalAny, buckets, misses } = scoreHeldOut();
    const pct = (x: { ok: number; n: number }): string => `${((100 * x.ok) / Math.max(1, x.n)).toFixed(0)}%`;
    const lines = FIELDS.map(
      (f) => `${f.padEnd(15)} ${String(tally[f].ok).padStart(3)}/${String(tally[f].n).padEnd(3)} ${pct(tally[f])}`,
    );
    const bucketLines = FIELDS.map(
      (f) =>
        `${f.padEnd(15)} ` +
        (['0-0.5', '0.5-0.8', '0.8-0.95', '0.95-1'] as ConfidenceBucket[])
          .map((b) => {
            const x = buckets.get(`${f} ${b}`);
            return `${b}: ${x ? `${x.ok}/${x.n}` : '-'}`;
          })
          .join('  '),
    );
    console.log(
      `held-out (${HELD_OUT.length} docs)\n${lines.join('\n')}\ntotal incl. amount due: ${totalAny}/${tally.total.n}\n\nby confidence:\n${bucketLines.join('\n')}\n\nmisses:\n${misses.join('\n')}`,
    );
    const rate = (f: Field): number => tally[f].ok / Math.max(1, tally[f].n);
    expect.soft(rate('issuer')).toBeGreaterThanOrEqual(0.85);
    expect.soft(rate('customer')).toBeGreaterThanOrEqual(0.75);
    expect.soft(rate('date')).toBeGreaterThanOrEqual(0.9);
    expect.soft(rate('total')).toBeGreaterThanOrEqual(0.85);
    expect.soft(rate('currency')).toBeGreaterThanOrEqual(0.9);
    expect.soft(rate('invoice_number')).toBeGreaterThanOrEqual(0.85);
    // Fields at 0.8 or more are right (all but at most one of them).
    let high = 0;
    let highOk = 0;
    for (const [k, v] of buckets) {
      if (k.endsWith('0.8-0.95') || k.endsWith('0.95-1')) {
        high += v.n;
        highOk += v.ok;
      }
    }
    expect(high - highOk).toBeLessThanOrEqual(Math.max(1, Math.floor(high * 0.05)));
  });
});
