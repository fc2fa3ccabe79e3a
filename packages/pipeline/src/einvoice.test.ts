import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reviewReasons } from '@autod/core';
import { createDatabase, type Database } from '@autod/db';
import { readEInvoiceXmlDocument, readPdf } from '@autod/extract';
import {
  buildCiiInvoiceXml,
  buildEInvoicePdf,
  buildTextPdf,
  buildUblInvoiceXml,
  eInvoicePrintedLines,
  sampleEInvoice,
} from '@autod/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EInvoiceExtractor,
  LocalExtractor,
  type ExtractionInput,
  type ExtractionOutput,
  type Extractor,
} from './extractor.js';
import { Pipeline } from './pipeline.js';

/** An extractor that counts its calls (and can stand for the OpenAI one: a call would cost money). */
class CountingExtractor implements Extractor {
  readonly provider = 'openai' as const;
  readonly model = 'counting-model';
  readonly needsOcr = false;
  calls = 0;
  private readonly local = new LocalExtractor();
  async extract(input: ExtractionInput): Promise<ExtractionOutput> {
    this.calls++;
    const out = await this.local.extract(input);
    return { ...out, model: this.model, costUsd: 0.01 };
  }
}

const base = { fileName: 'rechnung.pdf', sha256: 'f'.repeat(64), processedAt: '2024-03-20T10:00:00.000Z' };

async function inputFor(pdf: Uint8Array, fileName = base.fileName): Promise<ExtractionInput> {
  return { ...base, fileName, bytes: pdf, content: await readPdf(pdf, { pool: false }) };
}

describe('EInvoiceExtractor', () => {
  it('reads a Factur-X PDF from its XML: provider einvoice, cost 0, the inner extractor is never called', async () => {
    const f = sampleEInvoice();
    const pdf = await buildEInvoicePdf(buildCiiInvoiceXml(f), { printed: eInvoicePrintedLines(f) });
    const inner = new CountingExtractor();
    const extractor = new EInvoiceExtractor(inner);
    expect([extractor.provider, extractor.model, extractor.needsOcr]).toEqual(['openai', 'counting-model', false]);
    const out = await extractor.extract(await inputFor(pdf));
    expect(inner.calls).toBe(0);
    expect(out).toMatchObject({ provider: 'einvoice', model: 'factur-x', costUsd: 0 });
    expect(out.usage.totalTokens).toBe(0);
    const m = out.metadata;
    expect(m).toMatchObject({
      issuer: 'Nordlicht Bürobedarf GmbH',
      customer: 'Kanzlei Weber & Partner',
      primary_date: '2024-03-05',
    });
    expect(m.extracted_fields).toMatchObject({
      invoice_number: 'RE-2024-0815',
      total_amount: 120.04,
      net_amount: 104.9,
      tax_amount: 15.14,
      currency: 'EUR',
      iban: 'DE02120300000000202051',
      due_date: '2024-04-04',
    });
    expect(m.extracted_fields.line_items).toHaveLength(3);
    // The cross-check ran over the printed text: whatever the rules misread, every XML value is printed.
    for (const ev of Object.values(m.field_evidence)) expect(ev?.confidence).toBeGreaterThanOrEqual(0.9);
    expect(reviewReasons(m, 0.8)).toEqual([]);
  });

  it('delegates a PDF without an e-invoice to the wrapped extractor', async () => {
    const inner = new CountingExtractor();
    const out = await new EInvoiceExtractor(inner).extract(
      await inputFor(await buildTextPdf([['Invoice 7', 'Total $5.00']])),
    );
    expect(inner.calls).toBe(1);
    expect(out.provider).toBeUndefined();
    expect(out.model).toBe('counting-model');
  });

  it('a malformed embedded XML falls back to the text result, with a note, and never fails the document', async () => {
    const f = sampleEInvoice();
    const broken = buildCiiInvoiceXml(f).replace('</ram:GrandTotalAmount>', '');
    const pdf = await buildEInvoicePdf(broken, { printed: eInvoicePrintedLines(f) });
    const out = await new EInvoiceExtractor(new LocalExtractor()).extract(await inputFor(pdf));
    expect(out.provider).toBeUndefined();
    expect(out.model).toBe('autod-rules-v1');
    expect(out.metadata.errors).toEqual([
      expect.stringMatching(
        /^The embedded e-invoice factur-x\.xml could not be read \(The e-invoice XML is not well-formed: .+\); the fields come from the PDF text instead\.$/,
      ),
    ]);
  });

  it('a PDF whose printed total differs from its XML: the XML wins, total confidence drops, a note, review', async () => {
    const f = sampleEInvoice();
    const pdf = await buildEInvoicePdf(buildCiiInvoiceXml(f), { printed: eInvoicePrintedLines(f, { gross: 999.99 }) });
    const out = await new EInvoiceExtractor(new LocalExtractor()).extract(await inputFor(pdf));
    expect(out.provider).toBe('einvoice');
    const m = out.metadata;
    expect(m.extracted_fields.total_amount).toBe(120.04);
    expect(m.field_evidence.total_amount?.confidence).toBe(0.6);
    expect(m.errors).toContain(
      'E-invoice cross-check: the total read from the PDF text is "999.99", the embedded XML says "120.04" (which the PDF text does not show); the XML value is kept.',
    );
    expect(reviewReasons(m, 0.8)).toContain('total_amount confidence 0.60 is under 0.8');
  });

  it('a bare XRechnung UBL file (read with readEInvoiceXmlDocument): read from the XML, no cross-check with its own rendering', async () => {
    const xml = new TextEncoder().encode(buildUblInvoiceXml(sampleEInvoice({ typeCode: '381', number: 'GS-9' })));
    const content = await readEInvoiceXmlDocument(xml, { fileName: 'gs-9.xml' });
    const inner = new CountingExtractor();
    const out = await new EInvoiceExtractor(inner).extract({ ...base, fileName: 'gs-9.xml', bytes: xml, content });
    expect(inner.calls).toBe(0);
    expect(out).toMatchObject({ provider: 'einvoice', model: 'xrechnung-ubl', costUsd: 0 });
    expect(out.metadata).toMatchObject({
      doc_type: 'credit note',
      original_file_name: 'gs-9.xml',
      page_count: 1,
      errors: [],
    });
    expect(out.metadata.extracted_fields.invoice_number).toBe('GS-9');
    expect(out.metadata.ocr_text_excerpt).toContain('Credit Note GS-9');
  });
});

describe('Pipeline with the e-invoice extractor', () => {
  let root: string;
  let db: Database;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'autod-einvoice-'));
    for (const d of ['inbox', 'processed', 'failed', 'duplicates']) await mkdir(join(root, d), { recursive: true });
    db = await createDatabase({ url: join(root, 'autod.sqlite') });
    await db.migrate.latest();
  });
  afterEach(async () => {
    await db.close();
    await rm(root, { recursive: true, force: true });
  });

  it('stores provider einvoice, the dialect as model, cost 0 and the XML fields', async () => {
    const f = sampleEInvoice();
    const src = join(root, 'inbox', 'rechnung.pdf');
    await writeFile(
      src,
      await buildEInvoicePdf(buildCiiInvoiceXml(f, 'zugferd-1'), { printed: eInvoicePrintedLines(f) }),
    );
    const pipeline = new Pipeline(
      { db, extractor: new EInvoiceExtractor(new LocalExtractor()) },
      {
        dirs: {
          inbox: join(root, 'inbox'),
          processed: join(root, 'processed'),
          failed: join(root, 'failed'),
          duplicates: join(root, 'duplicates'),
        },
        maxFileBytes: 5 * 1024 * 1024,
        leaseMs: 60_000,
        filingTemplate: '{yyyy}/{date}_{issuer}_{doc_type}',
        stableFile: false,
        ocr: false,
      },
    );
    const outcome = await pipeline.processFile(src);
    expect(outcome).toMatchObject({ kind: 'processed', provider: 'einvoice', model: 'zugferd-1', costUsd: 0 });
    if (outcome.kind !== 'processed') return;
    const row = await db.documents.get(outcome.documentId);
    expect(row).toMatchObject({
      provider: 'einvoice',
      model: 'zugferd-1',
      issuer: 'Nordlicht Bürobedarf',
      totalAmount: 120.04,
    });
    expect(row?.metadata?.extracted_fields.invoice_number).toBe('RE-2024-0815');
    const attempts = await db.attempts.list(outcome.documentId);
    expect(attempts).toEqual([expect.objectContaining({ provider: 'einvoice', model: 'zugferd-1', costUsd: 0 })]);
    expect(outcome.destination).toContain('2024-03-05_Nordlicht');
  });
  it('takes a bare e-invoice XML at intake: read from the XML, its rendering filed as the PDF, the XML kept beside it', async () => {
    const xml = new TextEncoder().encode(buildUblInvoiceXml(sampleEInvoice({ number: 'UBL-77' })));
    const src = join(root, 'inbox', 'invoice-77.xml');
    await writeFile(src, xml);
    const pipeline = new Pipeline(
      { db, extractor: new EInvoiceExtractor(new LocalExtractor()) },
      {
        dirs: {
          inbox: join(root, 'inbox'),
          processed: join(root, 'processed'),
          failed: join(root, 'failed'),
          duplicates: join(root, 'duplicates'),
        },
        maxFileBytes: 5 * 1024 * 1024,
        leaseMs: 60_000,
        filingTemplate: '{yyyy}/{date}_{issuer}_{doc_type}',
        stableFile: false,
        ocr: false,
      },
    );
    const outcome = await pipeline.processFile(src);
    expect(outcome).toMatchObject({ kind: 'processed', provider: 'einvoice', costUsd: 0 });
    if (outcome.kind !== 'processed') return;
    const row = await db.documents.get(outcome.documentId);
    expect(row).toMatchObject({ mediaType: 'application/xml', totalAmount: 120.04 });
    expect(row?.metadata?.extracted_fields.invoice_number).toBe('UBL-77');
    expect(outcome.destination).toMatch(/\.pdf$/);
    expect(row?.originalPath).toBe(outcome.destination.replace(/\.pdf$/, '.xml'));
    const filed = await readPdf(new Uint8Array(await readFile(outcome.destination)));
    expect(filed.text).toContain('UBL-77');
    expect(Buffer.compare(await readFile(row?.originalPath ?? ''), Buffer.from(xml))).toBe(0);
  });
});
