import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import {
  DOCUMENT_FILTER,
  SCHEMA_VERSION,
  createEmptyMetadata,
  indexedFields,
  type DocumentMetadata,
} from '@autod/core';
import { isAutodError } from '@autod/errors';
import { createTempPostgres, requirePostgresUnlessLocal, tempSqliteUrl, testPostgresAdminUrl } from '@autod/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, MIGRATIONS_TABLE, createDatabase, type Database, type DocumentRow } from './index.js';

const pgOk = await requirePostgresUnlessLocal();

interface Target {
  name: string;
  driver?: 'better-sqlite3' | 'sqlite3';
  pg?: boolean;
}

const targets: Target[] = [
  { name: 'SQLite (better-sqlite3)', driver: 'better-sqlite3' },
  { name: 'SQLite (sqlite3)', driver: 'sqlite3' },
  { name: 'PostgreSQL', pg: true },
];

async function openTemp(target: Target): Promise<{ url: string; dispose(): Promise<void> }> {
  if (target.pg) {
    const t = await createTempPostgres();
    return { url: t.url, dispose: t.drop };
  }
  const t = await tempSqliteUrl();
  return { url: t.url, dispose: t.cleanup };
}

const sha = (n: number | string): string => createHash('sha256').update(String(n)).digest('hex');
const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

function metadata(
  over: Partial<DocumentMetadata> = {},
  fields: Partial<DocumentMetadata['extracted_fields']> = {},
): DocumentMetadata {
  const base = createEmptyMetadata({
    processedDate: '2025-01-15T12:00:00Z',
    originalFileName: 'scan.pdf',
    sourceFileId: 'file-1',
  });
  return { ...base, ...over, extracted_fields: { ...base.extracted_fields, ...fields } };
}

describe.each(targets)('repositories on $name', (target) => {
  const skip = target.pg === true && !pgOk;
  let db: Database;
  let t: { url: string; dispose(): Promise<void> };
  let dispose: () => Promise<void>;
  let now = T0;

  beforeAll(async () => {
    if (skip) return;
    t = await openTemp(target);
    dispose = t.dispose;
    db = await createDatabase({ url: t.url, sqliteDriver: target.driver, clock: () => now });
    await db.migrate.latest();
  });

  afterAll(async () => {
    if (skip) return;
    await db.close();
    await dispose();
  });

  beforeEach(async () => {
    if (skip) return;
    now = T0;
    for (const table of ['audit_log', 'extraction_attempts', 'duplicates', 'documents']) await db.knex(table).delete();
  });

  const input = (n: number, owner = 'w1', leaseMs = 60_000, at?: number) => ({
    sha256: sha(n),
    fileName: `f${n}.pdf`,
    sourcePath: `/inbox/f${n}.pdf`,
    sizeBytes: 100 + n,
    owner,
    leaseMs,
    now: at,
  });
  const claim = (n: number, owner = 'w1', leaseMs = 60_000, at?: number) =>
    db.documents.claim(input(n, owner, leaseMs, at));

  async function completed(n: number, m: DocumentMetadata, text = '', owner = 'w1'): Promise<DocumentRow> {
    const c = await claim(n, owner);
    if (c.kind !== 'claimed') throw new Error(`expected a claim, got ${c.kind}`);
    return db.documents.complete(c.document.id, owner, {
      metadata: m,
      fields: indexedFields(m),
      pageCount: 1,
      textContent: text,
      provider: 'local',
      model: 'rules-v1',
      storagePath: `/processed/f${n}.pdf`,
    });
  }

  describe.skipIf(skip)('suite', () => {
    it('migrates down and up again, reporting status', async () => {
      const t = await openTemp(target);
      const fresh = await createDatabase({ url: t.url, sqliteDriver: target.driver });
      try {
        const names = MIGRATIONS.map((m) => m.name);
        expect(names.slice(0, 2)).toEqual(['0001_initial', '0002_fulltext']);
        expect(await fresh.migrate.status()).toEqual(names.map((name) => ({ name, applied: false })));
        expect(await fresh.migrate.latest()).toEqual(names);
        expect(await fresh.migrate.latest()).toEqual([]);
        expect((await fresh.migrate.status()).every((s) => s.applied)).toBe(true);
        expect(await fresh.knex.schema.hasTable('documents')).toBe(true);
        expect(await fresh.migrate.rollback(true)).toEqual([...names].reverse());
        expect(await fresh.knex.schema.hasTable('documents')).toBe(false);
        expect(await fresh.knex.schema.hasTable('audit_log')).toBe(false);
        expect((await fresh.migrate.status()).some((s) => s.applied)).toBe(false);
        expect(await fresh.migrate.latest()).toHaveLength(names.length);
        await fresh.documents.claim({
          sha256: sha('x'),
          fileName: 'x.pdf',
          sourcePath: '/x.pdf',
          sizeBytes: 1,
          owner: 'w',
          leaseMs: 1,
        });
      } finally {
        await fresh.close();
        await t.dispose();
      }
    });

    it('upgrades a database with rows to 0008 (waiting, strikes, retry_at) keeping rows, full text and foreign keys', async () => {
      const t = await openTemp(target);
      const old = await createDatabase({ url: t.url, sqliteDriver: target.driver, clock: () => T0 });
      const source = {
        getMigrations: async () => MIGRATIONS.filter((m) => m.name < '0008'),
        getMigrationName: (m: (typeof MIGRATIONS)[number]) => m.name,
        getMigration: async (m: (typeof MIGRATIONS)[number]) => m.migration,
      };
      try {
        await old.knex.migrate.latest({ migrationSource: source, tableName: MIGRATIONS_TABLE });
        // rows as the old schema stores them (the repositories already use the new columns)
        const m = metadata({ title: 'Gas bill from Stadtwerke' });
        const row = (n: string, over: Record<string, unknown>) => ({
          sha256: sha(n),
          file_name: `${n}.pdf`,
          source_path: `/inbox/${n}.pdf`,
          size_bytes: 1,
          attempt_count: 1,
          created_at: T0,
          updated_at: T0,
          ...over,
        });
        await old.knex('documents').insert([
          row('old', {
            status: 'completed',
            title: 'Gas bill from Stadtwerke',
            metadata: JSON.stringify(m),
            text_content: 'kilowatt hours',
            storage_path: '/processed/old.pdf',
            filed_at: T0,
          }),
          row('doomed', { status: 'processing', claim_owner: 'w', lease_expires_at: T0 + 1000 }),
        ]);
        const ids = (await old.knex('documents').select('id', 'sha256').orderBy('id')) as { id: number }[];
        const c = { document: { id: Number(ids[0]!.id) } };
        const doomed = { document: { id: Number(ids[1]!.id) } };
        await old.knex('extraction_attempts').insert({
          document_id: c.document.id,
          attempt_no: 1,
          provider: 'local',
          model: 'rules-v1',
          status: 'succeeded',
          created_at: T0,
        });
        await old.migrate.latest();
        const got = await old.documents.get(c.document.id);
        expect(got).toMatchObject({
          status: 'completed',
          title: 'Gas bill from Stadtwerke',
          strikes: 0,
          retryAt: null,
        });
        expect((await old.documents.search('kilowatt')).map((h) => h.id)).toEqual([c.document.id]);
        expect(await old.attempts.list(c.document.id)).toHaveLength(1);
        // the new status is accepted, ids continue after the old ones
        expect(await old.documents.defer(doomed.document.id, 'w', { code: 'X', message: 'x', retryAt: T0 })).toBe(true);
        const next = await old.documents.claim({
          sha256: sha('new'),
          fileName: 'n.pdf',
          sourcePath: '/inbox/n.pdf',
          sizeBytes: 1,
          owner: 'w',
          leaseMs: 1000,
        });
        expect(next.document.id).toBeGreaterThan(doomed.document.id);
        // foreign keys still cascade (and were not cascaded by the rebuild)
        await old.documents.delete(c.document.id);
        expect(await old.knex('extraction_attempts').count({ n: '*' }).first()).toMatchObject({ n: expect.anything() });
        expect(Number((await old.knex('extraction_attempts').count({ n: '*' }).first())?.['n'])).toBe(0);
        expect(await old.documents.search('kilowatt')).toEqual([]);
        // down again: waiting documents become released claims, the check refuses `waiting`
        const from0008 = MIGRATIONS.map((x) => x.name).filter((name) => name >= '0008');
        expect(await old.migrate.rollback()).toEqual([...from0008].reverse());
        const demoted = (await old.knex('documents').where('id', doomed.document.id).first()) as Record<
          string,
          unknown
        >;
        expect(demoted['status']).toBe('processing');
        expect(Number(demoted['lease_expires_at'])).toBe(0);
        const refused = await old
          .knex('documents')
          .where('id', doomed.document.id)
          .update({ status: 'waiting' })
          .catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(Error);
        expect(await old.migrate.latest()).toEqual(from0008);
      } finally {
        await old.close();
        await t.dispose();
      }
    });

    it('upgrades attempts to 0010 (results kept per attempt): old rows keep no result, new rows store theirs', async () => {
      const t = await openTemp(target);
      const old = await createDatabase({ url: t.url, sqliteDriver: target.driver, clock: () => T0 });
      const source = {
        getMigrations: async () => MIGRATIONS.filter((m) => m.name < '0010'),
        getMigrationName: (m: (typeof MIGRATIONS)[number]) => m.name,
        getMigration: async (m: (typeof MIGRATIONS)[number]) => m.migration,
      };
      try {
        await old.knex.migrate.latest({ migrationSource: source, tableName: MIGRATIONS_TABLE });
        expect(await old.knex.schema.hasColumn('extraction_attempts', 'result')).toBe(false);
        const c = await old.documents.claim({
          sha256: sha('attempts-0010'),
          fileName: 'a.pdf',
          sourcePath: '/inbox/a.pdf',
          sizeBytes: 1,
          owner: 'w',
          leaseMs: 1000,
        });
        await old.knex('extraction_attempts').insert({
          document_id: c.document.id,
          attempt_no: 1,
          provider: 'local',
          model: 'rules-v1',
          status: 'succeeded',
          created_at: T0,
        });
        expect(await old.migrate.latest()).toContain('0010_attempt_results');
        const m = metadata({ title: 'Second reading' });
        await old.attempts.record({
          documentId: c.document.id,
          provider: 'local',
          model: 'rules-v1',
          status: 'succeeded',
          usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0, totalTokens: 0 },
          costUsd: 0,
          latencyMs: 3,
          promptVersion: 'rules-1',
          metadata: m,
        });
        const kept = await old.attempts.listWithResults(c.document.id);
        expect(kept.map((a) => [a.attemptNo, a.promptVersion, a.metadata?.title ?? null])).toEqual([
          [1, null, null],
          [2, 'rules-1', 'Second reading'],
        ]);
        // down drops the column and keeps the rows; up again adds it empty
        expect(await old.migrate.rollback()).toEqual(['0010_attempt_results']);
        expect(await old.knex.schema.hasColumn('extraction_attempts', 'result')).toBe(false);
        expect(await old.attempts.list(c.document.id)).toHaveLength(2);
        expect(await old.migrate.latest()).toEqual(['0010_attempt_results']);
        expect((await old.attempts.listWithResults(c.document.id)).map((a) => a.metadata)).toEqual([null, null]);
      } finally {
        await old.close();
        await t.dispose();
      }
    });

    it('defers a claim as waiting with its reason and next try; anyone may claim it again', async () => {
      const c = await claim(30, 'w1');
      expect(await db.documents.defer(c.document.id, 'w2', { code: 'CIRCUIT_OPEN', message: 'm', retryAt: T0 })).toBe(
        false,
      );
      expect(
        await db.documents.defer(c.document.id, 'w1', {
          code: 'CIRCUIT_OPEN',
          message: 'breaker open',
          retryAt: T0 + 60_000,
        }),
      ).toBe(true);
      expect(await db.documents.get(c.document.id)).toMatchObject({
        status: 'waiting',
        claimOwner: null,
        leaseExpiresAt: null,
        errorCode: 'CIRCUIT_OPEN',
        errorMessage: 'breaker open',
        retryAt: new Date(T0 + 60_000),
        strikes: 0,
      });
      expect((await db.documents.list({ status: 'waiting' })).items.map((d) => d.id)).toEqual([c.document.id]);
      const again = await claim(30, 'w2', 60_000, T0 + 1);
      expect(again).toMatchObject({ kind: 'claimed', takeover: true });
      expect(again.document).toMatchObject({ status: 'processing', errorCode: null, retryAt: null, strikes: 0 });
      expect(await db.documents.countByStatus()).toEqual({ processing: 1, waiting: 0, completed: 0, failed: 0 });
    });

    it('counts strikes (deadline, dead owner, lease run out) and fails at the limit, unfiled', async () => {
      const input = (max: number) => ({
        code: 'PROCESSING_TIMEOUT',
        message: 'too slow',
        retryAt: T0 + 1000,
        maxStrikes: max,
        failed: { code: 'PROCESSING_TIMEOUT', message: 'too slow 3 times' },
      });
      const c = await claim(31, 'w1');
      expect(await db.documents.strike(c.document.id, 'other', input(3))).toBeUndefined();
      expect(await db.documents.strike(c.document.id, 'w1', input(3))).toMatchObject({
        status: 'waiting',
        strikes: 1,
        errorCode: 'PROCESSING_TIMEOUT',
        retryAt: new Date(T0 + 1000),
      });
      // an expired lease that was never released: the owner died holding it, a takeover adds a strike
      await claim(31, 'w2', 1000);
      const taken = await claim(31, 'w3', 60_000, T0 + 5000);
      expect(taken).toMatchObject({ kind: 'claimed', takeover: true, document: { strikes: 2 } });
      // a released lease is no strike
      await db.documents.release(taken.document.id, 'w3');
      expect((await claim(31, 'w4', 60_000, T0 + 6000)).document.strikes).toBe(2);
      const last = await db.documents.strike(taken.document.id, 'w4', input(3));
      expect(last).toMatchObject({
        status: 'failed',
        strikes: 3,
        errorMessage: 'too slow 3 times',
        retryAt: null,
        filedAt: null,
        leaseExpiresAt: null,
      });
      expect((await db.documents.unfiled()).map((d) => d.id)).toEqual([c.document.id]);
      await db.documents.markFiled(c.document.id, '/failed/f31.pdf');
      expect(await db.documents.unfiled()).toEqual([]);
      // dropped in again: a new copy in the inbox, not filed, and a fresh start
      const again = await claim(31, 'w5', 60_000, T0 + 7000);
      expect(again.document).toMatchObject({ status: 'processing', storagePath: null, filedAt: null, strikes: 0 });
    });

    it('restores a reprocessed document and abandons a first claim that never got a result', async () => {
      const done = await completed(32, metadata({ title: 'kept' }));
      await db.documents.reclaim(done.id, { owner: 'w9', leaseMs: 1000 });
      expect(await db.documents.restore(done.id, 'w8')).toBe(false);
      expect(await db.documents.restore(done.id, 'w9')).toBe(true);
      expect(await db.documents.get(done.id)).toMatchObject({
        status: 'completed',
        title: 'kept',
        leaseExpiresAt: null,
      });
      expect(await db.documents.abandon(done.id, 'w9')).toBe(false);
      const partial = await claim(33, 'w1');
      expect(await db.documents.abandon(partial.document.id, 'w2')).toBe(false);
      expect(await db.documents.abandon(partial.document.id, 'w1')).toBe(true);
      expect(await db.documents.get(sha(33))).toBeUndefined();
    });

    it('lists completed documents missing from another table (the vector index)', async () => {
      const a = await completed(34, metadata());
      const b = await completed(35, metadata());
      await claim(36);
      await db.knex.schema.dropTableIfExists('test_index');
      await db.knex.schema.createTable('test_index', (t) => t.bigInteger('doc_id').primary());
      try {
        await db.knex('test_index').insert({ doc_id: a.id });
        expect(await db.documents.missingFrom('test_index', 'doc_id', 10)).toEqual({ ids: [b.id], total: 1 });
        await db.knex('test_index').insert({ doc_id: b.id });
        expect(await db.documents.missingFrom('test_index', 'doc_id')).toEqual({ ids: [], total: 0 });
      } finally {
        await db.knex.schema.dropTableIfExists('test_index');
      }
    });

    it('claims a new sha once; a completed one is a duplicate', async () => {
      const first = await claim(1);
      expect(first).toMatchObject({ kind: 'claimed', takeover: false });
      expect(first.document).toMatchObject({
        sha256: sha(1),
        status: 'processing',
        claimOwner: 'w1',
        leaseExpiresAt: T0 + 60_000,
        fileName: 'f1.pdf',
        sizeBytes: 101,
        attemptCount: 1,
        filedAt: null,
        metadata: null,
      });
      expect(first.document.createdAt.getTime()).toBe(T0);
      const m = metadata({ title: 'Water bill' });
      await db.documents.complete(first.document.id, 'w1', {
        metadata: m,
        fields: indexedFields(m),
        pageCount: 2,
        textContent: 'water',
        provider: 'local',
        model: 'rules-v1',
        storagePath: '/processed/water.pdf',
      });
      const again = await claim(1, 'w2');
      expect(again.kind).toBe('duplicate');
      expect(again.document.id).toBe(first.document.id);
      expect(again.document.status).toBe('completed');
    });

    it('reports a live lease as held, also to its own owner; only a resume of the own claim takes it over', async () => {
      const first = await claim(2, 'w1', 60_000);
      const held = await claim(2, 'w2', 60_000, T0 + 59_999);
      expect(held.kind).toBe('held');
      expect(held.document.claimOwner).toBe('w1');
      // A second copy of the same bytes in the same process (same owner): it waits, it is not extracted twice.
      const twin = await claim(2, 'w1', 60_000, T0 + 1000);
      expect(twin.kind).toBe('held');
      expect(twin.document.attemptCount).toBe(1);
      // Another owner cannot "resume" a claim that is not its own.
      expect((await db.documents.claim({ ...input(2, 'w2', 60_000, T0 + 1000), resume: true })).kind).toBe('held');
      const mine = await db.documents.claim({ ...input(2, 'w1', 60_000, T0 + 1000), resume: true });
      expect(mine).toMatchObject({ kind: 'claimed', takeover: true });
      expect(mine.document.id).toBe(first.document.id);
      expect(mine.document.strikes).toBe(0);
    });

    it('does not let its own owner reclaim a document in flight (reprocess during processing)', async () => {
      const first = await claim(12, 'w1', 60_000);
      const r = await db.documents.reclaim(first.document.id, { owner: 'w1', leaseMs: 60_000, now: T0 + 1000 });
      expect(r.kind).toBe('held');
    });

    it('takes over an expired lease, and the old owner can no longer complete or fail', async () => {
      const first = await claim(3, 'w1', 1000);
      const taken = await claim(3, 'w2', 60_000, T0 + 1001);
      expect(taken).toMatchObject({ kind: 'claimed', takeover: true });
      expect(taken.document).toMatchObject({ claimOwner: 'w2', attemptCount: 2, leaseExpiresAt: T0 + 61_001 });
      const m = metadata();
      const input = {
        metadata: m,
        fields: indexedFields(m),
        pageCount: 1,
        textContent: '',
        provider: 'local' as const,
        model: 'm',
        storagePath: '/p',
      };
      const lost = await db.documents.complete(first.document.id, 'w1', input).catch((e: unknown) => e);
      expect(isAutodError(lost) && lost.code).toBe('CLAIM_HELD');
      const lostFail = await db.documents
        .fail(first.document.id, 'w1', { code: 'X', message: 'x' })
        .catch((e: unknown) => e);
      expect(isAutodError(lostFail) && lostFail.code).toBe('CLAIM_HELD');
      expect(await db.documents.renewLease(first.document.id, 'w1', 1000)).toBe(false);
      const done = await db.documents.complete(first.document.id, 'w2', input);
      expect(done.status).toBe('completed');
      expect(done.leaseExpiresAt).toBeNull();
    });

    it('takes over a failed document and clears the error; release makes a claim available at once', async () => {
      const first = await claim(4);
      await db.documents.fail(first.document.id, 'w1', { code: 'INPUT_CORRUPT_PDF', message: 'broken xref' });
      const failed = await db.documents.get(first.document.id);
      expect(failed).toMatchObject({
        status: 'failed',
        errorCode: 'INPUT_CORRUPT_PDF',
        errorMessage: 'broken xref',
        leaseExpiresAt: null,
      });
      const retried = await claim(4, 'w2');
      expect(retried).toMatchObject({ kind: 'claimed', takeover: true });
      expect(retried.document).toMatchObject({
        status: 'processing',
        errorCode: null,
        errorMessage: null,
        attemptCount: 2,
      });

      await db.documents.release(first.document.id, 'w2');
      expect((await db.documents.get(first.document.id))?.leaseExpiresAt).toBe(0);
      expect(await claim(4, 'w3')).toMatchObject({ kind: 'claimed', takeover: true });
    });

    it('lets exactly one of 20 concurrent claims of the same sha win', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(5, `worker-${i}`)));
      expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'held')).toHaveLength(19);
      expect(await db.knex('documents').count({ n: '*' }).first()).toMatchObject({ n: expect.anything() });
      expect((await db.documents.list()).total).toBe(1);
    });

    it('lets exactly one of 10 concurrent takeovers of an expired lease win', async () => {
      await claim(6, 'w0', 10);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => claim(6, `worker-${i}`, 60_000, T0 + 1000)),
      );
      const winners = results.filter((r) => r.kind === 'claimed');
      expect(winners).toHaveLength(1);
      expect((await db.documents.get(sha(6)))?.claimOwner).toBe(winners[0]?.document.claimOwner);
    });

    it('renews leases and lists expired leases and completed-but-unfiled documents', async () => {
      const a = await claim(7, 'w1', 1000);
      const b = await claim(8, 'w1', 1000);
      now = T0 + 500;
      expect(await db.documents.renewLease(a.document.id, 'w1', 10_000)).toBe(true);
      expect((await db.documents.expiredLeases(T0 + 2000)).map((d) => d.id)).toEqual([b.document.id]);
      const done = await completed(9, metadata());
      expect((await db.documents.unfiled()).map((d) => d.id)).toEqual([done.id]);
      await db.documents.markFiled(done.id, '/archive/2025/f9.pdf');
      expect(await db.documents.unfiled()).toEqual([]);
      const filed = await db.documents.get(done.id);
      expect(filed).toMatchObject({ storagePath: '/archive/2025/f9.pdf', filedAt: new Date(now) });
      const missing = await db.documents.markFiled(999_999, '/x').catch((e: unknown) => e);
      expect(isAutodError(missing) && missing.code).toBe('DOCUMENT_NOT_FOUND');
    });

    it('stores the media type and the original of an image document, and keeps them on a later complete', async () => {
      const c = await claim(30, 'w1', 1000);
      const pdfDone = await completed(31, metadata());
      expect(pdfDone).toMatchObject({ originalPath: null, mediaType: null });
      await db.documents.complete(c.document.id, 'w1', {
        metadata: metadata(),
        fields: indexedFields(metadata()),
        pageCount: 2,
        textContent: 'scan',
        provider: 'local',
        model: 'rules-v1',
        storagePath: '/processed/scan.pdf',
        originalPath: '/processed/scan.tif',
        mediaType: 'image/tiff',
      });
      await db.documents.markFiled(c.document.id, '/processed/scan-1.pdf', { originalPath: '/processed/scan-1.tif' });
      expect(await db.documents.get(c.document.id)).toMatchObject({
        storagePath: '/processed/scan-1.pdf',
        originalPath: '/processed/scan-1.tif',
        mediaType: 'image/tiff',
      });
      // a reprocess completes again without media fields: they stay
      expect((await db.documents.reclaim(c.document.id, { owner: 'w2', leaseMs: 1000 })).kind).toBe('claimed');
      await db.documents.complete(c.document.id, 'w2', {
        metadata: metadata(),
        fields: indexedFields(metadata()),
        pageCount: 2,
        textContent: 'scan',
        provider: 'local',
        model: 'rules-v1',
        storagePath: '/processed/scan-1.pdf',
      });
      expect(await db.documents.get(c.document.id)).toMatchObject({
        originalPath: '/processed/scan-1.tif',
        mediaType: 'image/tiff',
      });
    });

    it('reclaims a completed document for reprocessing unless someone holds it', async () => {
      const done = await completed(10, metadata());
      const r = await db.documents.reclaim(done.id, { owner: 'w9', leaseMs: 1000 });
      expect(r).toMatchObject({
        kind: 'claimed',
        document: { status: 'processing', claimOwner: 'w9', attemptCount: 2 },
      });
      expect((await db.documents.reclaim(done.id, { owner: 'w8', leaseMs: 1000 })).kind).toBe('held');
    });

    it('round-trips metadata JSON and the denormalised fields', async () => {
      const m = metadata(
        {
          title: 'Überweisung “Miete” — März',
          category: 'Financial & Administrative',
          doc_type: 'bank statement',
          issuer: 'Sparkasse Köln',
          primary_date: '2025-03-01',
          summary: 'Rent transfer',
          confidence_score: 0.87,
          tags: ['rent', 'bank'],
          key_points: ['line 1\nline 2', 'emoji 🧾'],
        },
        { amount_due: 1234.56, currency: 'EUR' },
      );
      const done = await completed(11, m, 'full text');
      const got = await db.documents.get(sha(11).toUpperCase());
      expect(got?.metadata).toEqual(m);
      expect(got).toMatchObject({
        id: done.id,
        title: 'Überweisung “Miete” — März',
        category: 'Financial & Administrative',
        docType: 'bank statement',
        issuer: 'Sparkasse Köln',
        primaryDate: '2025-03-01',
        totalAmount: 1234.56,
        currency: 'EUR',
        confidence: 0.87,
        summary: 'Rent transfer',
        pageCount: 1,
        provider: 'local',
        model: 'rules-v1',
      });
      expect(await db.documents.get(String(done.id))).toMatchObject({ id: done.id });
      expect(await db.documents.getText(done.id)).toBe('full text');
      expect(await db.documents.get(123456)).toBeUndefined();
      expect(await db.documents.get('not-a-sha')).toBeUndefined();
    });

    it('stores the schema 1.1 columns and the review flag, and filters on them', async () => {
      const m = metadata(
        { issuer: 'Lieferant GmbH', customer: 'Kunde AG', primary_date: '2025-03-01' },
        {
          invoice_number: 'R-2025-17',
          due_date: '2025-03-31',
          total_amount: 119,
          currency: 'EUR',
        },
      );
      const c = await claim(21);
      if (c.kind !== 'claimed') throw new Error('expected a claim');
      await db.documents.complete(c.document.id, 'w1', {
        metadata: m,
        fields: indexedFields(m),
        pageCount: 1,
        textContent: '',
        provider: 'local',
        model: 'rules-v1',
        storagePath: '/processed/f21.pdf',
        reviewReasons: ['issuer confidence 0.40 is under 0.8'],
      });
      const plain = await completed(22, metadata({ issuer: 'Other' }));
      expect(await db.documents.get(c.document.id)).toMatchObject({
        customer: 'Kunde AG',
        invoiceNumber: 'R-2025-17',
        dueDate: '2025-03-31',
        totalAmount: 119,
        needsReview: true,
        reviewReasons: ['issuer confidence 0.40 is under 0.8'],
      });
      expect(plain).toMatchObject({ needsReview: false, reviewReasons: [] });
      const ids = async (f: Parameters<typeof db.documents.list>[0]) =>
        (await db.documents.list(f)).items.map((d) => d.id);
      expect(await ids({ needsReview: true })).toEqual([c.document.id]);
      expect(await ids({ needsReview: false })).toEqual([plain.id]);
      expect(await ids({ customer: 'kunde' })).toEqual([c.document.id]);
      expect(await ids({ invoiceNumber: 'R-2025-17' })).toEqual([c.document.id]);
      // matching(): the same filters over a given set of ids (what the search surfaces use)
      const both = [c.document.id, plain.id];
      expect([...(await db.documents.matching(both, { needsReview: true }))]).toEqual([c.document.id]);
      expect([...(await db.documents.matching(both, { customer: 'KUNDE', status: 'completed' }))]).toEqual([
        c.document.id,
      ]);
      expect([...(await db.documents.matching(both, {}))].sort((x, y) => x - y)).toEqual(both.sort((x, y) => x - y));
      expect((await db.documents.matching([plain.id], { invoiceNumber: 'R-2025-17' })).size).toBe(0);
      expect((await db.documents.matching([], { status: 'completed' })).size).toBe(0);
    });

    it('filters by a field added to the filter definition (list, search and matching)', async () => {
      // A definition extended with two fields the default one does not have: an exact currency and a range on the
      // page count. The database derives their SQL from the definition alone.
      const documentFilter = DOCUMENT_FILTER.extend([
        {
          name: 'currency',
          match: 'exact',
          type: 'string',
          column: 'currency',
          flag: '--currency',
          description: 'currency code',
        },
        {
          name: 'pages',
          match: 'range',
          type: 'number',
          column: 'page_count',
          description: 'pages',
          min: { name: 'minPages', flag: '--min-pages', description: 'at least this many pages' },
          max: { name: 'maxPages', flag: '--max-pages', description: 'at most this many pages' },
        },
      ]);
      const ext = await createDatabase({ url: t.url, sqliteDriver: target.driver, documentFilter });
      try {
        const eur = await completed(
          31,
          metadata({ title: 'euro water bill' }, { total_amount: 10, currency: 'EUR' }),
          'water',
        );
        const usd = await completed(
          32,
          metadata({ title: 'dollar water bill' }, { total_amount: 10, currency: 'USD' }),
          'water',
        );
        const ids = async (f: Parameters<typeof db.documents.list>[0]) =>
          (await ext.documents.list(f)).items.map((d) => d.id);
        expect(ext.documentFilter.parameter('currency')?.flag).toBe('--currency');
        expect(await ids({ currency: 'EUR' })).toEqual([eur.id]);
        expect(await ids({ currency: 'EUR', status: 'failed' })).toEqual([]);
        expect(await ids({ minPages: 1, maxPages: 1, orderBy: 'id', order: 'asc' })).toEqual([eur.id, usd.id]);
        expect(await ids({ minPages: 2 })).toEqual([]);
        expect([...(await ext.documents.matching([eur.id, usd.id], { currency: 'USD' }))]).toEqual([usd.id]);
        const hits = await ext.documents.search('water', { filter: { status: 'completed', currency: 'USD' } });
        expect(hits.map((h) => h.id)).toEqual([usd.id]);
        // The default definition does not know the key: it filters nothing.
        expect((await db.documents.list({ currency: 'EUR' })).total).toBe(2);
      } finally {
        await ext.close();
      }
    });

    it('upgrades metadata stored under schema 1.0.0 when it is read', async () => {
      const done = await completed(23, metadata({ issuer: 'Old Co' }));
      const old: Record<string, unknown> = { ...(done.metadata as object), schema_version: '1.0.0' };
      delete old['customer'];
      delete old['field_evidence'];
      await db
        .knex('documents')
        .where({ id: done.id })
        .update({ metadata: JSON.stringify(old) });
      const got = await db.documents.get(done.id);
      expect(got?.metadata?.schema_version).toBe(SCHEMA_VERSION);
      expect(got?.metadata?.customer).toBeNull();
      expect(got?.metadata?.field_evidence.issuer).toBeNull();
      expect(got?.metadata?.issuer).toBe('Old Co');
    });

    it('filters, orders and pages the document list', async () => {
      const docs = [
        { n: 20, issuer: 'ACME Power', category: 'Household & Lifestyle', date: '2025-01-05', amount: 80 },
        { n: 21, issuer: 'acme water', category: 'Household & Lifestyle', date: '2025-02-05', amount: 35.5 },
        { n: 22, issuer: 'City Bank', category: 'Financial & Administrative', date: '2025-03-05', amount: 1200 },
        { n: 23, issuer: '100%_Pure', category: 'Creative & Miscellaneous', date: null, amount: null },
      ] as const;
      for (const d of docs) {
        now += 1000;
        await completed(
          d.n,
          metadata(
            { issuer: d.issuer, category: d.category, primary_date: d.date, doc_type: 'invoice' },
            { amount_due: d.amount },
          ),
        );
      }
      await claim(24); // processing
      const all = await db.documents.list();
      expect(all.total).toBe(5);
      expect(all.items[0]?.sha256).toBe(sha(24)); // newest first
      const issuers = (r: { items: DocumentRow[] }): (string | null)[] => r.items.map((d) => d.issuer);
      expect(issuers(await db.documents.list({ issuer: 'ACME', orderBy: 'primaryDate', order: 'asc' }))).toEqual([
        'ACME Power',
        'acme water',
      ]);
      expect(issuers(await db.documents.list({ issuer: '%_' }))).toEqual(['100%_Pure']);
      expect(issuers(await db.documents.list({ category: 'Household & Lifestyle', from: '2025-02-01' }))).toEqual([
        'acme water',
      ]);
      expect(issuers(await db.documents.list({ to: '2025-02-05', orderBy: 'primaryDate' }))).toEqual([
        'acme water',
        'ACME Power',
      ]);
      expect(
        issuers(await db.documents.list({ minAmount: 35.5, maxAmount: 80, orderBy: 'totalAmount', order: 'asc' })),
      ).toEqual(['acme water', 'ACME Power']);
      expect((await db.documents.list({ status: 'processing' })).items.map((d) => d.sha256)).toEqual([sha(24)]);
      expect((await db.documents.list({ docType: 'invoice' })).total).toBe(4);
      const page = await db.documents.list({
        status: 'completed',
        orderBy: 'primaryDate',
        order: 'asc',
        limit: 2,
        offset: 1,
      });
      expect(page.total).toBe(4);
      expect(issuers(page)).toEqual(['acme water', 'City Bank']);
      expect(
        issuers(await db.documents.list({ status: 'completed', orderBy: 'primaryDate', order: 'asc' })).at(-1),
      ).toBe('100%_Pure'); // nulls last
    });

    it('searches the full-text index with ranking, snippets, filters and deletes', async () => {
      const strong = await completed(
        30,
        metadata({ title: 'Electricity invoice', issuer: 'ACME Power', summary: 'Electricity for March' }),
        'kilowatt hours',
      );
      const weak = await completed(
        31,
        metadata({ title: 'Bank statement', issuer: 'City Bank' }),
        'mentions electricity once among many other words here',
      );
      await completed(
        32,
        metadata({ title: 'Dentist', issuer: 'Dr. Smile', category: 'Personal & Family' }),
        'teeth cleaning',
      );
      await claim(33); // processing: not searchable by default

      const hits = await db.documents.search('electricity');
      expect(hits.map((h) => h.id)).toEqual([strong.id, weak.id]);
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
      expect(hits[0]!.snippet).toContain('[Electricity]');
      expect((await db.documents.search('ELECTRIC acme')).map((h) => h.id)).toEqual([strong.id]); // prefix, AND, case-insensitive
      expect((await db.documents.search('kilowatt')).map((h) => h.id)).toEqual([strong.id]);
      expect(await db.documents.search('"; DROP TABLE documents; -- OR *')).toEqual([]);
      expect(await db.documents.search('  ')).toEqual([]);
      expect((await db.documents.search('teeth', { filter: { category: 'Personal & Family' } })).length).toBe(1);
      expect(await db.documents.search('teeth', { filter: { category: 'Household & Lifestyle' } })).toEqual([]);
      expect(await db.documents.search('electricity', { limit: 1 })).toHaveLength(1);

      // reprocessing changes the indexed text; deleting removes it
      const again = await db.documents.reclaim(strong.id, { owner: 'w1', leaseMs: 1000 });
      expect(again.kind).toBe('claimed');
      const m = metadata({ title: 'Gas invoice', issuer: 'ACME Gas' });
      await db.documents.complete(strong.id, 'w1', {
        metadata: m,
        fields: indexedFields(m),
        pageCount: 1,
        textContent: 'therms',
        provider: 'local',
        model: 'm',
        storagePath: '/p',
      });
      expect((await db.documents.search('electricity')).map((h) => h.id)).toEqual([weak.id]);
      expect((await db.documents.search('therms')).map((h) => h.id)).toEqual([strong.id]);
      expect(await db.documents.delete(weak.id)).toBe(true);
      expect(await db.documents.delete(weak.id)).toBe(false);
      expect(await db.documents.search('electricity')).toEqual([]);
    });

    it('finds the best matches that pass a filter even when many better matches do not', async () => {
      const strong: number[] = [];
      for (let n = 100; n < 160; n++) {
        const m = metadata({ title: `Invoice ${n}`, issuer: 'Busy Shop', category: 'Household & Lifestyle' });
        strong.push((await completed(n, m, 'invoice invoice invoice')).id);
      }
      const rare = await completed(
        160,
        metadata({ title: 'Letter', issuer: 'Aunt May', category: 'Personal & Family' }),
        'a long letter that mentions one invoice somewhere in the middle of many words',
      );
      // The 60 strong matches fill the first candidates; the filtered search still finds the weak one.
      const filtered = await db.documents.search('invoice', { limit: 5, filter: { category: 'Personal & Family' } });
      expect(filtered.map((h) => h.id)).toEqual([rare.id]);
      expect(filtered[0]!.snippet).toContain('[invoice]');
      const best = await db.documents.search('invoice', { limit: 5 });
      expect(best).toHaveLength(5);
      expect(best.every((h) => strong.includes(h.id))).toBe(true);
      expect(best.map((h) => h.score)).toEqual([...best.map((h) => h.score)].sort((a, b) => b - a));
      expect(best[0]!.snippet).toMatch(/\[Invoice\]/);
      // A status that only a weak match has: the first candidates hold none, the ranked join finds it.
      expect((await db.documents.reclaim(rare.id, { owner: 'w2', leaseMs: 60_000 })).kind).toBe('claimed');
      const processing = await db.documents.search('invoice', { limit: 5, filter: { status: 'processing' } });
      expect(processing.map((h) => h.id)).toEqual([rare.id]);
    });

    it('records attempts forever and summarises cost by day, month, model and provider', async () => {
      const a = await claim(40);
      const b = await claim(41);
      const usage = (i: number) => ({
        inputTokens: 1000 * i,
        cachedInputTokens: 100 * i,
        outputTokens: 10 * i,
        reasoningTokens: i,
        totalTokens: 1010 * i,
      });
      const rec = async (
        documentId: number,
        at: number,
        model: string,
        provider: 'openai' | 'local',
        i: number,
        status: 'succeeded' | 'failed' = 'succeeded',
      ) => {
        now = at;
        return db.attempts.record({
          documentId,
          provider,
          model,
          status,
          usage: usage(i),
          costUsd: 0.01 * i,
          latencyMs: 1500.4,
          promptVersion: 'p1',
          ...(status === 'failed' ? { error: { code: 'UPSTREAM_ERROR', message: '502' } } : {}),
        });
      };
      const first = await rec(a.document.id, T0, 'gpt-5-mini', 'openai', 1, 'failed');
      const second = await rec(a.document.id, T0 + 1000, 'gpt-5-mini', 'openai', 2);
      await rec(b.document.id, T0 + DAY, 'gpt-5', 'openai', 3);
      await rec(b.document.id, T0 + 20 * DAY, 'rules-v1', 'local', 4);
      expect(first).toMatchObject({
        attemptNo: 1,
        status: 'failed',
        errorCode: 'UPSTREAM_ERROR',
        latencyMs: 1500,
        promptVersion: 'p1',
        createdAt: new Date(T0),
      });
      expect(second.attemptNo).toBe(2);
      // every attempt keeps the result it produced (a failed one has none); list() leaves them out
      const result = metadata({ title: 'Water bill' }, { total_amount: 42.5 });
      const third = await db.attempts.record({
        documentId: a.document.id,
        provider: 'openai',
        model: 'gpt-5-mini',
        status: 'succeeded',
        usage: usage(0),
        costUsd: 0,
        latencyMs: 1,
        promptVersion: 'prompt-abc',
        metadata: result,
      });
      expect(third).not.toHaveProperty('metadata');
      const withResults = await db.attempts.listWithResults(a.document.id);
      expect(withResults.map((x) => [x.attemptNo, x.promptVersion, x.metadata?.title ?? null])).toEqual([
        [1, 'p1', null],
        [2, 'p1', null],
        [3, 'prompt-abc', 'Water bill'],
      ]);
      expect(withResults[2]!.metadata).toEqual(result);
      expect((await db.attempts.list(a.document.id))[2]).not.toHaveProperty('metadata');
      await db.knex('extraction_attempts').where('id', third.id).delete();
      expect(
        (await db.attempts.list(a.document.id)).map((x) => [
          x.attemptNo,
          x.inputTokens,
          x.cachedInputTokens,
          x.outputTokens,
          x.reasoningTokens,
        ]),
      ).toEqual([
        [1, 1000, 100, 10, 1],
        [2, 2000, 200, 20, 2],
      ]);

      const byDay = await db.attempts.costSummary({ groupBy: 'day' });
      expect(byDay.map((r) => [r.key, r.documents, r.attempts, r.inputTokens])).toEqual([
        ['2025-01-15', 1, 2, 3000],
        ['2025-01-16', 1, 1, 3000],
        ['2025-02-04', 1, 1, 4000],
      ]);
      expect(byDay[0]!.costUsd).toBeCloseTo(0.03, 10);
      const byMonth = await db.attempts.costSummary({ groupBy: 'month' });
      expect(byMonth.map((r) => [r.key, r.documents, r.outputTokens, r.cachedInputTokens])).toEqual([
        ['2025-01', 2, 60, 600],
        ['2025-02', 1, 40, 400],
      ]);
      expect((await db.attempts.costSummary({ groupBy: 'model' })).map((r) => [r.key, r.attempts])).toEqual([
        ['gpt-5', 1],
        ['gpt-5-mini', 2],
        ['rules-v1', 1],
      ]);
      const byProvider = await db.attempts.costSummary({
        groupBy: 'provider',
        from: new Date(T0 + 500),
        to: new Date(T0 + 30 * DAY),
      });
      expect(byProvider.map((r) => [r.key, r.attempts, r.documents])).toEqual([
        ['local', 1, 1],
        ['openai', 2, 2],
      ]);
      const totals = await db.attempts.totals();
      expect(totals).toMatchObject({
        documents: 2,
        attempts: 4,
        failedAttempts: 1,
        inputTokens: 10_000,
        reasoningTokens: 10,
      });
      expect(totals.costUsd).toBeCloseTo(0.1, 10);
      expect((await db.attempts.totals({ since: new Date(T0 + DAY) })).attempts).toBe(2);
      const empty = await db.attempts.totals({ since: new Date(T0 + 100 * DAY) });
      expect(empty).toMatchObject({ costUsd: 0, documents: 0, attempts: 0 });
    });

    it('writes and lists the audit log, keeping entries when a document is deleted', async () => {
      const a = await claim(50);
      const e1 = await db.audit.write({
        actor: 'worker-1',
        action: 'document.claimed',
        documentId: a.document.id,
        details: { sha256: sha(50), nested: { list: [1, 'two', null] } },
      });
      now += 1;
      await db.audit.write({ actor: 'cli', action: 'migrate' });
      expect(e1).toMatchObject({
        actor: 'worker-1',
        action: 'document.claimed',
        documentId: a.document.id,
        at: new Date(T0),
      });
      const forDoc = await db.audit.list({ documentId: a.document.id });
      expect(forDoc.map((e) => e.details)).toEqual([{ sha256: sha(50), nested: { list: [1, 'two', null] } }]);
      expect((await db.audit.list()).map((e) => e.action)).toEqual(['migrate', 'document.claimed']);
      expect((await db.audit.list({ limit: 1 })).map((e) => e.action)).toEqual(['migrate']);
      expect((await db.audit.list({ action: 'migrate' }))[0]?.details).toBeNull();
      await db.documents.delete(a.document.id);
      expect((await db.audit.list({ action: 'document.claimed' }))[0]?.documentId).toBeNull();
    });

    it('records duplicates against the original and near-duplicate links', async () => {
      const original = await completed(60, metadata());
      const other = await completed(61, metadata());
      await db.duplicates.record({
        documentId: original.id,
        sha256: sha(60),
        fileName: 'copy.pdf',
        sourcePath: '/inbox/copy.pdf',
        storedPath: '/duplicates/copy.pdf',
      });
      await db.duplicates.record({
        documentId: original.id,
        sha256: sha(60).toUpperCase(),
        fileName: 'copy2.pdf',
        sourcePath: '/inbox/copy2.pdf',
      });
      const dups = await db.duplicates.listFor(original.id);
      expect(dups.map((d) => [d.fileName, d.storedPath, d.sha256])).toEqual([
        ['copy.pdf', '/duplicates/copy.pdf', sha(60)],
        ['copy2.pdf', null, sha(60)],
      ]);
      await db.documents.setNearDuplicate(other.id, original.id);
      expect((await db.documents.get(other.id))?.nearDuplicateOf).toBe(original.id);
      await db.documents.delete(original.id);
      expect((await db.documents.get(other.id))?.nearDuplicateOf).toBeNull();
      expect(await db.duplicates.listFor(original.id)).toEqual([]);
    });

    it('runs a transaction atomically with repositories bound to it', async () => {
      const a = await claim(70);
      await expect(
        db.transaction(async (trx) => {
          await trx.audit.write({ actor: 't', action: 'inside', documentId: a.document.id });
          await trx.documents.fail(a.document.id, 'w1', { code: 'X', message: 'x' });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await db.audit.list({ action: 'inside' })).toEqual([]);
      expect((await db.documents.get(a.document.id))?.status).toBe('processing');
      const result = await db.transaction(async (trx) => {
        await trx.audit.write({ actor: 't', action: 'committed' });
        return trx.dialect;
      });
      expect(result).toBe(db.dialect);
      expect(await db.audit.list({ action: 'committed' })).toHaveLength(1);
    });

    it('validates sha256 and pings', async () => {
      const bad = await db.documents
        .claim({ sha256: 'xyz', fileName: 'a', sourcePath: '/a', sizeBytes: 1, owner: 'w', leaseMs: 1 })
        .catch((e: unknown) => e);
      expect(isAutodError(bad) && bad.code).toBe('VALIDATION_FAILED');
      await expect(db.ping()).resolves.toBeUndefined();
      expect(db.dialect).toBe(target.pg ? 'postgres' : 'sqlite');
    });
  });
});

const silent = { debug: () => undefined, warn: () => undefined };

describe('a damaged SQLite file', () => {
  it.each(['better-sqlite3', 'sqlite3'] as const)('is DB_CORRUPT, not a hang or a bug (%s)', async (driver) => {
    const t = await tempSqliteUrl();
    try {
      const db = await createDatabase({ url: t.url, sqliteDriver: driver, logger: silent });
      await db.migrate.latest();
      for (let i = 0; i < 200; i++)
        await db.documents.claim({
          sha256: sha(`c${i}`),
          fileName: `${'x'.repeat(200)}${i}.pdf`,
          sourcePath: `/inbox/${i}.pdf`,
          sizeBytes: i,
          owner: 'w',
          leaseMs: 1000,
        });
      await db.knex.raw('PRAGMA wal_checkpoint(TRUNCATE)');
      await db.close();
      // overwrite the middle half of the file (the table pages, not the header or the schema page); the half, not a
      // fixed 16 KiB, so that the damage hits the documents pages whatever other tables the schema has
      const { readFile: read, writeFile: write } = await import('node:fs/promises');
      const bytes = await read(t.url);
      bytes.fill(0xab, Math.floor(bytes.length / 4), Math.floor((bytes.length * 3) / 4));
      await write(t.url, bytes);
      // Depending on which pages the damage hits, opening or the first read notices it: DB_CORRUPT either way.
      let error: unknown;
      try {
        const broken = await createDatabase({ url: t.url, sqliteDriver: driver, logger: silent });
        try {
          await broken.documents.list({ limit: 1000 });
        } catch (e) {
          error = e;
        } finally {
          await broken.close();
        }
      } catch (e) {
        error = e;
      }
      expect(isAutodError(error) && error.code).toBe('DB_CORRUPT');
      expect((error as Error).message).toMatch(/malformed|damaged/i);
    } finally {
      await t.cleanup();
    }
  });
});

describe('connection failures', () => {
  it('become DB_UNAVAILABLE with the password redacted', async () => {
    const warnings: string[] = [];
    const logger = {
      debug: () => undefined,
      warn: (o: Record<string, unknown>) => void warnings.push(JSON.stringify(o)),
    };
    const error = await createDatabase({ url: 'postgres://autod:s3cret-pw@127.0.0.1:1/autod', logger }).catch(
      (e: unknown) => e,
    );
    expect(isAutodError(error) && error.code).toBe('DB_UNAVAILABLE');
    expect((error as Error).message).toContain('postgres://autod:***@127.0.0.1:1/autod');
    expect(JSON.stringify((error as { toJSON(): unknown }).toJSON())).not.toContain('s3cret-pw');
    expect(warnings.join('\n')).not.toContain('s3cret-pw');
  });

  it('says how to create a PostgreSQL database that does not exist', async () => {
    if (!(await requirePostgresUnlessLocal())) return;
    const url = `${testPostgresAdminUrl().replace(/\/[^/]*$/, '')}/autod_missing_${process.pid}`;
    const error = await createDatabase({ url }).catch((e: unknown) => e);
    expect(isAutodError(error) && error.code).toBe('DB_UNAVAILABLE');
    expect((error as Error).message).toContain(
      `does not exist (create it first: createdb "autod_missing_${process.pid}"`,
    );
  });

  it.each(['better-sqlite3', 'sqlite3'] as const)(
    'reports a SQLite file that cannot be opened as DB_UNAVAILABLE (%s)',
    async (driver) => {
      const t = await tempSqliteUrl();
      try {
        // the path is a directory
        await mkdir(t.url);
        const notAFile = await createDatabase({ url: t.url, sqliteDriver: driver, logger: silent }).catch(
          (e: unknown) => e,
        );
        expect(isAutodError(notAFile) && notAFile.code).toBe('DB_UNAVAILABLE');
        // the parent "directory" is a file
        await writeFile(`${t.url}.txt`, 'x');
        const badParent = await createDatabase({
          url: `${t.url}.txt/x.db`,
          sqliteDriver: driver,
          logger: silent,
        }).catch((e: unknown) => e);
        expect(isAutodError(badParent) && badParent.code).toBe('DB_UNAVAILABLE');
      } finally {
        await t.cleanup();
      }
    },
  );
});
