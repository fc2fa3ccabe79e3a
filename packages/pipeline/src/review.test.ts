import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DocumentMetadata } from '@autod/core';
import { createDatabase, type Database } from '@autod/db';
import { isAutodError } from '@autod/errors';
import { generateCorpus } from '@autod/testkit';
import { LocalExtractor, type Extractor, type ExtractionInput, type ExtractionOutput } from './extractor.js';
import { Pipeline } from './pipeline.js';

let root: string;
let db: Database;

/** The offline extractor, with the issuer's confidence forced low so the document lands in the review queue. */
class UnsureExtractor implements Extractor {
  readonly provider = 'local' as const;
  readonly model = 'unsure-test';
  readonly needsOcr = false;
  private readonly inner = new LocalExtractor();
  async extract(input: ExtractionInput): Promise<ExtractionOutput> {
    const out = await this.inner.extract(input);
    const m: DocumentMetadata = structuredClone(out.metadata);
    m.issuer = 'Unsure Issuer Ltd';
    m.normalization.canonical_issuer = null;
    m.primary_date = '2024-03-01';
    m.field_evidence.issuer = { confidence: 0.3, page: 1, source_text: 'Unsure Issuer Ltd', box: null };
    m.field_evidence.primary_date = { confidence: 0.95, page: 1, source_text: '01/03/2024', box: null };
    return { ...out, metadata: m, model: this.model };
  }
}

function makePipeline(): Pipeline {
  return new Pipeline(
    { db, extractor: new UnsureExtractor() },
    {
      dirs: {
        inbox: join(root, 'inbox'),
        processed: join(root, 'processed'),
        failed: join(root, 'failed'),
        duplicates: join(root, 'duplicates'),
      },
      maxFileBytes: 2 * 1024 * 1024,
      leaseMs: 60_000,
      filingTemplate: '{sha8}',
      stableFile: false,
      ocr: false,
      reviewThreshold: 0.8,
    },
  );
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'autod-review-'));
  for (const d of ['inbox', 'processed', 'failed', 'duplicates']) await mkdir(join(root, d), { recursive: true });
  db = await createDatabase({ url: join(root, 'autod.sqlite') });
  await db.migrate.latest();
});

afterEach(async () => {
  await db.close();
  await rm(root, { recursive: true, force: true });
});

async function processedDocument(pipeline: Pipeline): Promise<number> {
  const [doc] = await generateCorpus({ count: 1, seed: 11 });
  const src = join(root, 'inbox', doc!.fileName);
  await writeFile(src, doc!.bytes);
  const outcome = await pipeline.processFile(src);
  if (outcome.kind !== 'processed') throw new Error(`expected processed, got ${outcome.kind}`);
  return outcome.documentId;
}

describe('DocumentReview', () => {
  it('queues a document with a key field under the threshold; a correction is stored, audited and applied', async () => {
    const pipeline = makePipeline();
    const id = await processedDocument(pipeline);
    const queued = await pipeline.review.queue();
    expect(queued.items.map((d) => d.id)).toEqual([id]);
    expect(queued.items[0]?.reviewReasons).toEqual(['issuer confidence 0.30 is under 0.8']);

    const row = await pipeline.review.change(id, {
      fields: { issuer: 'Acme Water Ltd', total_amount: 12.5 },
      actor: 'cli:test',
      note: 'from the paper',
    });
    expect(row).toMatchObject({ issuer: 'Acme Water Ltd', totalAmount: 12.5, needsReview: false });
    expect(row.metadata?.field_evidence.issuer).toMatchObject({ confidence: 1, source_text: 'corrected by cli:test' });
    expect((await pipeline.review.queue()).total).toBe(0);
    const corrections = await db.corrections.listFor(id);
    expect(corrections.map((c) => [c.kind, c.field, c.value])).toEqual([
      ['correct', 'issuer', 'Acme Water Ltd'],
      ['correct', 'total_amount', 12.5],
    ]);
    expect(corrections[0]?.previous).toBe('Unsure Issuer Ltd');
    const audit = await db.audit.list({ documentId: id, action: 'document.corrected' });
    expect(audit[0]).toMatchObject({
      actor: 'cli:test',
      details: { fields: ['issuer', 'total_amount'], note: 'from the paper' },
    });
  });

  it('accepts an extraction as it is', async () => {
    const pipeline = makePipeline();
    const id = await processedDocument(pipeline);
    const row = await pipeline.review.change(id, { accept: true, actor: 'http' });
    expect(row.needsReview).toBe(false);
    expect(row.metadata?.field_evidence.issuer?.confidence).toBe(1);
    expect((await db.corrections.listFor(id)).map((c) => c.kind)).toEqual(['accept']);
    expect(await db.audit.list({ documentId: id, action: 'document.review.accepted' })).toHaveLength(1);
  });

  it('refuses unknown fields, invalid values and empty changes with VALIDATION_FAILED', async () => {
    const pipeline = makePipeline();
    const id = await processedDocument(pipeline);
    for (const change of [
      { fields: { colour: 'red' }, actor: 'x' },
      { fields: { primary_date: '31/02/2024' }, actor: 'x' },
      { fields: { currency: 'euro' }, actor: 'x' },
      { actor: 'x' },
    ]) {
      const error = await pipeline.review.change(id, change).catch((e: unknown) => e);
      expect(isAutodError(error) && error.code).toBe('VALIDATION_FAILED');
    }
    const missing = await pipeline.review.change(99_999, { accept: true, actor: 'x' }).catch((e: unknown) => e);
    expect(isAutodError(missing) && missing.code).toBe('DOCUMENT_NOT_FOUND');
    expect(await db.corrections.listFor(id)).toEqual([]);
  });

  it('keeps corrections across reprocess unless forced', async () => {
    const pipeline = makePipeline();
    const id = await processedDocument(pipeline);
    await pipeline.review.change(id, { fields: { issuer: 'Acme Water Ltd' }, actor: 'cli:test' });
    expect((await pipeline.reprocess(id)).kind).toBe('processed');
    const kept = await db.documents.get(id);
    expect(kept).toMatchObject({ issuer: 'Acme Water Ltd', needsReview: false });
    expect((await pipeline.reprocess(id, { force: true })).kind).toBe('processed');
    const forced = await db.documents.get(id);
    expect(forced).toMatchObject({ issuer: 'Unsure Issuer Ltd', needsReview: true });
  });
});
