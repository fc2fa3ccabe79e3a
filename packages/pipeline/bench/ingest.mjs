// Ingest benchmark: CPU per document of the real `autod process` CLI against the physical floor, in one run.
// Run with `pnpm --filter @autod/pipeline bench:ingest` after `turbo run build` (it runs apps/cli/dist/bin.js).
//
// N text PDFs (packages/testkit `generateCorpus`, each made unique) are written to a fresh data folder; then, for
// SQLite and for PostgreSQL (a throwaway database on AUTOD_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432),
// each round runs as child processes:
//   - baseline: `bench/ingest-baseline.mjs` — read + SHA-256 + pdf.js text (the product's reader: @autod/extract's
//     worker pool, geometry on, OCR off) of the same files, nothing else;
//   - `autod process` over the same files (local provider, no API key, AUTOD_OCR=false: text PDFs need no OCR);
//   - `autod process` over an empty inbox (start-up and shut-down alone, for the fixed cost).
// CPU = user + system time of the child (every thread: the pdf.js workers too), taken by a preloaded exit hook
// (`bench/cpu-at-exit.mjs`), split by thread on Linux (main, V8 helpers, libuv pool, worker threads). Reports medians of AUTOD_BENCH_ROUNDS (default 3) rounds and the ratio
// process / baseline, with the load average. Writes bench-results/ingest.json.
// AUTOD_BENCH_DOCS (default 1000), AUTOD_BENCH_BACKENDS (default `sqlite,postgres`), AUTOD_BENCH_CONCURRENCY
// (AUTOD_CONCURRENCY of the CLI; default the setting's default), AUTOD_BENCH_DISTINCT=1 (every document a different
// content; default 200 contents repeated).
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTempPostgres, generateCorpus, pgAvailable } from '@autod/testkit';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
// AUTOD_BENCH_CLI: another build's bin.js (e.g. the main checkout's, for a before/after comparison).
const CLI = process.env['AUTOD_BENCH_CLI'] ?? join(repo, 'apps/cli/dist/bin.js');
const HOOK = pathToFileURL(join(here, 'cpu-at-exit.mjs')).href;
const N = Number(process.env['AUTOD_BENCH_DOCS'] ?? 1000);
const ROUNDS = Number(process.env['AUTOD_BENCH_ROUNDS'] ?? 3);
const BACKENDS = (process.env['AUTOD_BENCH_BACKENDS'] ?? 'sqlite,postgres').split(',').map((s) => s.trim());
const CONCURRENCY = process.env['AUTOD_BENCH_CONCURRENCY'];
// AUTOD_BENCH_COMPARE_CLI: a second build's bin.js run in every round too (alternating which goes first), e.g. the
// main checkout's, so a before/after comparison shares the machine's load.
const COMPARE = process.env['AUTOD_BENCH_COMPARE_CLI'];

const root = await mkdtemp(join(tmpdir(), 'autod-bench-ingest-'));

/** Run `args` under node with the CPU hook; resolves with the child's CPU, wall time and output. */
async function measured(args, env, label) {
  const cpuFile = join(root, `cpu-${process.hrtime.bigint()}.json`);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', HOOK, ...args], {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: root,
      NO_COLOR: '1',
      ...env,
      AUTOD_BENCH_CPU_FILE: cpuFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((res) => child.on('close', res));
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`${label} exited with ${code}\n${stdout}\n${stderr}`);
  const cpu = JSON.parse(await readFile(cpuFile, 'utf8'));
  return {
    cpuMs: (cpu.userUs + cpu.systemUs) / 1000,
    userMs: cpu.userUs / 1000,
    systemMs: cpu.systemUs / 1000,
    wallMs,
    maxRssKb: cpu.maxRssKb,
    threads: cpu.threads,
    stdout,
  };
}

async function countFiles(dir) {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n++;
  return n;
}

/** Thread CPU (ms) per document, by kind (see cpu-at-exit.mjs); undefined off Linux. */
const threadsPerDoc = (threads) =>
  threads
    ? Object.fromEntries(Object.entries(threads).map(([k, ms]) => [k.replace(/Ms$/, 'MsPerDoc'), ms / N]))
    : undefined;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// AUTOD_BENCH_DISTINCT=1: N documents of N different contents (as a real inbox holds). Default: 200 contents, each
// file made unique by a trailing comment (its hash changes, its text does not: a rescan of the same paper).
const DISTINCT = process.env['AUTOD_BENCH_DISTINCT'] === '1';

// The corpus: N unique text PDFs.
const corpus = await generateCorpus({ count: DISTINCT ? N : Math.min(N, 200), seed: 1 });
const source = join(root, 'corpus');
await mkdir(source);
for (let i = 0; i < N; i++) {
  const doc = corpus[i % corpus.length];
  const bytes = Buffer.concat([Buffer.from(doc.bytes), Buffer.from(`\n% bench ${i}\n`)]);
  await writeFile(join(source, `${String(i).padStart(5, '0')}-${doc.fileName}`), bytes);
}

const baseEnv = {
  AUTOD_PROVIDER: 'local',
  AUTOD_OCR: 'false',
  AUTOD_LOG_LEVEL: 'warn',
  ...(CONCURRENCY ? { AUTOD_CONCURRENCY: CONCURRENCY } : {}),
};

async function round(backend, r) {
  const dataDir = join(root, `${backend}-${r}`);
  const emptyDir = join(root, `${backend}-${r}-empty`);
  await cp(source, join(dataDir, 'inbox'), { recursive: true });
  await mkdir(join(emptyDir, 'inbox'), { recursive: true });
  let pg;
  let pgEmpty;
  if (backend === 'postgres') {
    pg = await createTempPostgres();
    pgEmpty = await createTempPostgres();
  }
  try {
    const load = loadavg()[0];
    const baseline = await measured([join(here, 'ingest-baseline.mjs'), join(dataDir, 'inbox')], {}, 'baseline');
    const docs = JSON.parse(baseline.stdout.trim().split('\n').pop()).docs;
    if (docs !== N) throw new Error(`baseline read ${docs}/${N} documents`);
    const env = { ...baseEnv, AUTOD_DATA_DIR: dataDir, ...(pg ? { AUTOD_DB_URL: pg.url } : {}) };
    const processRun = async () => {
      const out = await measured([CLI, 'process'], env, 'autod process');
      const processed = await countFiles(join(dataDir, 'processed'));
      if (processed !== N)
        throw new Error(`autod process filed ${processed}/${N} documents in processed/\n${out.stdout}`);
      return out;
    };
    const compareRun = async () => {
      if (!COMPARE) return undefined;
      const cmpDir = join(root, `${backend}-${r}-compare`);
      await cp(source, join(cmpDir, 'inbox'), { recursive: true });
      const cmpPg = backend === 'postgres' ? await createTempPostgres() : undefined;
      try {
        const cmpEnv = { ...baseEnv, AUTOD_DATA_DIR: cmpDir, ...(cmpPg ? { AUTOD_DB_URL: cmpPg.url } : {}) };
        const out = await measured([COMPARE, 'process'], cmpEnv, 'compared autod process');
        const processed = await countFiles(join(cmpDir, 'processed'));
        if (processed !== N) throw new Error(`the compared CLI filed ${processed}/${N} documents`);
        return out;
      } finally {
        await rm(cmpDir, { recursive: true, force: true });
        await cmpPg?.drop();
      }
    };
    // Alternate which build goes first, so neither always runs on the warmer page cache.
    let run;
    let compared;
    if (r % 2 === 1) {
      run = await processRun();
      compared = await compareRun();
    } else {
      compared = await compareRun();
      run = await processRun();
    }
    const emptyEnv = { ...baseEnv, AUTOD_DATA_DIR: emptyDir, ...(pgEmpty ? { AUTOD_DB_URL: pgEmpty.url } : {}) };
    const empty = await measured([CLI, 'process'], emptyEnv, 'autod process (empty inbox)');
    const loadAfter = loadavg()[0];
    const row = {
      round: r,
      loadAverage1m: { before: load, after: loadAfter },
      baselineCpuMsPerDoc: baseline.cpuMs / N,
      processCpuMsPerDoc: run.cpuMs / N,
      ratio: run.cpuMs / baseline.cpuMs,
      processFixedCpuMs: empty.cpuMs,
      processMarginalCpuMsPerDoc: (run.cpuMs - empty.cpuMs) / N,
      baselineWallMs: baseline.wallMs,
      processWallMs: run.wallMs,
      processMaxRssKb: run.maxRssKb,
      ...(compared ? { compareCpuMsPerDoc: compared.cpuMs / N, compareRatio: compared.cpuMs / baseline.cpuMs } : {}),
      baseline: {
        cpuMs: baseline.cpuMs,
        userMs: baseline.userMs,
        systemMs: baseline.systemMs,
        threads: threadsPerDoc(baseline.threads),
      },
      process: { cpuMs: run.cpuMs, userMs: run.userMs, systemMs: run.systemMs, threads: threadsPerDoc(run.threads) },
    };
    if (compared)
      console.log(
        `${backend} round ${r}: compared CLI ${row.compareCpuMsPerDoc.toFixed(2)} ms/doc (×${row.compareRatio.toFixed(2)})`,
      );
    console.log(
      `${backend} round ${r}: baseline ${row.baselineCpuMsPerDoc.toFixed(2)} ms/doc, autod process ${row.processCpuMsPerDoc.toFixed(2)} ms/doc (×${row.ratio.toFixed(2)}; fixed ${empty.cpuMs.toFixed(0)} ms, marginal ${row.processMarginalCpuMsPerDoc.toFixed(2)} ms/doc), wall ${(run.wallMs / 1000).toFixed(1)} s, load ${load.toFixed(2)}→${loadAfter.toFixed(2)}`,
    );
    return row;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await rm(emptyDir, { recursive: true, force: true });
    await pg?.drop();
    await pgEmpty?.drop();
  }
}

try {
  const results = {
    when: new Date().toISOString(),
    docs: N,
    rounds: ROUNDS,
    cpus: cpus().length,
    command: 'pnpm --filter @autod/pipeline bench:ingest',
    cli: CLI,
    ...(COMPARE ? { compareCli: COMPARE } : {}),
    distinctContents: DISTINCT ? N : Math.min(N, 200),
    settings: { ...baseEnv },
    backends: {},
  };
  for (const backend of BACKENDS) {
    if (backend === 'postgres' && !(await pgAvailable())) {
      console.log('postgres: not reachable (AUTOD_TEST_PG_URL), skipped');
      results.backends[backend] = { skipped: 'PostgreSQL not reachable' };
      continue;
    }
    const rows = [];
    for (let r = 1; r <= ROUNDS; r++) rows.push(await round(backend, r));
    const summary = {
      baselineCpuMsPerDoc: median(rows.map((x) => x.baselineCpuMsPerDoc)),
      processCpuMsPerDoc: median(rows.map((x) => x.processCpuMsPerDoc)),
      ratio: median(rows.map((x) => x.ratio)),
      processFixedCpuMs: median(rows.map((x) => x.processFixedCpuMs)),
      processMarginalCpuMsPerDoc: median(rows.map((x) => x.processMarginalCpuMsPerDoc)),
      loadAverage1m: median(rows.map((x) => x.loadAverage1m.before)),
      ...(rows[0].process.threads && rows[0].baseline.threads
        ? {
            // Where each one's CPU went, ms per document (medians per kind).
            threadsMsPerDoc: Object.fromEntries(
              ['baseline', 'process'].map((who) => [
                who,
                Object.fromEntries(
                  Object.keys(rows[0][who].threads).map((k) => [k, median(rows.map((x) => x[who].threads[k]))]),
                ),
              ]),
            ),
          }
        : {}),
      ...(COMPARE
        ? {
            compareCpuMsPerDoc: median(rows.map((x) => x.compareCpuMsPerDoc)),
            compareRatio: median(rows.map((x) => x.compareRatio)),
          }
        : {}),
    };
    console.log(
      `${backend} median of ${ROUNDS}: baseline ${summary.baselineCpuMsPerDoc.toFixed(2)} ms/doc, autod process ${summary.processCpuMsPerDoc.toFixed(2)} ms/doc, ratio ×${summary.ratio.toFixed(2)} (load ${summary.loadAverage1m.toFixed(2)})${COMPARE ? `; compared CLI ${summary.compareCpuMsPerDoc.toFixed(2)} ms/doc, ×${summary.compareRatio.toFixed(2)}` : ''}`,
    );
    if (summary.threadsMsPerDoc) {
      const { baseline: b, process: p } = summary.threadsMsPerDoc;
      const kinds = [
        ['main thread', 'mainMsPerDoc'],
        ['V8 helpers (GC, JIT)', 'v8HelpersMsPerDoc'],
        ['libuv pool', 'libuvMsPerDoc'],
        ['worker threads (pdf.js)', 'workerThreadsMsPerDoc'],
      ];
      console.log(
        `${backend} CPU by thread, ms/doc (autod process vs baseline): ` +
          kinds.map(([label, k]) => `${label} ${p[k].toFixed(2)} vs ${b[k].toFixed(2)}`).join(', '),
      );
    }
    results.backends[backend] = { median: summary, rounds: rows };
  }
  await mkdir(join(repo, 'bench-results'), { recursive: true });
  await writeFile(join(repo, 'bench-results', 'ingest.json'), JSON.stringify(results, null, 2) + '\n');
} finally {
  await rm(root, { recursive: true, force: true });
}
