import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_PRICING, priceUsage } from '@autod/api-client';
import { loadConfig } from '@autod/config';
import { buildTextPdf, generateCorpus, startEmulator, type Emulator } from '@autod/testkit';
import { createRuntime, DATABASE_CHECK_CACHE_MS, type Runtime } from './runtime.js';
import { pricingFromConfig } from './pricing.js';

let dir: string;
let runtime: Runtime | undefined;
let emu: Emulator;
const KEY = 'sk-test-runtime-settings-0123';

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-runtime-settings-'));
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await rm(dir, { recursive: true, force: true });
});

const config = (env: Record<string, string>) =>
  loadConfig({ env: { AUTOD_DATA_DIR: dir, AUTOD_OCR: 'false', ...env }, cwd: dir, envFile: false });
const openai = (env: Record<string, string> = {}) => config({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: emu.url, ...env });

/** Log lines written by the runtime (JSON). */
function logSink(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}

async function drop(rt: Runtime, name: string, lines: string[]): Promise<string> {
  const path = join(rt.config.paths.inbox, name);
  await writeFile(path, await buildTextPdf([lines]));
  return path;
}

describe('prices: built-in table, AUTOD_PRICING_FILE, *_TOKEN_PRICE_PER_MILLION', () => {
  it('the file and the overrides win, in that order, and the client bills with them', async () => {
    const file = join(dir, 'prices.json');
    await writeFile(
      file,
      JSON.stringify({ 'gpt-5-mini': { input: 1, cachedInput: 0.5, output: 3 }, 'acme-7b': { input: 2, output: 2 } }),
    );
    expect(pricingFromConfig(openai({ AUTOD_PRICING_FILE: file }))['gpt-5-mini']).toEqual({
      input: 1,
      cachedInput: 0.5,
      output: 3,
    });
    const table = pricingFromConfig(
      openai({
        AUTOD_PRICING_FILE: file,
        PROMPT_TOKEN_PRICE_PER_MILLION: '4',
        COMPLETION_TOKEN_PRICE_PER_MILLION: '8',
      }),
    );
    expect(table['gpt-5-mini']).toEqual({ input: 4, cachedInput: 0.5, output: 8 });
    expect(table['gpt-5']).toEqual(DEFAULT_PRICING['gpt-5']); // overrides are for OPENAI_MODEL only
    expect(table['acme-7b']).toEqual({ input: 2, cachedInput: 2, output: 2 });

    runtime = await createRuntime(
      openai({
        PROMPT_TOKEN_PRICE_PER_MILLION: '4',
        COMPLETION_TOKEN_PRICE_PER_MILLION: '8',
        CACHED_TOKEN_PRICE_PER_MILLION: '1',
      }),
    );
    const outcome = await runtime.pipeline.processFile(await drop(runtime, 'a.pdf', ['Invoice 1', 'Total 3.00']));
    if (outcome.kind !== 'processed') throw new Error(`expected processed, got ${outcome.kind}`);
    const [attempt] = await runtime.db.attempts.list(outcome.documentId);
    const usage = {
      inputTokens: attempt!.inputTokens,
      cachedInputTokens: attempt!.cachedInputTokens,
      outputTokens: attempt!.outputTokens,
      reasoningTokens: 0,
      totalTokens: 0,
    };
    const at = { 'gpt-5-mini': { input: 4, cachedInput: 1, output: 8 } };
    expect(outcome.costUsd).toBeCloseTo(priceUsage(usage, 'gpt-5-mini', { pricing: at }), 12);
    expect(runtime.pricing['gpt-5-mini']).toEqual({ input: 4, cachedInput: 1, output: 8 });
  });

  it('a partial override for a model the table does not know is CFG_INVALID naming what is missing', () => {
    expect(() => pricingFromConfig(openai({ OPENAI_MODEL: 'acme-7b', PROMPT_TOKEN_PRICE_PER_MILLION: '1' }))).toThrow(
      expect.objectContaining({
        code: 'CFG_INVALID',
        message: expect.stringMatching(/COMPLETION_TOKEN_PRICE_PER_MILLION/),
      }),
    );
    expect(
      pricingFromConfig(
        openai({
          OPENAI_MODEL: 'acme-7b',
          PROMPT_TOKEN_PRICE_PER_MILLION: '1',
          COMPLETION_TOKEN_PRICE_PER_MILLION: '2',
        }),
      )['acme-7b'],
    ).toEqual({ input: 1, cachedInput: 1, output: 2 });
  });

  it('a model with no price is one warning in the log', async () => {
    const { stream, lines } = logSink();
    runtime = await createRuntime(openai({ OPENAI_MODEL: 'acme-7b' }), { logDestination: stream });
    await runtime.pipeline.processFile(await drop(runtime, 'b.pdf', ['Invoice 2']));
    await runtime.pipeline.processFile(await drop(runtime, 'c.pdf', ['Invoice 3']));
    const warned = lines.filter((l) => String(l['msg']).includes('No price is known for model "acme-7b"'));
    expect(warned).toHaveLength(1);
    expect(warned[0]?.['level']).toBe('warn');
  });
});

describe('logging settings', () => {
  it('ENVIRONMENT is on every line; PAPER_AUTOPILOT_VERSION and the version are in the start-up line', async () => {
    const { stream, lines } = logSink();
    runtime = await createRuntime(config({ ENVIRONMENT: 'staging', PAPER_AUTOPILOT_VERSION: '2026.12-rc1' }), {
      logDestination: stream,
    });
    runtime.logger.info('hello');
    const start = lines.find((l) => l['msg'] === 'autod starting');
    expect(start).toMatchObject({ deployment: '2026.12-rc1', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l['environment']).toBe('staging');
  });

  it('LOG_MAX_BYTES and LOG_BACKUP_COUNT rotate AUTOD_LOG_FILE', async () => {
    const file = join(dir, 'logs', 'autod.log');
    const { stream } = logSink();
    runtime = await createRuntime(
      config({ AUTOD_LOG_FILE: file, LOG_MAX_BYTES: '1048576', LOG_BACKUP_COUNT: '2', LOG_FORMAT: 'json' }),
      { logDestination: stream },
    );
    const line = 'x'.repeat(2000);
    for (let i = 0; i < 1800; i++) runtime.logger.info({ i }, line); // ~3.6 MB: three rotations
    runtime.logger.flush?.();
    const names = (await readdir(join(dir, 'logs'))).sort();
    expect(names).toEqual(['autod.log', 'autod.log.1', 'autod.log.2']);
    for (const n of names) expect((await readFile(join(dir, 'logs', n))).byteLength).toBeLessThanOrEqual(1048576);
  });
});

describe('cost alerts from one-shot processing', () => {
  let hook: Server;
  let received: { summary: string; rule: string }[];
  let url: string;
  beforeEach(async () => {
    received = [];
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as { summary: string; rule: string });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  });
  afterEach(async () => {
    await new Promise<void>((r) => hook.close(() => r()));
  });

  it('the document whose commit crosses a level alerts, with the money to the cent fraction, delivered before close', async () => {
    runtime = await createRuntime(
      openai({
        AUTOD_ALERT_WEBHOOK_URL: url,
        COST_ALERT_THRESHOLD_1: '0.0001',
        COST_ALERT_THRESHOLD_2: '50',
        COST_ALERT_THRESHOLD_3: '100',
      }),
    );
    const rt = runtime;
    // Three documents finishing together: all three are committed before the first report reads the totals.
    const done = await Promise.all(
      [11, 12, 13].map(async (n) =>
        rt.pipeline.processFile(await drop(rt, `d${n}.pdf`, [`Invoice ${n}`, 'Total 1.00'])),
      ),
    );
    expect(done.map((o) => o.kind)).toEqual(['processed', 'processed', 'processed']);
    await rt.close(); // a one-shot command ends here: the alert must already be out
    const costs = received.filter((a) => a.rule.startsWith('cost_'));
    expect(costs.map((a) => a.rule).sort()).toEqual(['cost_daily', 'cost_monthly']);
    expect(costs[0]?.summary).toMatch(/spend \$0\.\d*[1-9]\d* crossed the \$0\.0001 level/);
    expect(costs[0]?.summary).not.toContain('$0.00 ');

    // A later process (spend already above the level) does not alert again.
    received.length = 0;
    runtime = await createRuntime(
      openai({
        AUTOD_ALERT_WEBHOOK_URL: url,
        COST_ALERT_THRESHOLD_1: '0.0001',
        COST_ALERT_THRESHOLD_2: '50',
        COST_ALERT_THRESHOLD_3: '100',
      }),
    );
    await runtime.pipeline.processFile(await drop(runtime, 'd2.pdf', ['Invoice 22', 'Total 2.00']));
    await runtime.close();
    expect(received.filter((a) => a.rule.startsWith('cost_'))).toEqual([]);
  });
});

describe('metrics', () => {
  it('the documents counter carries the committed category', async () => {
    runtime = await createRuntime(config({}));
    const [doc] = await generateCorpus({ count: 1, seed: 11, kinds: ['utility_bill'] });
    const path = join(runtime.config.paths.inbox, doc!.fileName);
    await writeFile(path, doc!.bytes);
    const outcome = await runtime.pipeline.processFile(path);
    if (outcome.kind !== 'processed') throw new Error('expected processed');
    const stored = await runtime.db.documents.get(outcome.documentId);
    await runtime.close();
    const text = await runtime.metrics.metrics();
    expect(stored?.category).toBeTruthy();
    expect(outcome.category).toBe(stored!.category);
    expect(text).toContain(`category="${stored!.category}"`);
    expect(text).not.toMatch(/autod_documents_processed_total\{[^}]*status="completed"[^}]*category="unknown"/);
  });
});

describe('search settings and filters', () => {
  it('SEARCH_DEFAULT_TOP_K, SEARCH_MAX_TOP_K and every filter', async () => {
    runtime = await createRuntime(config({ SEARCH_DEFAULT_TOP_K: '2', SEARCH_MAX_TOP_K: '3' }));
    const rt = runtime;
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const o = await rt.pipeline.processFile(
        await drop(rt, `w${i}.pdf`, ['Springfield Water Utility', `Water bill statement ${i}`, 'Amount due 40.00']),
      );
      if (o.kind === 'processed') ids.push(o.documentId);
    }
    expect(ids).toHaveLength(5);
    expect((await rt.search('water bill')).hits).toHaveLength(2);
    expect((await rt.search('water bill', { limit: 3 })).hits).toHaveLength(3);
    await expect(rt.search('water bill', { limit: 4 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    // filters the index does not hold: review flag, status
    await rt.db.knex('documents').update({ needs_review: false });
    await rt.db.knex('documents').where('id', ids[1]!).update({ needs_review: true });
    const flagged = await rt.search('water bill', { limit: 3, filter: { needsReview: true } });
    expect(flagged.hits.map((h) => h.id)).toEqual([ids[1]]);
    expect((await rt.search('water bill', { limit: 3, filter: { status: 'failed' } })).hits).toEqual([]);
    for (const mode of ['fulltext', 'vector', 'hybrid'] as const) {
      const r = await rt.search('water bill', { mode, limit: 3, filter: { needsReview: false } });
      expect(r.hits.length).toBeGreaterThan(0);
      expect(r.hits.map((h) => h.id)).not.toContain(ids[1]);
    }
  });

  it('SEARCH_RELEVANCE_THRESHOLD drops weak vector hits (it is the default of minSimilarity)', async () => {
    runtime = await createRuntime(config({ SEARCH_RELEVANCE_THRESHOLD: '0.99' }));
    const rt = runtime;
    await rt.pipeline.processFile(await drop(rt, 'v.pdf', ['Springfield Water Utility', 'Water bill statement']));
    expect((await rt.search('water bill electricity tax', { mode: 'vector' })).hits).toEqual([]);
    expect((await rt.search('water bill electricity tax', { mode: 'vector', minSimilarity: 0 })).hits).toHaveLength(1);
  });
});

describe('embedding cache health', () => {
  it('warns under VECTOR_CACHE_HIT_RATE_TARGET once the cache has served 100 lookups', async () => {
    runtime = await createRuntime(config({ VECTOR_CACHE_HIT_RATE_TARGET: '0.99' }));
    const check = async () => (await runtime!.health.dependencies()).checks.find((c) => c.name === 'embedding_cache');
    expect((await check())?.status).toBe('pass');
    const texts = Array.from({ length: 120 }, (_, i) => `distinct text number ${i} about topic ${i * 7}`);
    await runtime.vectorIndex.embedder.embed(texts);
    expect(await check()).toMatchObject({ status: 'warn', details: { target: 0.99, lookups: 120 } });
  });
});

describe('database readiness', () => {
  it('keeps the database answer for a second (probes at any rate query it at most once a second)', async () => {
    runtime = await createRuntime(config({}));
    const database = async () => (await runtime!.health.ready()).checks.find((c) => c.name === 'database');
    const first = await database();
    expect(first).toMatchObject({ status: 'pass' });
    expect(first?.cached).toBeUndefined();
    expect(await database()).toMatchObject({ status: 'pass', cached: true });
    await new Promise((r) => setTimeout(r, DATABASE_CHECK_CACHE_MS + 50));
    expect((await database())?.cached).toBeUndefined();
  });
});

describe('vector-store sync settings', () => {
  it('VECTOR_STORE_CACHE_FILE is written and reused by the next process', async () => {
    const cacheFile = join(dir, 'vs', 'id');
    const env = {
      AUTOD_VECTOR_STORE_SYNC: 'true',
      VECTOR_STORE_CACHE_FILE: cacheFile,
      AUTOD_VECTOR_STORE_NAME: 'rt-sync',
    };
    runtime = await createRuntime(openai(env));
    const rt = runtime;
    await Promise.all(
      [0, 1, 2].map(async (i) =>
        rt.pipeline.processFile(await drop(rt, `s${i}.pdf`, [`Invoice S-${i}`, 'Total 9.00'])),
      ),
    );
    await rt.close();
    const id = (await readFile(cacheFile, 'utf8')).trim();
    const created = () =>
      emu.requests.filter(
        (r) =>
          r.route === '/v1/vector_stores' && r.method === 'POST' && (r.body as { name?: string }).name === 'rt-sync',
      ).length;
    expect(created()).toBe(1);
    runtime = await createRuntime(openai(env));
    await runtime.pipeline.processFile(await drop(runtime, 's9.pdf', ['Invoice S-9', 'Total 9.00']));
    expect(created()).toBe(1);
    const attach = emu.requests.filter((r) => r.route === '/v1/vector_stores/:id/files' && r.method === 'POST').at(-1);
    expect(attach?.path).toContain(id);
  });
});
