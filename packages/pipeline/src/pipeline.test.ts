import { mkdtemp, readFile, readdir, rm, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@autod/db';
import { errorFor } from '@autod/errors';
import { badPdfs, buildScannedImage, buildTextPdf, generateCorpus } from '@autod/testkit';
import { createTesseractOcr, readPdf, type OcrEngine } from '@autod/extract';
import { LocalExtractor, type Extractor } from './extractor.js';
import { Pipeline, type PipelineOptions } from './pipeline.js';
import { discoverFiles, processFiles } from './process-paths.js';

let root: string;
let db: Database;

function dirs() {
  return {
    inbox: join(root, 'inbox'),
    processed: join(root, 'processed'),
    failed: join(root, 'failed'),
    duplicates: join(root, 'duplicates'),
  };
}

function makePipeline(
  extractor: Extractor = new LocalExtractor(),
  extra: Partial<PipelineOptions> = {},
  owner?: string,
) {
  return new Pipeline(
    { db, extractor },
    {
      dirs: dirs(),
      maxFileBytes: 2 * 1024 * 1024,
      leaseMs: 60_000,
      filingTemplate: '{yyyy}/{mm}/{date}_{issuer}_{doc_type}',
      stableFile: false,
      ocr: false,
      ...(owner ? { owner } : {}),
      ...extra,
    },
  );
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string) => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(d, e.name), `${prefix}${e.name}/`);
      else out.push(prefix + e.name);
    }
  };
  await walk(dir, '');
  return out.sort();
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'autod-pipeline-'));
  for (const d of Object.values(dirs())) await mkdir(d, { recursive: true });
  db = await createDatabase({ url: join(root, 'autod.sqlite') });
  await db.migrate.latest();
});

afterEach(async () => {
  await db.close();
  await rm(root, { recursive: true, force: true });
});

describe('Pipeline', () => {
  it('processes a text PDF end to end: claims, extracts, persists and files it', async () => {
    const [doc] = await generateCorpus({ count: 1, seed: 3 });
    const src = join(root, 'inbox', doc!.fileName);
    await writeFile(src, doc!.bytes);
    const outcome = await makePipeline().processFile(src);
    expect(outcome.kind).toBe('processed');
    if (outcome.kind !== 'processed') return;
    expect(outcome.destination.startsWith(join(root, 'processed'))).toBe(true);
    expect(await listTree(join(root, 'inbox'))).toEqual([]);
    const row = await db.documents.get(outcome.documentId);
    expect(row?.status).toBe('completed');
    expect(row?.filedAt).not.toBeNull();
    expect(row?.storagePath).toBe(outcome.destination);
    expect(row?.metadata?.original_file_name).toBe(doc!.fileName);
    expect(await db.attempts.list(outcome.documentId)).toHaveLength(1);
    expect(Buffer.compare(await readFile(outcome.destination), Buffer.from(doc!.bytes))).toBe(0);
  });

  it('sends a second copy of the same bytes to duplicates/ and records it against the original', async () => {
    const bytes = await buildTextPdf([['INVOICE', 'Acme Corp', 'Invoice date: 2024-05-01', 'Total: $10.00']]);
    await writeFile(join(root, 'inbox', 'a.pdf'), bytes);
    const first = await makePipeline().processFile(join(root, 'inbox', 'a.pdf'));
    await writeFile(join(root, 'inbox', 'a-copy.pdf'), bytes);
    const second = await makePipeline().processFile(join(root, 'inbox', 'a-copy.pdf'));
    expect(first.kind).toBe('processed');
    expect(second.kind).toBe('duplicate');
    if (first.kind !== 'processed' || second.kind !== 'duplicate') return;
    expect(second.documentId).toBe(first.documentId);
    expect(await listTree(join(root, 'duplicates'))).toEqual(['a-copy.pdf']);
    expect(await db.duplicates.listFor(first.documentId)).toHaveLength(1);
  });

  it.each([
    ['empty.pdf', async () => badPdfs.empty(), 'INPUT_EMPTY'],
    ['corrupt.pdf', async () => badPdfs.corrupt(), 'INPUT_CORRUPT_PDF'],
    ['truncated.pdf', async () => badPdfs.truncated(), 'INPUT_CORRUPT_PDF'],
    ['encrypted.pdf', async () => badPdfs.encrypted(), 'INPUT_ENCRYPTED_PDF'],
    ['notes.pdf', async () => new TextEncoder().encode('plain text, not a document'), 'INPUT_UNSUPPORTED_TYPE'],
    ['broken.png', async () => badPdfs.notPdf().subarray(0, 40), 'INPUT_CORRUPT_IMAGE'],
    ['huge.pdf', async () => badPdfs.huge(3), 'INPUT_TOO_LARGE'],
  ])('fails %s into failed/ with an error report (%s)', async (name, make, code) => {
    await writeFile(join(root, 'inbox', name), await make());
    const outcome = await makePipeline().processFile(join(root, 'inbox', name));
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    expect(outcome.error.code).toBe(code);
    expect(await listTree(join(root, 'failed'))).toEqual([name, `${name}.error.json`]);
    const report = JSON.parse(await readFile(join(root, 'failed', `${name}.error.json`), 'utf8'));
    expect(report.error.code).toBe(code);
    expect(report.whatToDo).toBeTruthy();
  });

  it('leaves the file in the inbox and releases the claim when the upstream is down (retry later, never failed)', async () => {
    const down: Extractor = {
      provider: 'openai',
      model: 'gpt-test',
      needsOcr: false,
      extract: async () => {
        throw errorFor('CIRCUIT_OPEN', 'breaker open');
      },
    };
    const bytes = await buildTextPdf([['Statement', 'Bank of Test', 'Date: 2024-01-31']]);
    const src = join(root, 'inbox', 'statement.pdf');
    await writeFile(src, bytes);
    const outcome = await makePipeline(down).processFile(src);
    expect(outcome.kind).toBe('retry_later');
    expect(await listTree(join(root, 'inbox'))).toEqual(['statement.pdf']);
    expect(await listTree(join(root, 'failed'))).toEqual([]);
    // The next run (upstream back) processes it.
    const again = await makePipeline().processFile(src);
    expect(again.kind).toBe('processed');
  });

  it('recovers a committed-but-unmoved file at start', async () => {
    const bytes = await buildTextPdf([['Receipt', 'Corner Shop', 'Date: 2024-02-02', 'Total $5.00']]);
    const src = join(root, 'inbox', 'receipt.pdf');
    await writeFile(src, bytes);
    // Simulate a crash right after the commit: run the pipeline but make the move fail once.
    const p = makePipeline();
    const outcome = await p.processFile(src);
    expect(outcome.kind).toBe('processed');
    if (outcome.kind !== 'processed') return;
    // Put the DB back into the "committed, not filed" state and the file back in the inbox.
    await copyFile(outcome.destination, src);
    await rm(outcome.destination);
    await db.knex('documents').where({ id: outcome.documentId }).update({ filed_at: null });
    const report = await makePipeline().recover();
    expect(report.filed).toBe(1);
    expect(await listTree(join(root, 'inbox'))).toEqual([]);
    expect((await db.documents.get(outcome.documentId))?.filedAt).not.toBeNull();
  });

  it('processes a folder with bounded concurrency; two pipelines over the same folder process each file once', async () => {
    const docs = await generateCorpus({ count: 12, seed: 11 });
    for (const d of docs) await writeFile(join(root, 'inbox', d.fileName), d.bytes);
    const files = await discoverFiles([join(root, 'inbox')]);
    expect(files).toHaveLength(12);
    const [a, b] = await Promise.all([
      processFiles(makePipeline(undefined, {}, 'host:1:a'), files, { concurrency: 3 }),
      processFiles(makePipeline(undefined, {}, 'host:2:b'), files, { concurrency: 3 }),
    ]);
    expect(a.processed + b.processed).toBe(12);
    const { total } = await db.documents.list({ status: 'completed' });
    expect(total).toBe(12);
    expect(await listTree(join(root, 'inbox'))).toEqual([]);
    expect((await listTree(join(root, 'processed'))).length).toBe(12);
  });

  describe('image documents', () => {
    let ocr: OcrEngine;
    beforeEach(() => {
      ocr = createTesseractOcr();
    });
    afterEach(() => ocr.close());
    const RECEIPT = ['CORNER SHOP LTD', 'Receipt', 'Date: 2024-03-05', 'TOTAL 7.50 EUR'];

    it('files a searchable PDF made from the image and keeps the original beside it', async () => {
      const src = join(root, 'inbox', 'Scan 7.JPEG');
      await writeFile(src, await buildScannedImage([RECEIPT], { format: 'jpeg' }));
      const outcome = await makePipeline(new LocalExtractor(), { ocr }).processFile(src);
      expect(outcome.kind).toBe('processed');
      if (outcome.kind !== 'processed') return;
      expect(outcome.destination.endsWith('.pdf')).toBe(true);
      const row = await db.documents.get(outcome.documentId);
      expect(row).toMatchObject({ mediaType: 'image/jpeg', storagePath: outcome.destination });
      expect(row?.originalPath).toBe(outcome.destination.replace(/\.pdf$/, '.JPEG'));
      expect(await listTree(join(root, 'inbox'))).toEqual([]);
      const filed = await listTree(join(root, 'processed'));
      expect(filed).toHaveLength(2); // the PDF and the original; the staging folder is empty
      const pdf = await readPdf(new Uint8Array(await readFile(outcome.destination)));
      expect(pdf.pages[0]?.source).toBe('text');
      expect(pdf.text).toContain('CORNER SHOP');
      expect(await db.documents.getText(outcome.documentId)).toContain('7.50');
    }, 60_000);

    it('refiles an image document after a crash between commit and filing', async () => {
      const src = join(root, 'inbox', 'receipt.png');
      const bytes = await buildScannedImage([RECEIPT]);
      await writeFile(src, bytes);
      const outcome = await makePipeline(new LocalExtractor(), { ocr }).processFile(src);
      if (outcome.kind !== 'processed') throw new Error(outcome.kind);
      const row = await db.documents.get(outcome.documentId);
      // Back to "committed, not filed": PDF in staging, original in the inbox.
      await mkdir(join(root, 'processed', '.staging'), { recursive: true });
      await copyFile(outcome.destination, join(root, 'processed', '.staging', `${outcome.sha256}.pdf`));
      await rm(outcome.destination);
      await copyFile(row?.originalPath ?? '', src);
      await rm(row?.originalPath ?? '');
      await db.knex('documents').where({ id: outcome.documentId }).update({ filed_at: null });
      const report = await makePipeline().recover();
      expect(report.filed).toBe(1);
      expect(await listTree(join(root, 'inbox'))).toEqual([]);
      const after = await db.documents.get(outcome.documentId);
      expect(after?.filedAt).not.toBeNull();
      expect(after?.storagePath).toBe(outcome.destination);
      expect(after?.originalPath).toBe(row?.originalPath);
      expect(Buffer.compare(await readFile(after?.originalPath ?? ''), Buffer.from(bytes))).toBe(0);
    }, 60_000);
  });
});
