// Search benchmark: builds synthetic corpora (10k always; 100k with AUTOD_BENCH_FULL=1 or
// AUTOD_BENCH_SIZES=10000,100000) and reports search p50/p95/p99 per mode, indexing throughput,
// IVF recall against exact search (the baseline measured in the same run) and the embedding-cache
// hit rate on a re-index. Imports the built package (run `pnpm run build` first).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import { createEmptyMetadata } from '@autod/core';
import { LexicalEmbedder, createFts5FullText, createVectorIndex } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const outFile = join(here, '..', '..', '..', 'bench-results', 'vector-store.json');
const sizes = (process.env.AUTOD_BENCH_SIZES ?? (process.env.AUTOD_BENCH_FULL === '1' ? '10000,100000' : '10000'))
  .split(',')
  .map(Number);
const QUERIES = Number(process.env.AUTOD_BENCH_QUERIES ?? 200);

// deterministic PRNG
let seed = 42;
const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const pick = (a) => a[Math.floor(rand() * a.length)];

const ISSUERS = [
  'Springfield Water',
  'Acme Power',
  'FiberNet',
  'City Hospital',
  'Safe Drive Insurance',
  'Oak Street Properties',
  'Internal Revenue Service',
  'Bright Smile Dental',
  'Lincoln School',
  'Metro Transit',
  'Green Gas Co',
  'First National Bank',
  'Mobile One',
  'County Tax Office',
  'Home Depot',
  'Pet Clinic',
];
const TYPES = [
  'water bill',
  'electricity bill',
  'invoice',
  'lab report',
  'insurance policy',
  'lease',
  'tax return',
  'receipt',
  'report card',
  'bank statement',
  'gas bill',
  'phone bill',
  'property tax notice',
  'warranty',
];
const CATS = [
  'Financial & Administrative',
  'Property & Assets',
  'Personal & Family',
  'Business & Professional',
  'Legal & Government',
  'Household & Lifestyle',
];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WORDS =
  'account balance payment due service charge period meter usage total amount customer number address reference policy coverage premium deductible claim refund deposit interest fee late notice renewal contract term monthly annual summary statement details item quantity price tax subtotal discount credit debit transfer reading kwh gallons minutes data plan appointment patient doctor results normal elevated review grade teacher class vehicle property rent tenant landlord repair maintenance warranty product serial model purchase store return'.split(
    ' ',
  );

// Documents are topical, like real paperwork: most words come from their type's own vocabulary.
const TOPIC = new Map(
  TYPES.map((t, i) => [t, Array.from({ length: 24 }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length])]),
);

function makeDoc(id) {
  const issuer = pick(ISSUERS);
  const type = pick(TYPES);
  const topic = TOPIC.get(type);
  const year = 2020 + Math.floor(rand() * 5);
  const month = Math.floor(rand() * 12);
  const day = 1 + Math.floor(rand() * 28);
  const date = `${year}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  const amount = rand() < 0.8 ? Math.round(rand() * 200000) / 100 : null;
  const words = Array.from({ length: 80 + Math.floor(rand() * 60) }, () =>
    rand() < 0.7 ? pick(topic) : pick(WORDS),
  ).join(' ');
  const text = `${issuer} ${type} for ${MONTHS[month]} ${year}. ${words}. Amount ${amount ?? 'n/a'}. Reference ${id}.`;
  const m = createEmptyMetadata({
    processedDate: '2024-07-01T00:00:00Z',
    originalFileName: `doc-${id}.pdf`,
    sourceFileId: `s${id}`,
  });
  const metadata = {
    ...m,
    title: `${issuer} ${type} ${MONTHS[month]} ${year}`,
    category: pick(CATS),
    doc_type: type,
    issuer,
    primary_date: date,
    extracted_fields: { ...m.extracted_fields, amount_due: amount },
  };
  return { id, sha256: id.toString(16).padStart(64, '0'), metadata, text };
}

function makeQuery() {
  const r = rand();
  if (r < 0.4) return { q: `${pick(TYPES)} ${pick(MONTHS)}` };
  if (r < 0.7) return { q: `${pick(ISSUERS)} ${pick(WORDS)} ${pick(WORDS)}` };
  if (r < 0.85) return { q: `${pick(WORDS)} ${pick(WORDS)} ${pick(TYPES)}`, filter: { category: pick(CATS) } };
  const y = 2020 + Math.floor(rand() * 5);
  return { q: `${pick(TYPES)} ${pick(WORDS)}`, filter: { from: `${y}-01-01`, to: `${y}-06-30`, minAmount: 100 } };
}

function pct(times) {
  const s = [...times].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return {
    p50: +at(0.5).toFixed(2),
    p95: +at(0.95).toFixed(2),
    p99: +at(0.99).toFixed(2),
    mean: +(s.reduce((a, b) => a + b, 0) / s.length).toFixed(2),
  };
}

async function runSize(n) {
  seed = 42 + n;
  const dir = mkdtempSync(join(tmpdir(), 'autod-vs-bench-'));
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: join(dir, 'bench.db') },
    useNullAsDefault: true,
    pool: { min: 1, max: 1 },
  });
  await knex.raw('PRAGMA journal_mode = WAL');
  await knex.raw('PRAGMA synchronous = NORMAL');
  let fts;
  const index = await createVectorIndex({
    knex,
    dialect: 'sqlite',
    embedder: new LexicalEmbedder(),
    fullText: (q, limit, filter) => fts.search(q, limit, filter),
    ivf: {
      autoTrain: false,
      ...(process.env.AUTOD_BENCH_PROBE ? { probeFraction: Number(process.env.AUTOD_BENCH_PROBE) } : {}),
    },
    nearDuplicates: false,
  });
  fts = await createFts5FullText(knex);

  const docs = Array.from({ length: n }, (_, i) => makeDoc(i + 1));
  let t = performance.now();
  for (let i = 0; i < n; i += 500) await index.indexMany(docs.slice(i, i + 500));
  const indexMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < n; i += 2000)
    await fts.addMany(docs.slice(i, i + 2000).map((d) => ({ id: d.id, title: d.metadata.title, text: d.text })));
  const ftsMs = performance.now() - t;
  t = performance.now();
  await index.optimize();
  const trainMs = performance.now() - t;
  const stats = await index.stats();

  const queries = Array.from({ length: QUERIES }, makeQuery);
  const modes = {};
  for (const mode of ['fulltext', 'vector', 'hybrid']) {
    for (const q of queries.slice(0, 10)) await index.search(q.q, { mode, filter: q.filter }); // warm-up
    const times = [];
    for (const q of queries) {
      const s = performance.now();
      await index.search(q.q, { mode, limit: 10, ...(q.filter ? { filter: q.filter } : {}) });
      times.push(performance.now() - s);
    }
    modes[mode] = pct(times);
  }

  // Baseline: exact (brute-force) vector search over the same rows, and IVF recall@10 against it.
  const exactTimes = [];
  const truths = [];
  let overlap = 0;
  let total = 0;
  for (const q of queries.slice(0, 50)) {
    const s = performance.now();
    const truth = await index.search(q.q, {
      mode: 'vector',
      exact: true,
      limit: 10,
      minSimilarity: -1,
      ...(q.filter ? { filter: q.filter } : {}),
    });
    exactTimes.push(performance.now() - s);
    const approx = await index.search(q.q, {
      mode: 'vector',
      limit: 10,
      minSimilarity: -1,
      ...(q.filter ? { filter: q.filter } : {}),
    });
    truths.push(truth.hits.map((h) => h.id));
    const got = new Set(approx.hits.map((h) => h.id));
    overlap += truth.hits.filter((h) => got.has(h.id)).length;
    total += truth.hits.length;
  }
  const exactVector = pct(exactTimes);

  // Probe sweep: the same lists with other probe budgets (share of the vectors scanned per query).
  const sweep = [];
  for (const probeFraction of [0.04, 0.08, 0.15, 0.25]) {
    const other = await createVectorIndex({
      knex,
      dialect: 'sqlite',
      embedder: index.embedder,
      ivf: { autoTrain: false, probeFraction },
      nearDuplicates: false,
      migrate: false,
    });
    const times = [];
    let hit = 0;
    let all = 0;
    for (const [i, q] of queries.slice(0, 100).entries()) {
      const opts = { mode: 'vector', limit: 10, minSimilarity: -1, ...(q.filter ? { filter: q.filter } : {}) };
      const s = performance.now();
      const approx = await other.search(q.q, opts);
      times.push(performance.now() - s);
      if (i < truths.length) {
        const got = new Set(approx.hits.map((h) => h.id));
        hit += truths[i].filter((id) => got.has(id)).length;
        all += truths[i].length;
      }
    }
    sweep.push({ probeFraction, vectorMs: pct(times), recallAt10: +(hit / Math.max(1, all)).toFixed(3) });
  }

  // Re-index (a 10k sample at most): cache hit rate with the memory tier as configured (100 MB).
  const sample = docs.slice(0, Math.min(n, 10000));
  t = performance.now();
  const re = await index.reindex(sample, { batchSize: 500 });
  const reindexMs = performance.now() - t;
  const mem = index.embedder.stats().memory;

  await knex.destroy();
  rmSync(dir, { recursive: true, force: true });
  return {
    documents: n,
    chunks: stats.chunks,
    dimensions: stats.dimensions,
    sqliteVec: stats.sqliteVec,
    indexing: {
      ms: Math.round(indexMs),
      docsPerSec: Math.round(n / (indexMs / 1000)),
      ftsMs: Math.round(ftsMs),
      ivfTrainMs: Math.round(trainMs),
    },
    searchMs: modes,
    probeSweep: sweep,
    baseline: {
      exactVectorMs: exactVector,
      ivfSpeedupP95: +(exactVector.p95 / modes.vector.p95).toFixed(2),
      ivfRecallAt10: +(overlap / Math.max(1, total)).toFixed(3),
    },
    reindex: {
      documents: sample.length,
      ms: Math.round(reindexMs),
      docsPerSec: Math.round(sample.length / (reindexMs / 1000)),
      cacheHitRate: +re.cache.hitRate.toFixed(3),
      memoryHits: re.cache.memoryHits,
      dbHits: re.cache.dbHits,
      misses: re.cache.misses,
    },
    memoryCache: {
      sizeMb: +(mem.sizeBytes / 1048576).toFixed(1),
      capMb: +(mem.maxSizeBytes / 1048576).toFixed(1),
      evictions: mem.evictions,
    },
  };
}

const results = [];
for (const n of sizes) {
  const r = await runSize(n);
  results.push(r);
  const line = (m) =>
    `${m.padEnd(8)} p50 ${r.searchMs[m].p50} ms  p95 ${r.searchMs[m].p95} ms  p99 ${r.searchMs[m].p99} ms`;
  console.log(`\n${n} documents (${r.chunks} chunks, ${r.dimensions} dims, sqlite-vec ${r.sqliteVec})`);
  console.log(
    `indexing ${r.indexing.docsPerSec} docs/s (${r.indexing.ms} ms; FTS ${r.indexing.ftsMs} ms; IVF training ${r.indexing.ivfTrainMs} ms)`,
  );
  for (const m of ['fulltext', 'vector', 'hybrid']) console.log(line(m));
  console.log(
    `baseline exact vector p95 ${r.baseline.exactVectorMs.p95} ms → IVF ×${r.baseline.ivfSpeedupP95} faster, recall@10 ${r.baseline.ivfRecallAt10}`,
  );
  for (const p of r.probeSweep)
    console.log(
      `  probe ${p.probeFraction}: vector p50 ${p.vectorMs.p50} p95 ${p.vectorMs.p95} p99 ${p.vectorMs.p99} ms, recall@10 ${p.recallAt10}`,
    );
  console.log(
    `re-index ${r.reindex.documents} docs: cache hit rate ${(r.reindex.cacheHitRate * 100).toFixed(1)}% (${r.reindex.docsPerSec} docs/s); memory cache ${r.memoryCache.sizeMb}/${r.memoryCache.capMb} MB`,
  );
}
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(
  outFile,
  JSON.stringify(
    {
      package: '@autod/vector-store',
      at: new Date().toISOString(),
      cpus: (await import('node:os')).cpus().length,
      queries: QUERIES,
      results,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nwrote ${outFile}`);
