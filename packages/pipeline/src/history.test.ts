import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@autod/db';
import { errorFor } from '@autod/errors';
import { buildScannedImage, buildTextPdf } from '@autod/testkit';
import { LocalExtractor, type Extractor } from './extractor.js';
import { isFiledAs, nearDuplicatePath } from './filing.js';
import { Pipeline, type DocumentIndexer, type PipelineOptions } from './pipeline.js';
import { LOCAL_PROMPT_VERSION, openAIPromptVersion } from './prompt-version.js';

/** Issue 12: every attempt keeps its result and prompt version; reprocess re-files; the near-duplicate policy. */

let root: string;
let db: Database;

const dirs = () => ({
  inbox: join(root, 'inbox'),
  processed: join(root, 'processed'),
  failed: join(root, 'failed'),
  duplicates: join(root, 'duplicates'),
});

function pipeline(extra: Partial<PipelineOptions> = {}, extractor: Extractor = new LocalExtractor()): Pipeline {
  return new Pipeline(
    { db, extractor },
    {
      dirs: dirs(),
      maxFileBytes: 2 * 1024 * 1024,
      leaseMs: 60_000,
      filingTemplate: '{yyyy}/{mm}/{date}_{issuer}_{doc_type}',
      stableFile: false,
      ocr: false,
      ...extra,
    },
  );
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(relative(root, join(d, e.name)));
    }
  };
  await walk(dir);
  return out.sort();
}

const INVOICE = ['INVOICE', 'Harbor Water Ltd', 'Invoice date: 2024-03-15', 'Total due: 84.20 EUR'];

async function drop(name: string, bytes?: Uint8Array): Promise<string> {
  const path = join(root, 'inbox', name);
  await writeFile(path, bytes ?? (await buildTextPdf([INVOICE], { title: name })));
  return path;
}

async function processed(p: Pipeline, path: string): Promise<{ documentId: number; destination: string }> {
  const outcome = await p.processFile(path);
  if (outcome.kind !== 'processed') throw new Error(`expected processed, got ${JSON.stringify(outcome)}`);
  return outcome;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'autod-history-'));
  for (const d of Object.values(dirs())) await mkdir(d, { recursive: true });
  db = await createDatabase({ url: join(root, 'autod.sqlite') });
  await db.migrate.latest();
});

afterEach(async () => {
  await db.close();
  await rm(root, { recursive: true, force: true });
});

describe('attempts keep their result and prompt version', () => {
  it('a succeeded attempt stores the metadata as extracted and the rules version; a failed one its version', async () => {
    const { documentId } = await processed(pipeline(), await drop('water.pdf'));
    const [attempt] = await db.attempts.listWithResults(documentId);
    expect(attempt?.promptVersion).toBe(LOCAL_PROMPT_VERSION);
    expect(attempt?.metadata).toEqual((await db.documents.get(documentId))?.metadata);
    expect(attempt?.metadata?.extracted_fields.total_amount).toBe(84.2);

    const failing: Extractor = {
      provider: 'openai',
      model: 'gpt-test',
      needsOcr: false,
      promptVersion: 'prompt-000000000000',
      extract: () => Promise.reject(errorFor('UPSTREAM_UNAVAILABLE', 'down')),
    };
    const outcome = await pipeline({}, failing).reprocess(documentId);
    expect(outcome.kind).toBe('retry_later');
    const all = await db.attempts.listWithResults(documentId);
    expect(all.map((a) => [a.status, a.promptVersion, a.metadata === null])).toEqual([
      ['succeeded', LOCAL_PROMPT_VERSION, false],
      ['failed', 'prompt-000000000000', true],
    ]);
  });

  it('keeps what the extractor read, not the corrections a person applied over it', async () => {
    const { documentId } = await processed(pipeline(), await drop('water.pdf'));
    const p = pipeline();
    await p.review.change(documentId, { fields: { issuer: 'Corrected Issuer' }, actor: 'test' });
    await p.reprocess(documentId);
    const doc = await db.documents.get(documentId);
    expect(doc?.issuer).toBe('Corrected Issuer');
    const [, second] = await db.attempts.listWithResults(documentId);
    expect(second?.metadata?.issuer).not.toBe('Corrected Issuer');
    expect(second?.metadata?.normalization.canonical_issuer).not.toBe('Corrected Issuer');
  });

  it('the OpenAI prompt version is a stable hash of the prompt and the schema', () => {
    expect(openAIPromptVersion()).toMatch(/^prompt-[0-9a-f]{12}$/);
    expect(openAIPromptVersion()).toBe(openAIPromptVersion());
    expect(LOCAL_PROMPT_VERSION).toMatch(/^rules-\d+\/schema-\d+\.\d+\.\d+$/);
  });
});

describe('reprocess re-files a document whose name changes', () => {
  it('moves the file to the name the new template gives and keeps the database in step', async () => {
    const { documentId, destination } = await processed(pipeline(), await drop('water.pdf'));
    expect(relative(root, destination)).toMatch(/^processed\/2024\/03\/2024-03-15_/);
    // same template: nothing moves
    const same = await pipeline().reprocess(documentId);
    expect(same.kind === 'processed' && same.destination).toBe(destination);
    // another template: the file moves, the row follows, filed_at stays set
    const outcome = await pipeline({ filingTemplate: 'by-issuer/{issuer}/{sha8}' }).reprocess(documentId);
    if (outcome.kind !== 'processed') throw new Error(outcome.kind);
    expect(relative(root, outcome.destination)).toMatch(/^processed\/by-issuer\/[^/]+\/[0-9a-f]{8}\.pdf$/);
    expect(await files(join(root, 'processed'))).toEqual([relative(root, outcome.destination)]);
    const row = await db.documents.get(documentId);
    expect(row?.storagePath).toBe(outcome.destination);
    expect(row?.filedAt).not.toBeNull();
    expect(row?.status).toBe('completed');
  });

  it('a failed document that gets a result leaves failed/ for processed/, without its stale error report', async () => {
    const refusing: Extractor = {
      provider: 'local',
      model: 'refuses',
      needsOcr: false,
      extract: () => Promise.reject(errorFor('VALIDATION_FAILED', 'no')),
    };
    const outcome = await pipeline({}, refusing).processFile(await drop('water.pdf'));
    if (outcome.kind !== 'failed') throw new Error(outcome.kind);
    expect(await files(join(root, 'failed'))).toEqual(['failed/water.pdf', 'failed/water.pdf.error.json']);
    const again = await pipeline().reprocess(outcome.documentId!);
    if (again.kind !== 'processed') throw new Error(again.kind);
    expect(relative(root, again.destination)).toMatch(/^processed\/2024\/03\//);
    expect(await files(join(root, 'failed'))).toEqual([]);
    expect(await db.documents.get(outcome.documentId!)).toMatchObject({
      status: 'completed',
      storagePath: again.destination,
    });
    expect((await db.attempts.list(outcome.documentId!)).map((a) => a.status)).toEqual(['failed', 'succeeded']);
  });

  it('keeps a name that differs only by the suffix a taken name got (-1)', async () => {
    const text = (n: string) => buildTextPdf([INVOICE], { title: n });
    const template = { filingTemplate: 'same/{date}' };
    await processed(pipeline(template), await drop('a.pdf', await text('a')));
    const second = await processed(
      pipeline({ ...template, nearDuplicatePolicy: 'flag' }),
      await drop('b.pdf', await text('b')),
    );
    expect(second.destination.endsWith('-1.pdf')).toBe(true);
    const again = await pipeline(template).reprocess(second.documentId);
    expect(again.kind === 'processed' && again.destination).toBe(second.destination);
    expect(isFiledAs(join(root, 'x/y-3.pdf'), join(root, 'x/y.pdf'))).toBe(true);
    expect(isFiledAs(join(root, 'x/y-2024.pdf'), join(root, 'x/y.pdf'))).toBe(false);
    expect(isFiledAs(join(root, 'x/y.pdf'), join(root, 'z/y.pdf'))).toBe(false);
  });

  it('moves the original image of an image document with its PDF', async () => {
    const { documentId } = await processed(pipeline(), await drop('receipt.png', await buildScannedImage([INVOICE])));
    const before = await db.documents.get(documentId);
    expect(before?.originalPath?.endsWith('.png')).toBe(true);
    const outcome = await pipeline({ filingTemplate: 'images/{sha8}' }).reprocess(documentId);
    if (outcome.kind !== 'processed') throw new Error(outcome.kind);
    const row = await db.documents.get(documentId);
    expect(relative(root, row?.storagePath ?? '')).toMatch(/^processed\/images\/[0-9a-f]{8}\.pdf$/);
    expect(row?.originalPath).toBe(row?.storagePath?.replace(/\.pdf$/, '.png'));
    expect(await files(join(root, 'processed'))).toEqual(
      [relative(root, row?.storagePath ?? ''), relative(root, row?.originalPath ?? '')].sort(),
    );
  });
});

describe('AUTOD_NEAR_DUPLICATE_POLICY', () => {
  /** An indexer that calls every document after the first a rescan of document 1. */
  const rescans = (): DocumentIndexer => ({
    index: (doc) => Promise.resolve({ nearDuplicateOf: doc.id > 1 ? 1 : null }),
  });

  it('file: a near-duplicate is filed under duplicates/near/, and stays there when reprocessed', async () => {
    const p = pipeline({ indexer: rescans(), nearDuplicatePolicy: 'file' });
    const first = await processed(p, await drop('water.pdf'));
    const second = await processed(p, await drop('water-rescan.pdf'));
    expect(relative(root, first.destination)).toMatch(/^processed\//);
    expect(second.destination).toBe(nearDuplicatePath(dirs().duplicates, second.destination));
    expect((await db.documents.get(second.documentId))?.storagePath).toBe(second.destination);
    const again = await p.reprocess(second.documentId);
    expect(again.kind === 'processed' && again.destination).toBe(second.destination);
  });

  it('flag (and no policy): a near-duplicate is filed like any document', async () => {
    for (const policy of ['flag', undefined] as const) {
      const p = pipeline({ indexer: rescans(), ...(policy ? { nearDuplicatePolicy: policy } : {}) });
      const outcome = await processed(p, await drop(`water-${policy ?? 'none'}.pdf`));
      expect(relative(root, outcome.destination)).toMatch(/^processed\//);
    }
    expect(await files(join(root, 'duplicates'))).toEqual([]);
  });

  it('file: a document filed before it was indexed (Batch API, a crash) moves when the sweep finds it a rescan', async () => {
    const plain = pipeline();
    const first = await processed(plain, await drop('water.pdf'));
    const second = await processed(plain, await drop('water-rescan.pdf'));
    expect(relative(root, second.destination)).toMatch(/^processed\//);
    const sweep = pipeline({
      nearDuplicatePolicy: 'file',
      indexer: {
        ...rescans(),
        missing: () => Promise.resolve({ ids: [first.documentId, second.documentId], total: 2 }),
      },
    });
    expect(await sweep.indexMissing()).toMatchObject({ indexed: 2, failed: 0 });
    const row = await db.documents.get(second.documentId);
    expect(row?.storagePath).toBe(
      join(dirs().duplicates, 'near', relative(join(second.destination, '..'), second.destination)),
    );
    expect(await files(join(root, 'duplicates'))).toEqual([relative(root, row?.storagePath ?? '')]);
    expect((await db.documents.get(first.documentId))?.storagePath).toBe(first.destination);
  });

  it('an indexer that reports nothing leaves the document where the template files it', async () => {
    const p = pipeline({ indexer: { index: () => Promise.resolve() }, nearDuplicatePolicy: 'file' });
    await processed(p, await drop('a.pdf'));
    const second = await processed(p, await drop('b.pdf'));
    expect(relative(root, second.destination)).toMatch(/^processed\//);
  });
});
