import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@autod/db';
import { buildTextPdf } from '@autod/testkit';
import { LocalExtractor } from './extractor.js';
import { Pipeline } from './pipeline.js';

let root: string;
let db: Database;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'autod-evidence-'));
  for (const d of ['inbox', 'processed', 'failed', 'duplicates']) await mkdir(join(root, d), { recursive: true });
  db = await createDatabase({ url: join(root, 'autod.sqlite') });
  await db.migrate.latest();
});

afterEach(async () => {
  await db.close();
  await rm(root, { recursive: true, force: true });
});

describe('evidence boxes', () => {
  it('stores where on the page each key field was read (line boxes from the reader)', async () => {
    const pipeline = new Pipeline(
      { db, extractor: new LocalExtractor() },
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
      },
    );
    const pdf = await buildTextPdf([
      ['Northwind Traders Ltd', '12 Harbour Road, Leeds', 'INVOICE', 'Invoice date: 2024-04-02', 'Total due: £120.00'],
    ]);
    const src = join(root, 'inbox', 'invoice.pdf');
    await writeFile(src, pdf);
    const outcome = await pipeline.processFile(src);
    expect(outcome.kind).toBe('processed');
    const doc = await db.documents.get(outcome.kind === 'processed' ? outcome.documentId : 0);
    const total = doc?.metadata?.field_evidence.total_amount;
    expect(total?.page).toBe(1);
    expect(total?.box).not.toBeNull();
    const box = total!.box!;
    // inside the page, in reading order below the issuer's line
    for (const v of [box.x0, box.y0, box.x1, box.y1]) expect(v).toBeGreaterThanOrEqual(0);
    expect(box.x1).toBeGreaterThan(box.x0);
    expect(box.y1).toBeGreaterThan(box.y0);
    const issuer = doc?.metadata?.field_evidence.issuer?.box;
    expect(issuer).not.toBeNull();
    expect(issuer!.y0).toBeLessThan(box.y0);
  });
});
