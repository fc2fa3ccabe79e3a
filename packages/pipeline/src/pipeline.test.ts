import {
  appendFile,
  link,
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  utimes,
  writeFile,
  copyFile,
  mkdir,
} from 'node:fs/promises';
import { createHash } from 'node:crypto';
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
const HOUR = 3_600_000;

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
  ])('fails %s into failed/ with an error report and a database row (%s)', async (name, make, code) => {
    await writeFile(join(root, 'inbox', name), await make());
    // an old file: not one a writer may still be busy with
    await utimes(join(root, 'inbox', name), new Date(Date.now() - HOUR), new Date(Date.now() - HOUR));
    const outcome = await makePipeline().processFile(join(root, 'inbox', name));
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    expect(outcome.error.code).toBe(code);
    expect(await listTree(join(root, 'failed'))).toEqual([name, `${name}.error.json`]);
    const report = JSON.parse(await readFile(join(root, 'failed', `${name}.error.json`), 'utf8'));
    expect(report.error.code).toBe(code);
    expect(report.whatToDo).toBeTruthy();
    // every outcome is in the database, also failures found before a claim (empty, not a PDF, too large)
    expect(outcome.documentId).not.toBeNull();
    const { items } = await db.documents.list({ status: 'failed' });
    expect(items.map((d) => [d.fileName, d.errorCode, d.storagePath])).toEqual([
      [name, code, join(root, 'failed', name)],
    ]);
    expect(items[0]?.filedAt).not.toBeNull();
    expect(report.documentId).toBe(items[0]?.id);
  });

  it('a copy of bytes in flight in the same process is held (one claim, one extraction), then filed as a duplicate', async () => {
    const bytes = await buildTextPdf([['Invoice 7', 'ACME Ltd', 'Total 7.00']]);
    await writeFile(join(dirs().inbox, 'a.pdf'), bytes);
    await writeFile(join(dirs().inbox, 'b.pdf'), bytes);
    const local = new LocalExtractor();
    let calls = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow: Extractor = {
      provider: local.provider,
      model: local.model,
      needsOcr: local.needsOcr,
      extract: async (input) => {
        calls++;
        await gate;
        return local.extract(input);
      },
    };
    // One pipeline = one owner, as for all the workers of one process.
    const pipeline = makePipeline(slow);
    const first = pipeline.processFile(join(dirs().inbox, 'a.pdf'));
    while (calls === 0) await new Promise((r) => setTimeout(r, 5));
    expect(await pipeline.processFile(join(dirs().inbox, 'b.pdf'))).toMatchObject({ kind: 'skipped', reason: 'held' });
    release();
    expect((await first).kind).toBe('processed');
    expect(await pipeline.processFile(join(dirs().inbox, 'b.pdf'))).toMatchObject({ kind: 'duplicate' });
    expect(calls).toBe(1);
    expect(await readdir(dirs().duplicates)).toEqual(['b.pdf']);
  });

  it('leaves the file in the inbox and the row waiting when the upstream is down (retry later, never failed)', async () => {
    const down: Extractor = {
      provider: 'openai',
      model: 'gpt-test',
      needsOcr: false,
      extract: async () => {
        throw errorFor('CIRCUIT_OPEN', 'breaker open', { retryAfterMs: 45_000 });
      },
    };
    const bytes = await buildTextPdf([['Statement', 'Bank of Test', 'Date: 2024-01-31']]);
    const src = join(root, 'inbox', 'statement.pdf');
    await writeFile(src, bytes);
    const before = Date.now();
    const outcome = await makePipeline(down).processFile(src);
    expect(outcome.kind).toBe('retry_later');
    if (outcome.kind !== 'retry_later') return;
    expect(await listTree(join(root, 'inbox'))).toEqual(['statement.pdf']);
    expect(await listTree(join(root, 'failed'))).toEqual([]);
    // waiting, with the reason and the next try (the breaker's cool-down), never "processing"
    const row = await db.documents.get(outcome.documentId);
    expect(row).toMatchObject({ status: 'waiting', errorCode: 'CIRCUIT_OPEN', claimOwner: null });
    expect(row!.retryAt!.getTime()).toBeGreaterThanOrEqual(before + 45_000);
    expect(Date.parse(outcome.retryAt)).toBe(row!.retryAt!.getTime());
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

/** An extractor that never answers and ignores its signal (a hung parser, a stuck socket). */
const hung: Extractor = {
  provider: 'local',
  model: 'hung',
  needsOcr: false,
  extract: () => new Promise(() => undefined),
};

async function inboxPdf(name: string, lines: string[] = ['Receipt', 'Corner Shop', 'Total $5.00']): Promise<string> {
  const path = join(root, 'inbox', name);
  await writeFile(path, await buildTextPdf([[name, ...lines]]));
  return path;
}

describe('Pipeline: a file the caller hashed (an HTTP upload)', () => {
  async function identity(path: string, sha256: string) {
    const st = await stat(path);
    return { sha256, sizeBytes: st.size, ino: st.ino, mtimeMs: st.mtimeMs };
  }

  it('files a copy as a duplicate by the hash given while the file is unchanged, and re-reads a file that changed', async () => {
    const p = makePipeline();
    const original = await inboxPdf('original.pdf');
    const originalSha = sha256Of(await readFile(original));
    expect((await p.processFile(original)).kind).toBe('processed');

    // Other bytes on disk, but the caller's hash names the stored document and the file is the one it hashed: the
    // pipeline takes the hash (it does not read the file again) and files it as that document's duplicate.
    const copy = await inboxPdf('copy.pdf', ['Receipt', 'Another Shop', 'Total $7.00']);
    const trusted = await p.processFile(copy, undefined, { complete: true, hashed: await identity(copy, originalSha) });
    expect(trusted).toMatchObject({ kind: 'duplicate', sha256: originalSha });

    // The same claim about a file touched since: its identity no longer matches, so it is read and hashed.
    const touched = await inboxPdf('touched.pdf', ['Receipt', 'Third Shop', 'Total $8.00']);
    const stale = await identity(touched, originalSha);
    await utimes(touched, new Date(Date.now() - HOUR), new Date(Date.now() - HOUR));
    const read = await p.processFile(touched, undefined, { complete: true, hashed: stale });
    expect(read).toMatchObject({
      kind: 'processed',
      sha256: sha256Of(await readFile(read.kind === 'processed' ? read.destination : touched)),
    });
    expect((read as { sha256: string }).sha256).not.toBe(originalSha);
  });

  it('reads a new document once and never stores it under a hash its bytes do not have', async () => {
    const p = makePipeline();
    const path = await inboxPdf('new.pdf');
    const real = sha256Of(await readFile(path));
    const wrong = sha256Of(Buffer.from('other bytes'));
    expect(await p.processFile(path, undefined, { complete: true, hashed: await identity(path, wrong) })).toEqual({
      kind: 'skipped',
      path,
      reason: 'incomplete',
    });
    expect(await db.documents.get(wrong)).toBeUndefined();
    // With its true hash it is processed from the bytes read for the extraction.
    const outcome = await p.processFile(path, undefined, { complete: true, hashed: await identity(path, real) });
    expect(outcome).toMatchObject({ kind: 'processed', sha256: real });
    expect(await db.documents.get(real)).toMatchObject({ status: 'completed' });
  });
});

describe('Pipeline robustness', () => {
  it('enforces the per-document deadline even on an extractor that ignores it; K deadline hits fail the file', async () => {
    const src = await inboxPdf('slow.pdf');
    const p = makePipeline(hung, { timeoutPerDocMs: 50, maxStrikes: 3 });
    for (let i = 1; i <= 2; i++) {
      const o = await p.processFile(src);
      expect(o).toMatchObject({ kind: 'retry_later', error: { code: 'PROCESSING_TIMEOUT' } });
      const row = await db.documents.get(sha256Of(await readFile(src)));
      expect(row).toMatchObject({ status: 'waiting', strikes: i, errorCode: 'PROCESSING_TIMEOUT' });
      // a deadline hit counts as an attempt
      expect((await db.attempts.list(row!.id)).map((a) => a.errorCode)).toEqual(
        Array.from({ length: i }, () => 'PROCESSING_TIMEOUT'),
      );
    }
    const last = await p.processFile(src);
    expect(last).toMatchObject({ kind: 'failed', error: { code: 'PROCESSING_TIMEOUT' } });
    expect(await listTree(join(root, 'inbox'))).toEqual([]);
    expect(await listTree(join(root, 'failed'))).toEqual(['slow.pdf', 'slow.pdf.error.json']);
    const report = JSON.parse(await readFile(join(root, 'failed', 'slow.pdf.error.json'), 'utf8'));
    expect(report.error.message).toMatch(/3 times/);
    const { items } = await db.documents.list({ status: 'failed' });
    expect(items).toMatchObject([{ fileName: 'slow.pdf', strikes: 3, storagePath: join(root, 'failed', 'slow.pdf') }]);
    // dropped in again (e.g. after raising the deadline): a fresh start, not an instant failure
    await copyFile(join(root, 'failed', 'slow.pdf'), src);
    expect((await makePipeline().processFile(src)).kind).toBe('processed');
  });

  it('passes the deadline to the extractor as an abort signal', async () => {
    let seen: AbortSignal | undefined;
    const cooperative: Extractor = {
      provider: 'local',
      model: 'coop',
      needsOcr: false,
      extract: (input) =>
        new Promise((_resolve, reject) => {
          seen = input.signal;
          input.signal?.addEventListener('abort', () => reject(new Error('stopped')));
        }),
    };
    const o = await makePipeline(cooperative, { timeoutPerDocMs: 30 }).processFile(await inboxPdf('coop.pdf'));
    expect(o).toMatchObject({ kind: 'retry_later', error: { code: 'PROCESSING_TIMEOUT' } });
    expect(seen?.aborted).toBe(true);
  });

  it('a claim left by a process that died counts a strike at recovery; the K-th fails the file, the others go on', async () => {
    const poison = await inboxPdf('poison.pdf');
    const good = await inboxPdf('good.pdf');
    const sha = sha256Of(await readFile(poison));
    for (let crash = 1; crash <= 3; crash++) {
      // a process on another host claimed it and died: its lease ran out
      const c = await db.documents.claim({
        sha256: sha,
        fileName: 'poison.pdf',
        sourcePath: poison,
        sizeBytes: 1,
        owner: 'other-host:1:dead',
        leaseMs: 1,
        now: Date.now() - 10_000,
      });
      expect(c.kind).toBe('claimed');
      const r = await makePipeline().recover();
      const row = await db.documents.get(sha);
      if (crash < 3) {
        expect(r).toMatchObject({ released: 1, failed: 0 });
        expect(row).toMatchObject({ status: 'waiting', strikes: crash, errorCode: 'PROCESSING_CRASHED' });
      } else {
        expect(r).toMatchObject({ released: 1, failed: 1 });
        expect(row).toMatchObject({ status: 'failed', strikes: 3, errorCode: 'PROCESSING_CRASHED' });
        expect(row?.filedAt).not.toBeNull();
      }
    }
    expect(await listTree(join(root, 'failed'))).toEqual(['poison.pdf', 'poison.pdf.error.json']);
    expect((await makePipeline().processFile(good)).kind).toBe('processed');
  });

  it('takes over a lease that ran out with a strike, and fails the file at once at the limit', async () => {
    const src = await inboxPdf('stalled.pdf');
    const sha = sha256Of(await readFile(src));
    await db.documents.claim({
      sha256: sha,
      fileName: 'x',
      sourcePath: src,
      sizeBytes: 1,
      owner: 'a',
      leaseMs: 1,
      now: 1,
    });
    await db.knex('documents').where({ sha256: sha }).update({ strikes: 2 });
    const o = await makePipeline(hung, { maxStrikes: 3 }).processFile(src);
    expect(o).toMatchObject({ kind: 'failed', error: { code: 'PROCESSING_CRASHED' } });
    expect(await db.documents.get(sha)).toMatchObject({ status: 'failed', strikes: 3 });
  });

  it('leaves a young file that looks cut off for its writer, without a row; an old one is processed as it is', async () => {
    const bytes = await buildTextPdf([['INVOICE', 'Acme', 'Total $9.00']]);
    const src = join(root, 'inbox', 'copying.pdf');
    await writeFile(src, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const p = makePipeline();
    expect(await p.processFile(src)).toEqual({ kind: 'skipped', path: src, reason: 'incomplete' });
    await writeFile(join(root, 'inbox', 'empty.pdf'), '');
    expect(await p.processFile(join(root, 'inbox', 'empty.pdf'))).toMatchObject({ reason: 'incomplete' });
    expect((await db.documents.list()).total).toBe(0);
    // a caller that knows the file is whole (an HTTP upload) gets the failure at once
    await writeFile(join(root, 'inbox', 'upload.pdf'), '');
    expect(await p.processFile(join(root, 'inbox', 'upload.pdf'), undefined, { complete: true })).toMatchObject({
      kind: 'failed',
      error: { code: 'INPUT_EMPTY' },
    });
    await db.knex('documents').where({ file_name: 'upload.pdf' }).delete();
    // the writer finishes
    await appendFile(src, bytes.subarray(Math.floor(bytes.length / 2)));
    expect((await p.processFile(src)).kind).toBe('processed');
    // an old cut-off file is not being written any more: it is read (and fails) as it is
    await utimes(join(root, 'inbox', 'empty.pdf'), new Date(Date.now() - HOUR), new Date(Date.now() - HOUR));
    expect(await p.processFile(join(root, 'inbox', 'empty.pdf'))).toMatchObject({
      kind: 'failed',
      error: { code: 'INPUT_EMPTY' },
    });
  });

  it('does not fail (or keep a row for) a file that changed while it was read', async () => {
    const src = await inboxPdf('growing.pdf');
    await utimes(src, new Date(Date.now() - HOUR), new Date(Date.now() - HOUR));
    // the parse fails because a writer was not done: it appends while we work
    const writerStillBusy: Extractor = {
      provider: 'local',
      model: 'x',
      needsOcr: false,
      extract: async () => {
        await appendFile(src, '\n% more bytes\n');
        throw errorFor('INPUT_CORRUPT_PDF', 'cannot parse');
      },
    };
    expect(await makePipeline(writerStillBusy).processFile(src)).toMatchObject({
      kind: 'skipped',
      reason: 'incomplete',
    });
    expect(await listTree(join(root, 'failed'))).toEqual([]);
    expect((await db.documents.list()).total).toBe(0);
    expect((await makePipeline().processFile(src)).kind).toBe('processed');
  });

  it('recovery finishes a move a kill interrupted between link and unlink (no second copy)', async () => {
    const src = await inboxPdf('linked.pdf');
    const o = await makePipeline().processFile(src);
    if (o.kind !== 'processed') throw new Error(o.kind);
    // the state a kill -9 between link() and unlink() leaves: the file in both places, the row not marked filed
    await link(o.destination, src);
    await db.knex('documents').where({ id: o.documentId }).update({ filed_at: null });
    expect((await makePipeline().recover()).filed).toBe(1);
    expect(await listTree(join(root, 'inbox'))).toEqual([]);
    expect(await listTree(join(root, 'processed'))).toHaveLength(1);
    expect((await db.documents.get(o.documentId))?.storagePath).toBe(o.destination);
  });

  it('recovery files a failure whose move a crash interrupted, with its report', async () => {
    const src = join(root, 'inbox', 'bad.pdf');
    await writeFile(src, badPdfs.corrupt());
    const sha = sha256Of(await readFile(src));
    const c = await db.documents.claim({
      sha256: sha,
      fileName: 'bad.pdf',
      sourcePath: src,
      sizeBytes: 1,
      owner: 'w',
      leaseMs: 1000,
    });
    await db.documents.fail(c.document.id, 'w', { code: 'INPUT_CORRUPT_PDF', message: 'broken xref' });
    expect((await makePipeline().recover()).filed).toBe(1);
    expect(await listTree(join(root, 'failed'))).toEqual(['bad.pdf', 'bad.pdf.error.json']);
    expect(await db.documents.get(sha)).toMatchObject({
      status: 'failed',
      storagePath: join(root, 'failed', 'bad.pdf'),
    });
  });

  it('indexes completed documents the index lacks, at recovery and on demand', async () => {
    const indexed = new Set<number>();
    let failNext = true;
    const indexer = {
      index: async (d: { id: number }) => {
        if (failNext) {
          failNext = false;
          throw errorFor('CIRCUIT_OPEN', 'embeddings breaker open');
        }
        indexed.add(d.id);
      },
      missing: async (limit: number) => {
        const { items } = await db.documents.list({ status: 'completed', limit: 1000 });
        const ids = items
          .map((d) => d.id)
          .filter((id) => !indexed.has(id))
          .sort((a, b) => a - b);
        return { ids: ids.slice(0, limit), total: ids.length };
      },
    };
    const o = await makePipeline(undefined, { indexer }).processFile(await inboxPdf('one.pdf'));
    expect(o.kind).toBe('processed'); // indexing failed: logged, not fatal
    expect(indexed.size).toBe(0);
    expect(await makePipeline(undefined, { indexer }).recover()).toMatchObject({ indexed: 1 });
    expect(indexed.size).toBe(1);
    expect(await makePipeline(undefined, { indexer }).indexMissing()).toEqual({ indexed: 0, failed: 0, remaining: 0 });
  });

  it('stops a folder run on a full disk: nothing lost, the claim released, the rest untouched', async () => {
    const files = [await inboxPdf('a.pdf'), await inboxPdf('b.pdf'), await inboxPdf('c.pdf')];
    const full: Extractor = {
      provider: 'local',
      model: 'x',
      needsOcr: false,
      extract: async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    };
    const error = await processFiles(makePipeline(full), files, { concurrency: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DISK_FULL', retryable: true });
    expect(await listTree(join(root, 'inbox'))).toEqual(['a.pdf', 'b.pdf', 'c.pdf']);
    const { items } = await db.documents.list();
    expect(items.map((d) => [d.fileName, d.status, d.errorCode])).toEqual([['a.pdf', 'waiting', 'DISK_FULL']]);
  });

  it('retries files deferred by an open breaker in the same run once it closes; stops when a round gets nowhere', async () => {
    const files = [await inboxPdf('1.pdf'), await inboxPdf('2.pdf'), await inboxPdf('3.pdf')];
    let open = 2; // the breaker refuses the first two calls, then the upstream is back
    const flaky: Extractor = {
      provider: 'openai',
      model: 'm',
      needsOcr: false,
      extract: async (input) => {
        if (open-- > 0) throw errorFor('CIRCUIT_OPEN', 'breaker open', { retryAfterMs: 20 });
        return new LocalExtractor().extract(input);
      },
    };
    const s = await processFiles(makePipeline(flaky), files, { concurrency: 1 });
    expect(s).toMatchObject({ total: 3, processed: 3, retryLater: 0 });

    const more = [await inboxPdf('4.pdf')];
    const down: Extractor = {
      ...flaky,
      extract: async () => {
        throw errorFor('CIRCUIT_OPEN', 'breaker open', { retryAfterMs: 10 });
      },
    };
    const left = await processFiles(makePipeline(down), more, { concurrency: 1 });
    expect(left).toMatchObject({ total: 1, retryLater: 1 });
    // a round in which the breaker refused every call (it came before the probe was let through) proves nothing:
    // it is tried again, a bounded number of times
    let calls = 0;
    const refusing: Extractor = {
      ...flaky,
      extract: async () => {
        calls++;
        throw errorFor('CIRCUIT_OPEN', 'breaker open', { retryAfterMs: 5 });
      },
    };
    await processFiles(makePipeline(refusing), more, { concurrency: 1 });
    expect(calls).toBe(5); // the first pass, one retry round, then 3 early rounds at most
    expect((await db.documents.list({ status: 'waiting' })).total).toBe(1);
  });

  it('a file and its copy at once in one run: one is processed, the other waits for it and is a duplicate', async () => {
    const bytes = await buildTextPdf([['Twin', 'Same Bytes Ltd', 'Total $2.00']]);
    for (const n of ['a.pdf', 'b.pdf', 'c.pdf']) await writeFile(join(root, 'inbox', n), bytes);
    const s = await processFiles(makePipeline(), await discoverFiles([join(root, 'inbox')]), { concurrency: 3 });
    expect(s).toMatchObject({ total: 3, processed: 1, duplicates: 2, skipped: 0 });
    expect(await listTree(join(root, 'inbox'))).toEqual([]);
  });

  it('no head-of-line blocking: with one slot, fast files finish while a slow one runs', async () => {
    const slow = await inboxPdf('0-slow.pdf');
    const fast = [await inboxPdf('1.pdf'), await inboxPdf('2.pdf'), await inboxPdf('3.pdf')];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const extractor: Extractor = {
      provider: 'local',
      model: 'x',
      needsOcr: false,
      extract: async (input) => {
        if (input.fileName === '0-slow.pdf') await gate;
        return new LocalExtractor().extract(input);
      },
    };
    const run = processFiles(makePipeline(extractor), [slow, ...fast], {
      concurrency: 1,
      slowAfterMs: 20,
      onOutcome: (o) => {
        order.push(o.path.split('/').pop()!);
        if (order.length === fast.length) release();
      },
    });
    const s = await run;
    expect(s.processed).toBe(4);
    expect(order).toEqual(['1.pdf', '2.pdf', '3.pdf', '0-slow.pdf']);
  });

  it('a budget cap (BUDGET_EXCEEDED) makes documents wait in the inbox: no strike, never failed, not retried in the run', async () => {
    const files = [await inboxPdf('1.pdf'), await inboxPdf('2.pdf')];
    let calls = 0;
    const capped: Extractor = {
      provider: 'openai',
      model: 'm',
      needsOcr: false,
      extract: async () => {
        calls++;
        throw errorFor('BUDGET_EXCEEDED', 'The daily budget would be exceeded.', { retryAfterMs: HOUR });
      },
    };
    const s = await processFiles(makePipeline(capped), files, { concurrency: 1 });
    expect(s).toMatchObject({ total: 2, processed: 0, failed: 0, retryLater: 2 });
    expect(calls).toBe(2); // no second round in the same run
    expect(await listTree(join(root, 'inbox'))).toEqual(['1.pdf', '2.pdf']);
    const { items } = await db.documents.list({ status: 'waiting' });
    expect(items.map((d) => [d.fileName, d.errorCode, d.strikes]).sort()).toEqual([
      ['1.pdf', 'BUDGET_EXCEEDED', 0],
      ['2.pdf', 'BUDGET_EXCEEDED', 0],
    ]);
  });

  it('a failed attempt records what its billed answers cost (an answer that failed validation twice)', async () => {
    const file = await inboxPdf('invalid.pdf');
    const usage = { inputTokens: 900, cachedInputTokens: 100, outputTokens: 80, reasoningTokens: 8, totalTokens: 980 };
    const invalid: Extractor = {
      provider: 'openai',
      model: 'm',
      needsOcr: false,
      extract: async () => {
        throw errorFor('MODEL_OUTPUT_INVALID', 'failed validation twice', { details: { usage, costUsd: 0.0042 } });
      },
    };
    const outcome = await makePipeline(invalid).processFile(file);
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    const [attempt] = await db.attempts.list(outcome.documentId!);
    expect(attempt).toMatchObject({ status: 'failed', costUsd: 0.0042, inputTokens: 900, outputTokens: 80 });
  });
});

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
