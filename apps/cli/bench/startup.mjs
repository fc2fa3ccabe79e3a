// CLI start-up benchmark (run with `pnpm --filter @autod/cli bench`, after a build).
// Runs, side by side in one loop (round-robin, so machine load hits every command alike):
//   node -e 0                      the baseline: starting node and doing nothing
//   autod --help, autod --version  the command table only
//   autod list --json              over a database of N completed documents (default 1000): config + database
// each R times (default 15, AUTOD_BENCH_RUNS) after warm-up runs that fill node's compile cache (a folder of its
// own), and reports wall-clock medians and their ratio to the baseline's median. The targets (issue 16): --help and
// --version at most 3x node -e 0, list --json at most 6x. AUTOD_BENCH_CLI=<path to bin.js> measures another build
// (e.g. an older checkout) the same way. Writes bench-results/cli-startup.json (with the load average around the
// timed rounds).
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmptyMetadata, indexedFields } from '@autod/core';
import { createDatabase } from '@autod/db';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const BIN = resolve(process.env.AUTOD_BENCH_CLI ?? join(here, '../dist/bin.js'));
const RUNS = Number(process.env.AUTOD_BENCH_RUNS ?? 15);
const DOCS = Number(process.env.AUTOD_BENCH_DOCS ?? 1000);
const TARGETS = { help: 3, version: 3, list: 6 };

const root = await mkdtemp(join(tmpdir(), 'autod-bench-cli-'));
const dataDir = join(root, 'data');
const cacheDir = join(root, 'compile-cache');
await mkdir(cacheDir, { recursive: true });

// N completed documents, written through the repository (as the pipeline would).
const db = await createDatabase({ url: join(dataDir, 'autod.sqlite') });
await db.migrate.latest();
for (let i = 0; i < DOCS; i++) {
  const sha256 = i.toString(16).padStart(64, '0');
  const claim = await db.documents.claim({
    sha256,
    fileName: `scan-${i}.pdf`,
    sourcePath: join(dataDir, 'inbox', `scan-${i}.pdf`),
    sizeBytes: 10_000 + i,
    owner: 'bench',
    leaseMs: 60_000,
  });
  if (claim.kind !== 'claimed') throw new Error(`document ${i}: ${claim.kind}`);
  const metadata = {
    ...createEmptyMetadata({
      processedDate: '2025-01-15T12:00:00Z',
      originalFileName: `scan-${i}.pdf`,
      sourceFileId: sha256,
    }),
    issuer: `Issuer ${i % 37}`,
    title: `Bill ${i}`,
    primary_date: `2024-${String((i % 12) + 1).padStart(2, '0')}-15`,
  };
  await db.documents.complete(claim.document.id, 'bench', {
    metadata,
    fields: indexedFields(metadata),
    pageCount: 1,
    textContent: `bill number ${i}`,
    provider: 'local',
    model: 'rules',
    storagePath: join(dataDir, 'processed', `scan-${i}.pdf`),
  });
}
await db.close();

const env = {
  ...process.env,
  AUTOD_DATA_DIR: dataDir,
  AUTOD_OCR: 'false',
  NODE_COMPILE_CACHE: cacheDir,
};
delete env.OPENAI_API_KEY;
delete env.NODE_DISABLE_COMPILE_CACHE;

const CASES = {
  baseline: [process.execPath, ['-e', '0']],
  help: [process.execPath, [BIN, '--help']],
  version: [process.execPath, [BIN, '--version']],
  list: [process.execPath, [BIN, 'list', '--json', '--limit', '1000']],
};

function once([cmd, args]) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

// Check the list really lists N documents, and warm the compile cache.
const listed = JSON.parse(once(CASES.list).stdout);
if (listed.total !== DOCS || listed.items.length !== DOCS)
  throw new Error(`list --json gave ${listed.items.length}/${listed.total}`);
for (let i = 0; i < 3; i++) for (const c of Object.values(CASES)) once(c);

const samples = Object.fromEntries(Object.keys(CASES).map((k) => [k, []]));
const loadBefore = loadavg()[0];
for (let r = 0; r < RUNS; r++) for (const [name, c] of Object.entries(CASES)) samples[name].push(once(c).ms);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const base = median(samples.baseline);
const results = {};
for (const [name, xs] of Object.entries(samples)) {
  const med = median(xs);
  results[name] = {
    medianMs: round(med),
    minMs: round(Math.min(...xs)),
    maxMs: round(Math.max(...xs)),
    ratio: round(med / base, 2),
    ...(TARGETS[name] ? { targetRatio: TARGETS[name], withinTarget: med / base <= TARGETS[name] } : {}),
  };
}

const report = {
  bench: 'cli-startup',
  cli: BIN,
  node: process.version,
  runs: RUNS,
  documents: DOCS,
  compileCache: 'on (warmed)',
  // 1-minute load average before and after the timed rounds (the machine may be shared: compare ratios, not ms).
  loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0], 2) },
  results,
};
await mkdir(join(repo, 'bench-results'), { recursive: true });
await writeFile(join(repo, 'bench-results', 'cli-startup.json'), JSON.stringify(report, null, 2) + '\n');
for (const [name, r] of Object.entries(results)) {
  const target = r.targetRatio ? `  (target ≤ ${r.targetRatio}×: ${r.withinTarget ? 'ok' : 'OVER'})` : '';
  console.log(
    `${name.padEnd(9)} median ${String(r.medianMs).padStart(7)} ms  ${String(r.ratio).padStart(5)}× node -e 0${target}`,
  );
}
console.log(`load average ${report.loadAverage.before} → ${report.loadAverage.after} (1 min), ${RUNS} rounds`);
await rm(root, { recursive: true, force: true });
