import { createHash } from 'node:crypto';
import { createEmptyMetadata, indexedFields } from '@autod/core';
import { createTempPostgres, requirePostgresUnlessLocal, tempSqliteUrl } from '@autod/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from './index.js';

const pgOk = await requirePostgresUnlessLocal();
const sha = (n: number): string => createHash('sha256').update(`statements-${n}`).digest('hex');

/** What the pipeline does for one new document: claim, one transaction (complete, attempt, audit), file, read. */
async function ingest(db: Database, n: number): Promise<void> {
  const claim = await db.documents.claim({
    sha256: sha(n),
    fileName: `f${n}.pdf`,
    sourcePath: `/inbox/f${n}.pdf`,
    sizeBytes: 100,
    owner: 'w1',
    leaseMs: 60_000,
  });
  if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`);
  const id = claim.document.id;
  const metadata = {
    ...createEmptyMetadata({
      processedDate: '2025-01-15T12:00:00Z',
      originalFileName: `f${n}.pdf`,
      sourceFileId: sha(n),
    }),
    title: `Bill ${n}`,
  };
  await db.transaction(async (trx) => {
    await trx.documents.complete(id, 'w1', {
      metadata,
      fields: indexedFields(metadata),
      pageCount: 1,
      textContent: `text ${n}`,
      provider: 'local',
      model: 'rules',
      storagePath: `/processed/f${n}.pdf`,
      reviewReasons: ['issuer'],
    });
    await trx.attempts.record({
      documentId: id,
      provider: 'local',
      model: 'rules',
      status: 'succeeded',
      usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0, totalTokens: 0 },
      costUsd: 0,
      latencyMs: 1,
      metadata,
    });
    await trx.audit.write({ actor: 'w1', action: 'document.completed', documentId: id, details: { n } });
  });
  await db.documents.markFiled(id, `/processed/f${n}.pdf`);
  const row = await db.documents.get(id);
  expect(row).toMatchObject({ status: 'completed', title: `Bill ${n}`, needsReview: true, reviewReasons: ['issuer'] });
  expect(row?.filedAt).not.toBeNull();
  expect(await db.documents.get(sha(n))).toMatchObject({ id });
}

/** What the pipeline does for a copy of a stored document: the claim finds it, the copy is recorded and audited. */
async function copyOf(db: Database, n: number): Promise<void> {
  const claim = await db.documents.claim({
    sha256: sha(n),
    fileName: `copy-${n}.pdf`,
    sourcePath: `/inbox/copy-${n}.pdf`,
    sizeBytes: 100,
    owner: 'w1',
    leaseMs: 60_000,
  });
  if (claim.kind !== 'duplicate') throw new Error(`expected a duplicate, got ${claim.kind}`);
  const row = await db.duplicates.record({
    documentId: claim.document.id,
    sha256: sha(n),
    fileName: `copy-${n}.pdf`,
    sourcePath: `/inbox/copy-${n}.pdf`,
    storedPath: `/duplicates/copy-${n}.pdf`,
  });
  expect(row).toMatchObject({ documentId: claim.document.id, sha256: sha(n), storedPath: `/duplicates/copy-${n}.pdf` });
  expect(row.detectedAt.getTime()).toBeGreaterThan(0);
  await db.audit.write({ actor: 'w1', action: 'document.duplicate', documentId: claim.document.id });
}

describe('hot statements', () => {
  let db: Database | undefined;
  let dispose: (() => Promise<void>) | undefined;

  afterEach(async () => {
    await db?.close();
    await dispose?.();
    db = undefined;
    dispose = undefined;
  });

  it('are prepared once per better-sqlite3 connection, also BEGIN and COMMIT', async () => {
    const t = await tempSqliteUrl();
    dispose = t.cleanup;
    db = await createDatabase({ url: t.url });
    await db.migrate.latest();
    await ingest(db, 0); // the first document (and its copy) prepares them
    await copyOf(db, 0);
    const client = db.knex.client as {
      acquireConnection(): Promise<{ prepare(sql: string): unknown }>;
      releaseConnection(c: unknown): Promise<void>;
    };
    const conn = await client.acquireConnection();
    const prepared: string[] = [];
    const prepare = conn.prepare.bind(conn);
    conn.prepare = (sql: string) => {
      prepared.push(sql);
      return prepare(sql);
    };
    await client.releaseConnection(conn);
    for (let n = 1; n <= 5; n++) {
      await ingest(db, n);
      await copyOf(db, n);
    }
    expect(prepared).toEqual([]);
    expect(await db.duplicates.listFor((await db.documents.get(sha(1)))!.id)).toHaveLength(1);
    expect(await db.attempts.list(1)).toHaveLength(1);
    expect((await db.audit.list({ documentId: 1 })).map((a) => [a.action, a.details])).toEqual([
      ['document.duplicate', null],
      ['document.completed', { n: 0 }],
    ]);
  });

  it.skipIf(!pgOk)('are named prepared statements of the PostgreSQL connection', async () => {
    const t = await createTempPostgres();
    dispose = t.drop;
    db = await createDatabase({ url: t.url, pool: { min: 1, max: 1 } });
    await db.migrate.latest();
    for (let n = 0; n < 3; n++) {
      await ingest(db, n);
      await copyOf(db, n);
    }
    const rows = await db.knex.raw<{ rows: { name: string }[] }>(
      'SELECT name FROM pg_prepared_statements ORDER BY name',
    );
    expect(rows.rows.map((r) => r.name)).toEqual([
      'autod_attempts_record',
      'autod_audit_write',
      'autod_documents_by_id',
      'autod_documents_by_sha',
      'autod_documents_claim',
      'autod_documents_complete',
      'autod_documents_mark_filed',
      'autod_duplicates_record',
      'autod_ping',
    ]);
    expect(await db.attempts.list(3)).toHaveLength(1);
  });
});
