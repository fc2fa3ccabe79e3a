// Deterministic synthetic corpus and queries for the vector-store benchmark. Documents are
// generated from their id alone (a PRNG seeded by the id), so any batch of ids can be built in any
// process without holding the corpus in memory (the 1M run generates 500 at a time).
import { createEmptyMetadata } from '@autod/core';

/** mulberry32: a small deterministic PRNG. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ISSUERS = [
  'Springfield Water',
  'Acme Power',
  'FiberNet',
  'City Hospital',
  'Safe Drive Insurance',
  'Oak Street Properties',
  'Internal Revenue Service',
  'Bright Smile Dental',
  'Lincoln School',
  'Metro Transit',
  'Green Gas Co',
  'First National Bank',
  'Mobile One',
  'County Tax Office',
  'Home Depot',
  'Pet Clinic',
];
const TYPES = [
  'water bill',
  'electricity bill',
  'invoice',
  'lab report',
  'insurance policy',
  'lease',
  'tax return',
  'receipt',
  'report card',
  'bank statement',
  'gas bill',
  'phone bill',
  'property tax notice',
  'warranty',
];
export const CATS = [
  'Financial & Administrative',
  'Property & Assets',
  'Personal & Family',
  'Business & Professional',
  'Legal & Government',
  'Household & Lifestyle',
];
const MONTHS = [
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
const WORDS =
  'account balance payment due service charge period meter usage total amount customer number address reference policy coverage premium deductible claim refund deposit interest fee late notice renewal contract term monthly annual summary statement details item quantity price tax subtotal discount credit debit transfer reading kwh gallons minutes data plan appointment patient doctor results normal elevated review grade teacher class vehicle property rent tenant landlord repair maintenance warranty product serial model purchase store return'.split(
    ' ',
  );

// Documents are topical, like real paperwork: most words come from their type's own vocabulary.
const TOPIC = new Map(
  TYPES.map((t, i) => [t, Array.from({ length: 24 }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length])]),
);

/** Document `id` (an `IndexDocument` for `@autod/vector-store`). */
export function makeDoc(id) {
  const rand = prng(0x9e3779b1 ^ Math.imul(id, 0x85ebca6b));
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const issuer = pick(ISSUERS);
  const type = pick(TYPES);
  const topic = TOPIC.get(type);
  const year = 2020 + Math.floor(rand() * 5);
  const month = Math.floor(rand() * 12);
  const day = 1 + Math.floor(rand() * 28);
  const date = `${year}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  const amount = rand() < 0.8 ? Math.round(rand() * 200000) / 100 : null;
  const words = Array.from({ length: 80 + Math.floor(rand() * 60) }, () =>
    rand() < 0.7 ? pick(topic) : pick(WORDS),
  ).join(' ');
  const text = `${issuer} ${type} for ${MONTHS[month]} ${year}. ${words}. Amount ${amount ?? 'n/a'}. Reference ${id}.`;
  const m = createEmptyMetadata({
    processedDate: '2024-07-01T00:00:00Z',
    originalFileName: `doc-${id}.pdf`,
    sourceFileId: `s${id}`,
  });
  const metadata = {
    ...m,
    title: `${issuer} ${type} ${MONTHS[month]} ${year}`,
    category: pick(CATS),
    doc_type: type,
    issuer,
    primary_date: date,
    extracted_fields: { ...m.extracted_fields, amount_due: amount },
  };
  return { id, sha256: id.toString(16).padStart(64, '0'), metadata, text };
}

/** Documents `from..to` (inclusive). */
export function makeDocs(from, to) {
  const out = [];
  for (let id = from; id <= to; id++) out.push(makeDoc(id));
  return out;
}

/** `n` queries: ¼ of them filtered (category, or a half-year date range with a minimum amount). */
export function makeQueries(n, seed = 4242) {
  const rand = prng(seed);
  const pick = (a) => a[Math.floor(rand() * a.length)];
  return Array.from({ length: n }, () => {
    const r = rand();
    if (r < 0.4) return { q: `${pick(TYPES)} ${pick(MONTHS)}` };
    if (r < 0.7) return { q: `${pick(ISSUERS)} ${pick(WORDS)} ${pick(WORDS)}` };
    if (r < 0.85) return { q: `${pick(WORDS)} ${pick(WORDS)} ${pick(TYPES)}`, filter: { category: pick(CATS) } };
    const y = 2020 + Math.floor(rand() * 5);
    return { q: `${pick(TYPES)} ${pick(WORDS)}`, filter: { from: `${y}-01-01`, to: `${y}-06-30`, minAmount: 100 } };
  });
}

export function percentiles(times) {
  const s = [...times].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return {
    p50: +at(0.5).toFixed(2),
    p95: +at(0.95).toFixed(2),
    p99: +at(0.99).toFixed(2),
    mean: +(s.reduce((a, b) => a + b, 0) / s.length).toFixed(2),
  };
}
