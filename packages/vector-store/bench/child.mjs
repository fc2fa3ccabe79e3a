// One benchmark run in its own process: `node bench/child.mjs <autod|baseline> <documents> <queries> [--sweep]`.
// Builds the index over documents 1..n in a fresh SQLite file, then times searches; prints one JSON
// line. Memory: RSS right before building is the process baseline; the peak while building is the
// kernel's high-water mark (VmHWM, reset through /proc/self/clear_refs just before the build).
//
// autod:    @autod/vector-store as `autod reindex` runs it (reindex() in batches of 500, IVF
//           trained once at the end) + its FTS5 full-text index (createFts5FullText).
// baseline: the plain approach: FTS5 + a sqlite-vec `vec0` table (float32, cosine, exact KNN), the
//           same chunks, headers and lexical embeddings, statements prepared once, one transaction
//           per batch of 500; hybrid = the same reciprocal rank fusion (k = 60) over both sides.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import knexFactory from 'knex';
// AUTOD_BENCH_DIST: another build of the package (e.g. a copy of the previous dist/) for before/after runs.
const {
  LexicalEmbedder,
  chunkText,
  createFts5FullText,
  createVectorIndex,
  documentHeader,
  highlightSnippet,
  tokenize,
} = await import(process.env.AUTOD_BENCH_DIST ? resolve(process.env.AUTOD_BENCH_DIST, 'index.js') : '../dist/index.js');
import { makeDocs, makeQueries, percentiles } from './corpus.mjs';

const require = createRequire(import.meta.url);
const [variant, nArg, qArg] = process.argv.slice(2);
const N = Number(nArg);
const QUERIES = Number(qArg ?? 200);
const SWEEP = process.argv.includes('--sweep');
const BATCH = 500;
const MODES = ['fulltext', 'vector', 'hybrid'];

function mem() {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
  const m = process.memoryUsage();
  const mb = (x) => Math.round(x / 1024);
  return {
    rssMb: mb(kb('VmRSS')),
    anonMb: mb(kb('RssAnon')),
    fileMb: mb(kb('RssFile')),
    shmemMb: mb(kb('RssShmem')),
    hwmMb: mb(kb('VmHWM')),
    heapMb: Math.round(m.heapUsed / 1048576),
    externalMb: Math.round(m.external / 1048576),
  };
}
function resetPeak() {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}
const load = () => +loadavg()[0].toFixed(2);

async function* docStream(n) {
  for (let i = 1; i <= n; i += BATCH) yield* makeDocs(i, Math.min(n, i + BATCH - 1));
}

// ---------------------------------------------------------------------------------------------
async function openAutod(dir) {
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
    nearDuplicates: false,
  });
  fts = await createFts5FullText(knex);
  return {
    async build(onBatch) {
      const t0 = performance.now();
      const r = await index.reindex(docStream(N), { batchSize: BATCH, onProgress: onBatch });
      const vectorMs = performance.now() - t0;
      const t1 = performance.now();
      for (let i = 1; i <= N; i += 2000) {
        const docs = makeDocs(i, Math.min(N, i + 1999));
        await fts.addMany(docs.map((d) => ({ id: d.id, title: d.metadata.title, text: d.text })));
        onBatch();
      }
      const stats = await index.stats();
      return {
        chunks: stats.chunks,
        trained: stats.ivfTrained,
        phases: { vectorMs: Math.round(vectorMs), ftsMs: Math.round(performance.now() - t1), failed: r.failed.length },
      };
    },
    search: (q, mode, opts = {}) =>
      index.search(q.q, { mode, limit: 10, ...(q.filter ? { filter: q.filter } : {}), ...opts }),
    async extra(queries) {
      // recall@10 of the default (IVF) vector search against exact search over the same rows
      const truthN = Math.min(queries.length, N >= 500_000 ? 20 : 50);
      const truths = [];
      const exactTimes = [];
      let hit = 0;
      let all = 0;
      for (const q of queries.slice(0, truthN)) {
        const opts = { minSimilarity: -1 };
        const s = performance.now();
        const truth = (await this.search(q, 'vector', { ...opts, exact: true })).hits.map((h) => h.id);
        exactTimes.push(performance.now() - s);
        const got = new Set((await this.search(q, 'vector', opts)).hits.map((h) => h.id));
        truths.push(truth);
        hit += truth.filter((id) => got.has(id)).length;
        all += truth.length;
      }
      const out = {
        recallAt10: +(hit / Math.max(1, all)).toFixed(3),
        recallQueries: truthN,
        exactVectorMs: percentiles(exactTimes),
      };
      if (SWEEP) {
        out.probeSweep = [];
        for (const probeFraction of [0.04, 0.08, 0.15, 0.25]) {
          const other = await createVectorIndex({
            knex,
            dialect: 'sqlite',
            embedder: index.embedder,
            ivf: { probeFraction },
            nearDuplicates: false,
            migrate: false,
          });
          await other.search('warm up', { mode: 'vector' }); // loads this index's lists
          const times = [];
          let h = 0;
          let a = 0;
          for (const [i, q] of queries.slice(0, 100).entries()) {
            const s = performance.now();
            const r = await other.search(q.q, {
              mode: 'vector',
              limit: 10,
              minSimilarity: -1,
              ...(q.filter ? { filter: q.filter } : {}),
            });
            times.push(performance.now() - s);
            if (i < truths.length) {
              const got = new Set(r.hits.map((x) => x.id));
              h += truths[i].filter((id) => got.has(id)).length;
              a += truths[i].length;
            }
          }
          out.probeSweep.push({
            probeFraction,
            vectorMs: percentiles(times),
            recallAt10: +(h / Math.max(1, a)).toFixed(3),
          });
        }
        // re-index of a 10k sample: the embedding cache's hit rate
        const sample = makeDocs(1, Math.min(N, 10_000));
        const re = await index.reindex(sample, { batchSize: BATCH });
        out.reindex = {
          documents: sample.length,
          cacheHitRate: +re.cache.hitRate.toFixed(3),
          docsPerSec: Math.round(sample.length / (re.tookMs / 1000)),
        };
      }
      return out;
    },
    close: () => knex.destroy(),
  };
}

// ---------------------------------------------------------------------------------------------
async function openBaseline(dir) {
  const Database = require('better-sqlite3');
  const db = new Database(join(dir, 'bench.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.loadExtension(require('sqlite-vec').getLoadablePath());
  const embedder = new LexicalEmbedder();
  const dims = embedder.dimensions;
  db.exec(`
    CREATE TABLE docs (doc_id INTEGER PRIMARY KEY, title TEXT, category TEXT, doc_type TEXT, issuer TEXT,
                       primary_date TEXT, total_amount REAL);
    CREATE INDEX docs_category ON docs (category);
    CREATE INDEX docs_date ON docs (primary_date, total_amount);
    CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2');
    -- vec0 metadata columns cannot hold NULL: a missing amount is stored as -1 (fails minAmount >= x)
    CREATE VIRTUAL TABLE vec USING vec0(embedding float[${dims}] distance_metric=cosine, category text,
                       primary_date text, total_amount float, +doc_id integer, +chunk_no integer);`);
  const insDoc = db.prepare('INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)');
  const insFts = db.prepare('INSERT INTO fts (rowid, title, body) VALUES (?, ?, ?)');
  const insVec = db.prepare(
    'INSERT INTO vec (rowid, embedding, category, primary_date, total_amount, doc_id, chunk_no) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const stmts = new Map();
  const stmt = (sql) => {
    let s = stmts.get(sql);
    if (!s) stmts.set(sql, (s = db.prepare(sql)));
    return s;
  };
  let chunkId = 0;
  const where = (f, col) => {
    const sql = [];
    const args = [];
    if (f?.category) (sql.push(`${col('category')} = ?`), args.push(f.category));
    if (f?.from) (sql.push(`${col('primary_date')} >= ?`), args.push(f.from));
    if (f?.to) (sql.push(`${col('primary_date')} <= ?`), args.push(f.to));
    if (f?.minAmount !== undefined) (sql.push(`${col('total_amount')} >= ?`), args.push(f.minAmount));
    return { sql, args };
  };
  const fulltext = (query, limit, filter) => {
    const tokens = tokenize(query);
    if (tokens.length === 0) return [];
    const w = where(filter, (c) => `d.${c}`);
    const sql = `SELECT d.doc_id AS id, -bm25(fts, 3.0, 1.0) AS score FROM fts JOIN docs d ON d.doc_id = fts.rowid
                 WHERE fts MATCH ? ${w.sql.map((s) => `AND ${s}`).join(' ')} ORDER BY score DESC LIMIT ?`;
    const terms = tokens.map((t) => `"${t.replace(/"/g, '')}"`);
    let rows = stmt(sql).all(terms.join(' '), ...w.args, limit);
    if (rows.length < limit) {
      const more = stmt(sql).all(terms.map((t) => `${t}*`).join(' '), ...w.args, limit);
      if (more.length > rows.length) rows = more;
    }
    return rows;
  };
  const vector = async (query, limit, filter) => {
    const { vectors } = await embedder.embed([query]);
    const w = where(filter, (c) => c);
    const sql = `SELECT doc_id, chunk_no, distance FROM vec WHERE embedding MATCH ? AND k = ? ${w.sql
      .map((s) => `AND ${s}`)
      .join(' ')}`;
    const rows = stmt(sql).all(Buffer.from(vectors[0].buffer), limit * 4, ...w.args);
    const best = new Map();
    for (const r of rows)
      if (!best.has(r.doc_id)) best.set(r.doc_id, { id: r.doc_id, similarity: 1 - r.distance, chunkNo: r.chunk_no });
    return [...best.values()].slice(0, limit);
  };
  return {
    async build(onBatch) {
      const t0 = performance.now();
      let chunks = 0;
      const write = db.transaction((rows) => {
        for (const { d, inputs, vectors } of rows) {
          const m = d.metadata;
          const amount = m.extracted_fields.amount_due;
          insDoc.run(d.id, m.title, m.category, m.doc_type, m.issuer, m.primary_date, amount);
          insFts.run(d.id, m.title, d.text);
          vectors.forEach((v, i) => {
            insVec.run(
              BigInt(++chunkId),
              Buffer.from(v.buffer, v.byteOffset, v.byteLength),
              m.category,
              m.primary_date,
              amount ?? -1,
              BigInt(d.id),
              BigInt(i),
            );
          });
          chunks += inputs.length;
        }
      });
      for (let i = 1; i <= N; i += BATCH) {
        const docs = makeDocs(i, Math.min(N, i + BATCH - 1));
        const rows = [];
        for (const d of docs) {
          const header = documentHeader(d.metadata);
          const inputs = chunkText(d.text).map((c) => `${header}\n${c.text}`);
          rows.push({ d, inputs, vectors: (await embedder.embed(inputs)).vectors });
        }
        write(rows);
        onBatch();
      }
      return { chunks, trained: false, phases: { ms: Math.round(performance.now() - t0) } };
    },
    async search(q, mode) {
      const depth = mode === 'hybrid' ? 20 : 10;
      const text = mode === 'vector' ? [] : fulltext(q.q, depth, q.filter);
      const vec = mode === 'fulltext' ? [] : await vector(q.q, depth, q.filter);
      const fused = new Map();
      text.forEach((h, i) => fused.set(h.id, (fused.get(h.id) ?? 0) + 1 / (61 + i)));
      vec.forEach((h, i) => fused.set(h.id, (fused.get(h.id) ?? 0) + 1 / (61 + i)));
      const top = [...fused.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 10);
      const ids = top.map(([id]) => id);
      if (ids.length === 0) return { hits: [] };
      const marks = ids.map(() => '?').join(',');
      const attrs = stmt(
        `SELECT doc_id, title, category, doc_type, issuer, primary_date, total_amount FROM docs WHERE doc_id IN (${marks})`,
      ).all(...ids);
      const bodies = stmt(`SELECT rowid AS id, body FROM fts WHERE rowid IN (${marks})`).all(...ids);
      const byId = new Map(bodies.map((b) => [b.id, b.body]));
      const byAttr = new Map(attrs.map((a) => [a.doc_id, a]));
      return {
        hits: top.map(([id, score]) => ({
          id,
          score,
          ...byAttr.get(id),
          snippet: highlightSnippet(byId.get(id) ?? '', q.q),
        })),
      };
    },
    async extra() {
      return {};
    },
    close: () => db.close(),
  };
}

// ---------------------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), `autod-vs-bench-${variant}-`));
try {
  const impl = variant === 'baseline' ? await openBaseline(dir) : await openAutod(dir);
  global.gc?.();
  const before = mem();
  const peakReset = resetPeak();
  const loadBefore = load();
  const curve = [];
  let batches = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // bytes this process made the kernel write to storage (WAL, checkpoints, temp files)
  const io = () =>
    Object.fromEntries(
      readFileSync('/proc/self/io', 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(': '))
        .map(([k, v]) => [k, Number(v)]),
    );
  const io0 = io();
  const built = await impl.build(() => {
    if (++batches % 20 === 0) curve.push({ s: Math.round((performance.now() - t0) / 1000), rssMb: mem().rssMb });
  });
  const buildMs = performance.now() - t0;
  const cpu1 = process.cpuUsage(cpu0);
  const buildCpuMs = Math.round((cpu1.user + cpu1.system) / 1000);
  const io1 = io();
  const buildWriteMb = Math.round((io1.write_bytes - io0.write_bytes) / 1048576);
  const afterBuild = mem();
  const loadAfterBuild = load();

  const queries = makeQueries(QUERIES);
  const searchMs = {};
  for (const mode of MODES) {
    for (const q of queries.slice(0, 10)) await impl.search(q, mode); // warm-up
    const times = [];
    for (const q of queries) {
      const s = performance.now();
      await impl.search(q, mode);
      times.push(performance.now() - s);
    }
    searchMs[mode] = percentiles(times);
  }
  const afterSearch = mem();
  const extra = await impl.extra(queries);
  await impl.close();
  let dbMb = 0;
  for (const f of ['bench.db', 'bench.db-wal']) {
    try {
      dbMb += statSync(join(dir, f)).size / 1048576;
    } catch {
      // no WAL file
    }
  }
  const result = {
    variant,
    documents: N,
    queries: QUERIES,
    ...built,
    buildMs: Math.round(buildMs),
    buildCpuMs,
    buildWriteMb,
    memory: {
      baselineRssMb: before.rssMb,
      peakRssMb: peakReset ? afterBuild.hwmMb : null,
      peakAboveBaselineMb: peakReset ? afterBuild.hwmMb - before.rssMb : null,
      afterBuild,
      afterSearch,
      curve,
    },
    searchMs,
    ...extra,
    dbMb: Math.round(dbMb),
    loadAverage: { beforeBuild: loadBefore, afterBuild: loadAfterBuild, end: load() },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
