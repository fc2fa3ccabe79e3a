import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '@autod/config';
import { badPdfs, generateCorpus, startEmulator } from '@autod/testkit';
import { EInvoiceExtractor, LocalExtractor } from '@autod/pipeline';
import { createRuntime, type Runtime } from './runtime.js';
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
  it('wires the local provider without an API key: folders, migrated database, pipeline, vector index', async () => {
    runtime = await createRuntime(config({}));
    expect(runtime.extractor.provider).toBe('local');
    expect(runtime.apiClient).toBeNull();
    expect((await readdir(dir)).filter((n) => !n.startsWith('autod.sqlite'))).toEqual(
      expect.arrayContaining(['duplicates', 'failed', 'inbox', 'processed']),
    );
    expect((await runtime.db.migrate.status()).every((m) => m.applied)).toBe(true);
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
});
