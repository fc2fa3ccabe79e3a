// Vector-store benchmark: autod's index against the plain FTS5 + sqlite-vec brute-force baseline,
// both measured in the same run, alternating (baseline, autod, baseline, autod, ...), each run in a
// fresh process (bench/child.mjs) so that memory numbers are per build. Reports medians of the
// runs and the autod / baseline ratio of each pair; writes <repo>/bench-results/vector-store.json.
// Imports the built package: run `pnpm --filter @autod/vector-store run build` first.
//
//   AUTOD_BENCH_SIZES=10000,100000   corpus sizes (default 10000; AUTOD_BENCH_FULL=1 → 10000,100000)
//   AUTOD_BENCH_RUNS=3               runs per variant and size (default 3)
//   AUTOD_BENCH_QUERIES=200          queries per mode (default 200)
//   AUTOD_BENCH_VARIANTS=autod       only one side (default baseline,autod)
//   AUTOD_BENCH_OUT=file.json        output file name in bench-results/ (default vector-store.json)
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outFile = join(here, '..', '..', '..', 'bench-results', process.env.AUTOD_BENCH_OUT ?? 'vector-store.json');
const sizes = (process.env.AUTOD_BENCH_SIZES ?? (process.env.AUTOD_BENCH_FULL === '1' ? '10000,100000' : '10000'))
  .split(',')
  .map(Number);
const RUNS = Number(process.env.AUTOD_BENCH_RUNS ?? 3);
const QUERIES = Number(process.env.AUTOD_BENCH_QUERIES ?? 200);
const VARIANTS = (process.env.AUTOD_BENCH_VARIANTS ?? 'baseline,autod').split(',');

function runChild(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', join(here, 'child.mjs'), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) return reject(new Error(`child ${args.join(' ')} exited ${code}`));
      resolve(JSON.parse(line));
    });
  });
}

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = Math.floor(s.length / 2);
  return +(s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2).toFixed(3);
};
const get = (o, path) => path.split('.').reduce((x, k) => (x == null ? undefined : x[k]), o);

const METRICS = [
  'buildMs',
  'buildCpuMs',
  'buildWriteMb',
  'memory.baselineRssMb',
  'memory.peakRssMb',
  'memory.peakAboveBaselineMb',
  'memory.afterSearch.rssMb',
  'searchMs.fulltext.p50',
  'searchMs.fulltext.p95',
  'searchMs.vector.p50',
  'searchMs.vector.p95',
  'searchMs.hybrid.p50',
  'searchMs.hybrid.p95',
  'searchMs.hybrid.p99',
  'recallAt10',
  'dbMb',
];

const results = [];
for (const n of sizes) {
  const runs = { baseline: [], autod: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const variant of VARIANTS) {
      const args = [variant, String(n), String(QUERIES)];
      if (variant === 'autod' && r === 0 && process.env.AUTOD_BENCH_SWEEP !== '0') args.push('--sweep');
      process.stderr.write(
        `[${new Date().toISOString()}] ${n} docs, run ${r + 1}/${RUNS}: ${variant} (load ${loadavg()[0].toFixed(2)})\n`,
      );
      const res = await runChild(args);
      runs[variant].push(res);
      process.stderr.write(
        `  build ${(res.buildMs / 1000).toFixed(1)} s, peak RSS +${res.memory.peakAboveBaselineMb} MB, hybrid p95 ${res.searchMs.hybrid.p95} ms, load ${res.loadAverage.beforeBuild}→${res.loadAverage.end}\n`,
      );
    }
  }
  const summary = {};
  for (const variant of VARIANTS) {
    summary[variant] = Object.fromEntries(METRICS.map((m) => [m, median(runs[variant].map((x) => get(x, m)))]));
  }
  // Ratio per pair (the two runs back to back, under about the same load), then the median.
  const ratios = {};
  if (runs.baseline.length && runs.autod.length) {
    for (const m of [
      'buildMs',
      'memory.peakAboveBaselineMb',
      'searchMs.fulltext.p95',
      'searchMs.vector.p95',
      'searchMs.hybrid.p50',
      'searchMs.hybrid.p95',
    ]) {
      ratios[m] = median(runs.autod.map((a, i) => get(a, m) / get(runs.baseline[i] ?? {}, m)));
    }
  }
  const loads = [...runs.baseline, ...runs.autod].flatMap((x) => [x.loadAverage.beforeBuild, x.loadAverage.end]);
  results.push({
    documents: n,
    runs: RUNS,
    loadAverage1m: { min: Math.min(...loads), median: median(loads), max: Math.max(...loads) },
    median: summary,
    autodToBaseline: ratios,
    raw: runs,
  });
  console.log(`\n${n} documents, ${RUNS} run(s) per variant, load average ${Math.min(...loads)}–${Math.max(...loads)}`);
  for (const variant of VARIANTS) {
    const s = summary[variant];
    console.log(
      `${variant.padEnd(8)} build ${(s.buildMs / 1000).toFixed(1)} s (CPU ${(s.buildCpuMs / 1000).toFixed(1)} s, ${s.buildWriteMb} MB written), peak RSS +${s['memory.peakAboveBaselineMb']} MB, ` +
        `fulltext p95 ${s['searchMs.fulltext.p95']} ms, vector p95 ${s['searchMs.vector.p95']} ms, ` +
        `hybrid p50/p95/p99 ${s['searchMs.hybrid.p50']}/${s['searchMs.hybrid.p95']}/${s['searchMs.hybrid.p99']} ms` +
        (s.recallAt10 !== null ? `, recall@10 ${s.recallAt10}` : ''),
    );
  }
  if (Object.keys(ratios).length) console.log('autod / baseline (median of pairs):', JSON.stringify(ratios));
}
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(
  outFile,
  `${JSON.stringify(
    {
      package: '@autod/vector-store',
      command: 'pnpm --filter @autod/vector-store run bench',
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AUTOD_BENCH_'))),
      at: new Date().toISOString(),
      cpus: availableParallelism(),
      results,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${outFile}`);
