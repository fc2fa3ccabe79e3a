/**
 * Field-level accuracy of the offline extractor over the testkit's ground-truth corpus (text PDFs,
 * read with readPdf, no OCR). Seed 7 (120 docs) is the development set; seed 1234 (60 docs) is a held-out check that the
 * rules generalise rather than fit one sample. Results are printed and written to
 * bench-results/extract-accuracy.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCorpus } from '@autod/testkit';
import { describe, expect, it } from 'vitest';
import { extractOffline } from './extractor.js';
import { readPdf } from './pdf.js';

type Field = 'docType' | 'primaryDate' | 'totalAmount' | 'issuer';
const FIELDS: Field[] = ['docType', 'primaryDate', 'totalAmount', 'issuer'];

/**
 * Our free-text `doc_type` values onto the testkit's docType keys. Several of our finer types fold
 * into one testkit kind (e.g. a phone bill is a utility bill; a government notice is a letter).
 */
const DOC_TYPE_TO_KIND: Record<string, string> = {
  invoice: 'invoice',
  'utility bill': 'utility_bill',
  'phone bill': 'utility_bill',
  'bank statement': 'bank_statement',
  'credit card statement': 'bank_statement',
  'investment statement': 'bank_statement',
  'loan statement': 'bank_statement',
  receipt: 'receipt',
  'tax form': 'tax_form',
  letter: 'letter',
  'government notice': 'letter',
  'employment letter': 'letter',
  contract: 'letter',
  'insurance policy': 'insurance',
  'explanation of benefits': 'insurance',
  'medical record': 'medical',
  payslip: 'payslip',
};

const normName = (s: string): string =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

function issuerMatches(got: string | null, want: string): boolean {
  if (!got) return false;
  const a = normName(got);
  const b = normName(want);
  return a.length > 0 && b.length > 0 && (a.includes(b) || b.includes(a));
}

/** Reported but not asserted: the other ground-truth fields. */
type Extra = 'category' | 'subcategory' | 'currency' | 'dueDate' | 'accountNumber' | 'invoiceNumber';
const EXTRAS: Extra[] = ['category', 'subcategory', 'currency', 'dueDate', 'accountNumber', 'invoiceNumber'];

interface Row {
  fileName: string;
  kind: string;
  extra: Record<Extra, boolean>;
  ok: Record<Field, boolean>;
  got: Record<Field, unknown>;
  want: Record<Field, unknown>;
}

async function measure(
  seed: number,
  count: number,
): Promise<{ rows: Row[]; accuracy: Record<Field, number>; extras: Record<Extra, number> }> {
  const corpus = await generateCorpus({ count, seed });
  const rows: Row[] = [];
  for (const doc of corpus) {
    const content = await readPdf(doc.bytes, { ocr: false });
    const { metadata: m, facts } = extractOffline({
      text: content.text,
      pages: content.pages,
      fileName: doc.fileName,
      processedAt: '2025-01-01T00:00:00.000Z',
      sourceFileId: `seed-${seed}`,
      pageCount: content.pageCount,
    });
    const kind = m.doc_type ? (DOC_TYPE_TO_KIND[m.doc_type] ?? m.doc_type) : null;
    const total = facts.totalAmount;
    const t = doc.truth;
    rows.push({
      fileName: doc.fileName,
      kind: t.docType,
      ok: {
        docType: kind === t.docType,
        primaryDate: m.primary_date === t.primaryDate,
        totalAmount:
          t.totalAmount === null ? total === null : total !== null && Math.abs(total - t.totalAmount) <= 0.005,
        issuer: issuerMatches(m.issuer, t.issuer),
      },
      extra: {
        category: m.category === t.category,
        subcategory: m.subcategory === t.subcategory,
        currency: (facts.currency ?? null) === t.currency || (t.totalAmount === null && t.currency === null),
        dueDate: m.extracted_fields.due_date === t.dueDate,
        accountNumber: t.accountNumber === null || m.extracted_fields.account_number === t.accountNumber,
        invoiceNumber: t.invoiceNumber === null || m.extracted_fields.invoice_number === t.invoiceNumber,
      },
      got: { docType: kind, primaryDate: m.primary_date, totalAmount: total, issuer: m.issuer },
      want: { docType: t.docType, primaryDate: t.primaryDate, totalAmount: t.totalAmount, issuer: t.issuer },
    });
  }
  const accuracy = Object.fromEntries(
    FIELDS.map((f) => [f, rows.filter((r) => r.ok[f]).length / rows.length]),
  ) as Record<Field, number>;
  const extras = Object.fromEntries(
    EXTRAS.map((f) => [f, rows.filter((r) => r.extra[f]).length / rows.length]),
  ) as Record<Extra, number>;
  return { rows, accuracy, extras };
}

function table(title: string, accuracy: Record<Field, number>, rows: Row[]): string {
  const kinds = [...new Set(rows.map((r) => r.kind))];
  const lines = [
    `${title} (${rows.length} docs)`,
    `${'field'.padEnd(14)}${'all'.padStart(7)}${kinds.map((k) => k.slice(0, 10).padStart(12)).join('')}`,
  ];
  for (const f of FIELDS) {
    const perKind = kinds.map((k) => {
      const rs = rows.filter((r) => r.kind === k);
      return `${((rs.filter((r) => r.ok[f]).length / rs.length) * 100).toFixed(0)}%`.padStart(12);
    });
    lines.push(`${f.padEnd(14)}${`${(accuracy[f] * 100).toFixed(1)}%`.padStart(7)}${perKind.join('')}`);
  }
  return lines.join('\n');
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('offline extraction accuracy (text PDFs, testkit ground truth)', () => {
  it('reaches >= 90% per field on seed 7 (120 docs) and on held-out seed 1234 (60 docs)', async () => {
    const dev = await measure(7, 120);
    const heldOut = await measure(1234, 60);
    const report = `${table('seed 7 (development)', dev.accuracy, dev.rows)}\n\n${table('seed 1234 (held out)', heldOut.accuracy, heldOut.rows)}`;
    const extraLine = (e: Record<Extra, number>): string =>
      EXTRAS.map((f) => `${f} ${(e[f] * 100).toFixed(0)}%`).join(', ');
    console.log(
      `${report}\n\nnot asserted (seed 7): ${extraLine(dev.extras)}\nnot asserted (seed 1234): ${extraLine(heldOut.extras)}`,
    );
    const misses = [...dev.rows, ...heldOut.rows].flatMap((r) =>
      FIELDS.filter((f) => !r.ok[f]).map((f) => ({ file: r.fileName, field: f, got: r.got[f], want: r.want[f] })),
    );
    const outDir = path.join(repoRoot, 'bench-results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
      path.join(outDir, 'extract-accuracy.json'),
      JSON.stringify(
        {
          generatedAt: new Date().toISOString(),
          method:
            'testkit generateCorpus -> readPdf (no OCR) -> extractOffline; field-level exact match (total ±0.005, issuer case/punctuation-insensitive containment)',
          dev: { seed: 7, docs: dev.rows.length, accuracy: dev.accuracy, notAsserted: dev.extras },
          heldOut: { seed: 1234, docs: heldOut.rows.length, accuracy: heldOut.accuracy, notAsserted: heldOut.extras },
          misses: misses.slice(0, 50),
        },
        null,
        2,
      ) + '\n',
    );
    for (const f of FIELDS) {
      expect.soft(dev.accuracy[f], `seed 7 ${f}`).toBeGreaterThanOrEqual(0.9);
      expect.soft(heldOut.accuracy[f], `seed 1234 ${f}`).toBeGreaterThanOrEqual(0.9);
    }
  }, 120_000);
});
