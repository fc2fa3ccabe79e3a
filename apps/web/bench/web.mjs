// Budgets of the web app, measured (not asserted in tests): writes bench-results/web.json.
//   1. initial JavaScript of the page, gzip (budget ≤ 200 KB): the entry script and its modulepreloads;
//   2. the documents page's first rows with 100k documents in the database (budget < 300 ms on loopback), median of
//      several fresh navigations, with the same page over 1k documents as the baseline of this run, and the query
//      plans of the list queries;
//   3. axe-core inside each page (budget: no serious or critical violation).
// Needs the build (`pnpm turbo run build`) and Debian's chromium (/usr/bin/chromium).
//   node bench/web.mjs [--docs 100000] [--runs 7]
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { loadConfig } from '@autod/config';
import { createDatabase } from '@autod/db';
import { createRuntime } from '@autod/runtime';
import { startServer } from '@autod/server';

const here = dirname(fileURLToPath(import.meta.url));
const WEB = resolve(here, '..');
const DIST = join(WEB, 'dist');
const RESULTS = resolve(WEB, '../../bench-results');
const TOKEN = 'bench-token-0123456789abcdef';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const DOCS = arg('docs', 100_000);
const RUNS = arg('runs', 7);
const BASELINE_DOCS = 1000;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Gzip size of the JavaScript a first visit loads before any lazy page: the entry and its modulepreloads. */
async function initialJs() {
  const html = await readFile(join(DIST, 'index.html'), 'utf8');
  const files = [
    ...html.matchAll(/<script[^>]+type="module"[^>]+src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g),
  ].map((m) => m[1]);
  const css = [...html.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/g)].map((m) => m[1]);
  const size = async (list) => {
    let raw = 0;
    let gz = 0;
    for (const f of list) {
      const bytes = await readFile(join(DIST, f.replace(/^\//, '')));
      raw += bytes.length;
      gz += gzipSync(bytes, { level: 9 }).length;
    }
    return { raw, gzip: gz };
  };
  const js = await size(files);
  return { files, rawBytes: js.raw, gzipBytes: js.gzip, gzipKB: +(js.gzip / 1024).toFixed(1), css: await size(css) };
}

const CATEGORIES = ['Financial & Administrative', 'Property & Assets', 'Personal & Family', 'Legal & Government'];
const ISSUERS = ['Stadtwerke Nord', 'Wasserwerk Süd', 'ACME Insurance', 'City Tax Office', 'Telecom Plus', 'Dr. Weber'];

/** Writes `count` completed documents straight into the database (the FTS triggers index them too). */
async function seed(dbPath, count) {
  const db = await createDatabase({ url: dbPath });
  await db.migrate.latest();
  const t0 = Date.now();
  const chunk = 500;
  for (let start = 0; start < count; start += chunk) {
    const rows = [];
    for (let i = start; i < Math.min(count, start + chunk); i++) {
      const issuer = ISSUERS[i % ISSUERS.length];
      const day = new Date(Date.UTC(2015, 0, 1) + (i % 3650) * 86_400_000).toISOString().slice(0, 10);
      const created = Date.UTC(2020, 0, 1) + i * 60_000;
      rows.push({
        sha256: i.toString(16).padStart(64, '0'),
        file_name: `scan-${i}.pdf`,
        source_path: `/bench/processed/scan-${i}.pdf`,
        size_bytes: 50_000 + (i % 1000),
        page_count: 1 + (i % 3),
        status: 'completed',
        storage_path: `/bench/processed/scan-${i}.pdf`,
        filed_at: created,
        provider: 'local',
        model: 'autod-rules-v1',
        metadata: null,
        text_content: `${issuer} invoice ${i} water electricity rent`,
        category: CATEGORIES[i % CATEGORIES.length],
        subcategory: null,
        doc_type: i % 2 ? 'invoice' : 'bill',
        issuer,
        primary_date: day,
        total_amount: Math.round(((i * 37) % 100_000) / 10) / 10,
        currency: 'EUR',
        title: `${issuer} ${day}`,
        summary: null,
        confidence: 0.9,
        attempt_count: 1,
        needs_review: i % 17 === 0,
        created_at: created,
        updated_at: created,
      });
    }
    await db.knex.transaction((trx) => trx('documents').insert(rows));
  }
  const seedMs = Date.now() - t0;
  const plans = {};
  if (db.dialect === 'sqlite') {
    const plan = async (sql) => (await db.knex.raw(`EXPLAIN QUERY PLAN ${sql}`)).map((r) => r.detail).join(' | ');
    plans.firstPage = await plan(
      'SELECT * FROM documents ORDER BY created_at DESC NULLS LAST, id DESC LIMIT 50 OFFSET 0',
    );
    plans.count = await plan('SELECT count(*) FROM documents');
    plans.byDate = await plan('SELECT * FROM documents ORDER BY primary_date DESC NULLS LAST, id DESC LIMIT 50');
    plans.needsReview = await plan(
      "SELECT * FROM documents WHERE needs_review = 1 AND status = 'completed' ORDER BY created_at DESC LIMIT 50",
    );
  }
  await db.close();
  return { seedMs, plans };
}

async function serve(dataDir) {
  const config = loadConfig({
    env: {
      AUTOD_DATA_DIR: dataDir,
      AUTOD_SERVER_TOKEN: TOKEN,
      AUTOD_PROVIDER: 'local',
      AUTOD_OCR: 'false',
      AUTOD_LOG_LEVEL: 'error',
      AUTOD_SERVER_RATE_LIMIT: '100000',
    },
    cwd: dataDir,
    envFile: false,
  });
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  const runtime = await createRuntime(config, { logDestination: quiet, quietLogs: true });
  return startServer(runtime, { port: 0, host: '127.0.0.1', webDir: DIST, handleSignals: false });
}

async function signIn(page, base) {
  await page.goto(`${base}/`);
  await page.getByLabel('Server token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
}

/** ms from navigation start until the first table row is in the DOM (a MutationObserver notes the moment). */
async function firstRows(context, base, runs) {
  const page = await context.newPage();
  await page.addInitScript(() => {
    const observer = new MutationObserver(() => {
      if (document.querySelector('table.doc-table tbody tr')) {
        window.__firstRowsMs = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document, { childList: true, subtree: true });
  });
  const times = [];
  // One warm-up navigation (browser cache of the hashed assets, as for a returning person), then measured runs.
  for (let i = 0; i <= runs; i++) {
    await page.goto(`${base}/documents`);
    await page.waitForFunction(() => typeof window.__firstRowsMs === 'number', null, { timeout: 30_000 });
    const ms = await page.evaluate(() => window.__firstRowsMs);
    if (i > 0) times.push(ms);
  }
  await page.close();
  return { runs: times.map((t) => +t.toFixed(1)), medianMs: +median(times).toFixed(1) };
}

async function apiTimes(base, runs) {
  const time = async (path) => {
    const out = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      await res.arrayBuffer();
      out.push(performance.now() - t0);
    }
    return +median(out).toFixed(1);
  };
  return {
    firstPageMs: await time('/v1/documents?limit=50'),
    page1000Ms: await time('/v1/documents?limit=50&offset=50000'),
    sortedByDateMs: await time('/v1/documents?limit=50&orderBy=primaryDate'),
    needsReviewMs: await time('/v1/documents?limit=50&needsReview=true'),
    issuerFilterMs: await time('/v1/documents?limit=50&issuer=acme'),
  };
}

/** axe-core in each page (run inside the page; the audit context bypasses the page's CSP to inject it). */
async function axeEveryPage(browser, base, docId) {
  const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const audit = async () => {
    await page.addScriptTag({ path: axePath });
    const result = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
    });
    return result;
  };
  const pages = {};
  await page.goto(`${base}/`);
  await page.getByLabel('Server token').waitFor();
  pages['sign-in'] = await audit();
  await page.getByLabel('Server token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const visits = [
    ['inbox', '/', 'Inbox'],
    ['documents', '/documents', 'Documents'],
    ['document', `/documents/${docId}`, null],
    ['review', '/review', 'Review'],
    ['costs', '/costs', 'Costs'],
    ['batches', '/batches', 'Batches'],
    ['system', '/system', 'System'],
  ];
  for (const [name, path, heading] of visits) {
    await page.goto(`${base}${path}`);
    if (heading) await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
    else await page.locator('h1').first().waitFor();
    await page.waitForLoadState('networkidle');
    pages[name] = await audit();
  }
  await context.close();
  const serious = Object.entries(pages).flatMap(([p, vs]) =>
    vs.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${p}: ${v.id}`),
  );
  return { pages, serious };
}

async function measure(count, runs, browser, withAxe) {
  const dir = await mkdtemp(join(tmpdir(), `autod-web-bench-${count}-`));
  try {
    const seeded = await seed(join(dir, 'autod.sqlite'), count);
    const server = await serve(dir);
    try {
      const base = server.address;
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await signIn(page, base);
      await page.close();
      const rows = await firstRows(context, base, runs);
      await context.close();
      const api = await apiTimes(base, runs);
      const axe = withAxe ? await axeEveryPage(browser, base, count) : undefined;
      return { documents: count, ...seeded, firstRows: rows, api, ...(axe ? { axe } : {}) };
    } finally {
      await server.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const profile = await mkdtemp(join(tmpdir(), 'autod-web-bench-chromium-'));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const bundle = await initialJs();
  const baseline = await measure(BASELINE_DOCS, RUNS, browser, false);
  const full = await measure(DOCS, RUNS, browser, true);
  const result = {
    bench: 'web',
    at: new Date().toISOString(),
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    budgets: {
      initialJsGzipKB: { value: bundle.gzipKB, max: 200, ok: bundle.gzipKB <= 200 },
      firstRowsMs: { value: full.firstRows.medianMs, max: 300, ok: full.firstRows.medianMs < 300, documents: DOCS },
      axeSeriousViolations: { value: full.axe.serious.length, max: 0, ok: full.axe.serious.length === 0 },
    },
    ratioFirstRowsVsBaseline: +(full.firstRows.medianMs / baseline.firstRows.medianMs).toFixed(2),
    bundle,
    baseline,
    full,
  };
  await mkdir(RESULTS, { recursive: true });
  await writeFile(join(RESULTS, 'web.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    JSON.stringify(
      { budgets: result.budgets, ratioFirstRowsVsBaseline: result.ratioFirstRowsVsBaseline, api: full.api },
      null,
      2,
    ),
  );
  if (full.axe.serious.length > 0) console.log('axe serious/critical:', full.axe.serious.join(', '));
} finally {
  await browser.close();
  await rm(profile, { recursive: true, force: true });
}
