import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '@autod/config';
import { MIGRATIONS_TABLE } from '@autod/db';
import { isAutodError, toAutodError } from '@autod/errors';
import { EInvoiceExtractor, LocalExtractor, type Extractor } from '@autod/pipeline';
import { badPdfs, buildScannedImage, generateCorpus, startEmulator } from '@autod/testkit';
import { createRuntime, type Runtime } from './runtime.js';
import { schemaStatus } from './schema.js';
import { TOKENS } from './tokens.js';

let dir: string;
let runtime: Runtime | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-runtime-'));
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await rm(dir, { recursive: true, force: true });
});

const config = (env: Record<string, string>) =>
  loadConfig({ env: { AUTOD_DATA_DIR: dir, AUTOD_OCR: 'false', ...env }, cwd: dir, envFile: false });

describe('createRuntime', () => {
  it('maps AUTOD_OCR_LANGUAGES and AUTOD_OCR_MAX_PAGES onto the OCR engine and the pipeline', async () => {
    runtime = await createRuntime(
      config({ AUTOD_OCR: 'true', AUTOD_OCR_LANGUAGES: 'eng+deu', AUTOD_OCR_MAX_PAGES: '1' }),
    );
    expect(runtime.container.resolve(TOKENS.Ocr)?.languages).toEqual(['eng', 'deu']);
    expect(await runtime.checkOcr()).toMatchObject({ ok: true, detail: expect.stringContaining('eng+deu') });
    expect((await runtime.checkOcr()).detail).toContain('fra');
    const path = join(runtime.config.paths.inbox, 'two-pages.tif');
    await writeFile(
      path,
      await buildScannedImage([['FIRST PAGE Rechnung'], ['SECOND PAGE terms']], { format: 'tiff' }),
    );
    const outcome = await runtime.pipeline.processFile(path);
    expect(outcome.kind).toBe('processed');
    if (outcome.kind !== 'processed') return;
    const text = (await runtime.db.documents.getText(outcome.documentId)) ?? '';
    expect(text).toContain('FIRST');
    expect(text).not.toContain('SECOND'); // page 2 was not OCR'd (AUTOD_OCR_MAX_PAGES=1)
    expect((await runtime.db.documents.get(outcome.documentId))?.pageCount).toBe(2);
  }, 60_000);

  it('refuses an OCR language that is not installed with CFG_INVALID', async () => {
    const err = await createRuntime(config({ AUTOD_OCR: 'true', AUTOD_OCR_LANGUAGES: 'eng+xyz' })).catch(
      (e: unknown) => e,
    );
    expect(isAutodError(err) && err.code).toBe('CFG_INVALID');
    expect((err as Error).message).toMatch(/AUTOD_OCR_LANGUAGES.*xyz.*Available: eng, deu/);
  });

  it('wires the local provider without an API key: folders, migrated database, pipeline, vector index', async () => {
    runtime = await createRuntime(config({}));
    expect(runtime.extractor.provider).toBe('local');
    expect(runtime.apiClient).toBeNull();
    expect((await readdir(dir)).filter((n) => !n.startsWith('autod.sqlite'))).toEqual(
      expect.arrayContaining(['duplicates', 'failed', 'inbox', 'processed']),
    );
    expect((await runtime.db.migrate.status()).every((m) => m.applied)).toBe(true);
    // every part of the schema: documents, vector index, batch tables
    expect((await schemaStatus(runtime.db)).filter((m) => !m.applied)).toEqual([]);
    const [doc] = await generateCorpus({ count: 1, seed: 4 });
    await writeFile(join(runtime.config.paths.inbox, doc!.fileName), doc!.bytes);
    const outcome = await runtime.pipeline.processFile(join(runtime.config.paths.inbox, doc!.fileName));
    expect(outcome.kind).toBe('processed');
    // Indexed after persist: the vector index finds it.
    const found = await runtime.vectorIndex.search(doc!.truth.issuer, { mode: 'hybrid', limit: 3 });
    expect(found.hits[0]?.id).toBe(outcome.kind === 'processed' ? outcome.documentId : -1);
    // One container per runtime: the same singleton on every resolve.
    expect(runtime.container.resolve(TOKENS.Pipeline)).toBe(runtime.pipeline);
  });

  it('wraps the configured extractor in the e-invoice reader unless AUTOD_EINVOICE=false', async () => {
    runtime = await createRuntime(config({}));
    expect(runtime.extractor).toBeInstanceOf(EInvoiceExtractor);
    await runtime.close();
    runtime = await createRuntime(config({ AUTOD_EINVOICE: 'false' }));
    expect(runtime.extractor).toBeInstanceOf(LocalExtractor);
  });

  it('uses the openai provider against an OpenAI-compatible server when a key is set', async () => {
    const emulator = await startEmulator();
    try {
      runtime = await createRuntime(
        config({ OPENAI_API_KEY: 'sk-test-runtime-0123456789', OPENAI_BASE_URL: emulator.url }),
      );
      expect(runtime.extractor.provider).toBe('openai');
      await runtime.checkUpstream();
      const [doc] = await generateCorpus({ count: 1, seed: 8 });
      const path = join(runtime.config.paths.inbox, doc!.fileName);
      await writeFile(path, doc!.bytes);
      const outcome = await runtime.pipeline.processFile(path);
      expect(outcome.kind).toBe('processed');
      expect(emulator.stats().byPath['/v1/responses']).toBeGreaterThanOrEqual(1);
      const metrics = await runtime.metrics.metrics();
      expect(metrics).toMatch(/autod_upstream_requests_total\{[^}]*operation="responses.create"/);
      expect(metrics).not.toContain('sk-test-runtime');
    } finally {
      await emulator.close();
    }
  });

  it('routes alerts to the configured webhook when documents fail', async () => {
    const received: unknown[] = [];
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      runtime = await createRuntime(config({ AUTOD_ALERT_WEBHOOK_URL: `http://127.0.0.1:${port}/hook` }));
      for (let i = 0; i < 6; i++) {
        const path = join(runtime.config.paths.inbox, `bad-${i}.pdf`);
        await writeFile(path, Buffer.concat([Buffer.from(badPdfs.corrupt()), Buffer.from(String(i))]));
        expect((await runtime.pipeline.processFile(path)).kind).toBe('failed');
      }
      const fired = await runtime.alerts.evaluate();
      expect(fired.map((a) => a.rule)).toContain('failed_documents');
      expect(received).toEqual([expect.objectContaining({ rule: 'failed_documents' })]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('maps PROCESSING_TIMEOUT_PER_DOC and FAILED_RETRY_ATTEMPTS onto the pipeline', async () => {
    const hung: Extractor = {
      provider: 'local',
      model: 'hung',
      needsOcr: false,
      extract: () => new Promise(() => undefined),
    };
    runtime = await createRuntime(config({ PROCESSING_TIMEOUT_PER_DOC: '1', FAILED_RETRY_ATTEMPTS: '2' }), {
      overrides: { extractor: hung },
    });
    const [doc] = await generateCorpus({ count: 1, seed: 12 });
    const path = join(runtime.config.paths.inbox, doc!.fileName);
    await writeFile(path, doc!.bytes);
    expect(await runtime.pipeline.processFile(path)).toMatchObject({
      kind: 'retry_later',
      error: { code: 'PROCESSING_TIMEOUT', message: expect.stringContaining('1 s') },
    });
    expect(await runtime.pipeline.processFile(path)).toMatchObject({
      kind: 'failed',
      error: { code: 'PROCESSING_TIMEOUT', message: expect.stringContaining('2 times') },
    });
    expect(await runtime.documentCounts()).toEqual({
      processing: 0,
      waiting: 0,
      completed: 0,
      failed: 1,
      unindexed: 0,
    });
  });

  it('counts completed documents missing from the vector index, and the periodic sweep indexes them', async () => {
    runtime = await createRuntime(config({}));
    const docs = await generateCorpus({ count: 2, seed: 13 });
    for (const d of docs) {
      const path = join(runtime.config.paths.inbox, d.fileName);
      await writeFile(path, d.bytes);
      expect((await runtime.pipeline.processFile(path)).kind).toBe('processed');
    }
    // a crash between commit and indexing: the index lacks one
    await runtime.db.knex('autod_vec_docs').where('doc_id', 1).delete();
    expect(await runtime.documentCounts()).toMatchObject({ completed: 2, unindexed: 1 });
    runtime.startMonitoring(60_000, 20);
    for (let i = 0; i < 200 && (await runtime.documentCounts()).unindexed > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(await runtime.documentCounts()).toMatchObject({ completed: 2, unindexed: 0 });
  });

  it('closes the database when start-up fails after opening it (no handle keeps the process alive)', async () => {
    // a damaged database: the migration fails with DB_CORRUPT, and the file is closed again. The damaged page is the
    // migrations table's (which the migration reads first), not a fixed offset: the layout moves with the schema.
    const ok = await createRuntime(config({}));
    const master: { rootpage: number }[] = await ok.db.knex.raw('SELECT rootpage FROM sqlite_master WHERE name = ?', [
      MIGRATIONS_TABLE,
    ]);
    const pragma: { page_size: number }[] = await ok.db.knex.raw('PRAGMA page_size');
    const rootpage = Number(master[0]?.rootpage);
    const pageSize = Number(pragma[0]?.page_size);
    expect(rootpage).toBeGreaterThan(1);
    await ok.close();
    const file = join(dir, 'autod.sqlite');
    const bytes = await readFile(file);
    bytes.fill(0xab, (rootpage - 1) * pageSize, rootpage * pageSize);
    await writeFile(file, bytes);
    await rm(`${file}-wal`, { force: true });
    await rm(`${file}-shm`, { force: true });
    const error = await createRuntime(config({})).catch((e: unknown) => e);
    expect(toAutodError(error).code).toBe('DB_CORRUPT');
    // closed: the file can be replaced and a fresh database opened in its place
    await rm(file);
    runtime = await createRuntime(config({}));
    expect((await runtime.db.migrate.status()).every((m) => m.applied)).toBe(true);
  });
});
