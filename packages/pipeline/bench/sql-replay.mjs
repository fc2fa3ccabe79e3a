// SQL replay benchmark: what the SQLite part of `autod process` costs on the bare driver, and what committing several
// documents at once (group commit) would save. Run with `pnpm --filter @autod/pipeline bench:sql` after
// `turbo run build` (it runs apps/cli/dist/bin.js).
//
// 1. `autod process` over N generated text PDFs (as bench:ingest: 200 contents, each file made unique; local provider,
//    OCR off) with bench/sql-trace.mjs preloaded: every statement it runs through better-sqlite3 is recorded, in order,
//    with its parameters.
// 2. In this process, on a fresh database file with autod's settings (WAL, synchronous NORMAL, foreign keys on, the
//    sqlite-vec extension), the recorded migrations are run, then the documents' statements (from the first claim on)
//    are replayed on bare better-sqlite3, each statement prepared once — per round, in alternating order:
//      - as recorded: a commit wherever autod commits (its claim, the document's transaction, the vector index's
//        transaction, the filing and near-duplicate updates);
//      - grouped: the same statements, in the same order, with one transaction per K documents (K = 4 and 16) — what a
//        group commit would do.
//    CPU = process.cpuUsage() of the replay loop (every thread), per document. WAL frames per document come from a
//    separate pass of each mode with auto-checkpoint off (the WAL's size at the end / frame size).
// Reports medians of AUTOD_BENCH_ROUNDS (default 5) and the ratios to the recorded replay; writes
// bench-results/sql-replay.json. AUTOD_BENCH_DOCS (default 1000).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deserialize } from 'node:v8';
import { generateCorpus } from '@autod/testkit';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const CLI = join(repo, 'apps/cli/dist/bin.js');
const N = Number(process.env['AUTOD_BENCH_DOCS'] ?? 1000);
const ROUNDS = Number(process.env['AUTOD_BENCH_ROUNDS'] ?? 5);
const GROUPS = [4, 16];
// The driver and the extension as the CLI and the vector store resolve them.
const Database = createRequire(join(repo, 'apps/cli/package.json'))('better-sqlite3');
const sqliteVec = createRequire(join(repo, 'packages/vector-store/package.json'))('sqlite-vec');

const root = await mkdtemp(join(tmpdir(), 'autod-bench-sql-'));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Runs `autod process` over the corpus with the statement recorder; returns the recorded statements. */
async function record() {
  const corpus = await generateCorpus({ count: Math.min(N, 200), seed: 1 });
  const dataDir = join(root, 'recorded');
  await mkdir(join(dataDir, 'inbox'), { recursive: true });
  for (let i = 0; i < N; i++) {
    const doc = corpus[i % corpus.length];
    const bytes = Buffer.concat([Buffer.from(doc.bytes), Buffer.from(`\n% bench ${i}\n`)]);
    await writeFile(join(dataDir, 'inbox', `${String(i).padStart(5, '0')}-${doc.fileName}`), bytes);
  }
  const traceFile = join(root, 'trace.bin');
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(here, 'sql-trace.mjs')).href, CLI, 'process'], {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: root,
      NO_COLOR: '1',
      AUTOD_DATA_DIR: dataDir,
      AUTOD_PROVIDER: 'local',
      AUTOD_OCR: 'false',
      AUTOD_LOG_LEVEL: 'warn',
      AUTOD_BENCH_SQL_TRACE: traceFile,
      AUTOD_BENCH_SQL_TRACE_FROM: join(repo, 'apps/cli/package.json'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((res) => child.on('close', res));
  if (code !== 0) throw new Error(`autod process exited with ${code}\n${stderr}`);
  return deserialize(await readFile(traceFile));
}

const isClaim = (sql) => sql.startsWith('INSERT INTO "documents"');
const isTransactionControl = (sql) => /^\s*(BEGIN|COMMIT|ROLLBACK)\b/i.test(sql);

/**
 * Replays `trace` on a fresh file. `group` 0: as recorded; K > 0: autod's BEGIN/COMMITs dropped, one transaction per K
 * documents. Returns the CPU and wall time of the documents' part, and the WAL frames when `checkpoints` is off.
 */
async function replay(trace, group, { checkpoints = true } = {}) {
  const file = join(root, `replay-${group}-${checkpoints ? 'c' : 'n'}.sqlite`);
  for (const suffix of ['', '-wal', '-shm']) await rm(file + suffix, { force: true });
  const db = new Database(file);
  sqliteVec.load(db);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  if (!checkpoints) db.pragma('wal_autocheckpoint = 0');
  const prepared = new Map();
  const statement = (sql) => {
    let s = prepared.get(sql);
    if (!s) prepared.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const run = (entry) => {
    if (entry.method === 'exec') return db.exec(entry.sql);
    const s = statement(entry.sql);
    if (entry.method === 'iterate') return [...s.iterate(...entry.params)];
    return s[entry.method](...entry.params);
  };
  const first = trace.findIndex((e) => isClaim(e.sql));
  if (first < 0) throw new Error('the recorded run claimed no document');
  // The schema: the recorded migrations (their lock and bookkeeping statements included).
  for (const entry of trace.slice(0, first)) if (!/^\s*PRAGMA/i.test(entry.sql)) run(entry);
  if (db.inTransaction) db.exec('COMMIT');
  let docs = 0;
  let open = false;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (const entry of trace.slice(first)) {
    if (group > 0) {
      if (isTransactionControl(entry.sql)) continue;
      if (isClaim(entry.sql) && open && docs % group === 0) {
        statement('COMMIT').run();
        open = false;
      }
      if (!open) {
        statement('BEGIN IMMEDIATE').run();
        open = true;
      }
    }
    if (isClaim(entry.sql)) docs++;
    run(entry);
  }
  if (open) statement('COMMIT').run();
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - wall0;
  const walBytes = checkpoints ? 0 : (await stat(`${file}-wal`).catch(() => ({ size: 0 }))).size;
  const pageSize = db.pragma('page_size', { simple: true });
  db.close();
  for (const suffix of ['', '-wal', '-shm']) await rm(file + suffix, { force: true });
  return {
    docs,
    cpuMsPerDoc: (cpu.user + cpu.system) / 1000 / docs,
    wallMsPerDoc: wallMs / docs,
    ...(checkpoints ? {} : { walFramesPerDoc: walBytes / (pageSize + 24) / docs }),
  };
}

try {
  console.log(`recording the statements of autod process over ${N} documents…`);
  const trace = await record();
  const counted = trace.filter((e) => isClaim(e.sql)).length;
  if (counted !== N) throw new Error(`the recorded run claimed ${counted}/${N} documents`);
  const statementsPerDoc = trace.slice(trace.findIndex((e) => isClaim(e.sql))).length / N;
  // Commits: each COMMIT, and each write autod runs outside a transaction (it commits on its own).
  let commits = 0;
  let inTransaction = false;
  for (const e of trace.slice(trace.findIndex((x) => isClaim(x.sql)))) {
    if (/^\s*BEGIN/i.test(e.sql)) inTransaction = true;
    else if (/^\s*(COMMIT|ROLLBACK)/i.test(e.sql)) {
      inTransaction = false;
      commits++;
    } else if (!inTransaction && !/^\s*SELECT/i.test(e.sql)) commits++;
  }
  const commitsPerDoc = commits / N;
  console.log(
    `recorded ${trace.length} statements (${statementsPerDoc.toFixed(1)} and ${commitsPerDoc.toFixed(1)} commits per document)`,
  );
  const modes = [0, ...GROUPS];
  const label = (g) => (g === 0 ? 'as recorded' : `${g} documents per commit`);
  const rows = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const order = r % 2 ? modes : [...modes].reverse();
    const row = { round: r, loadAverage1m: loadavg()[0] };
    for (const g of order) row[g] = await replay(trace, g);
    rows.push(row);
    console.log(`round ${r}: ` + modes.map((g) => `${label(g)} ${row[g].cpuMsPerDoc.toFixed(3)} ms/doc`).join(', '));
  }
  const frames = {};
  for (const g of modes) frames[g] = (await replay(trace, g, { checkpoints: false })).walFramesPerDoc;
  const summary = {};
  for (const g of modes) {
    const cpu = median(rows.map((x) => x[g].cpuMsPerDoc));
    summary[label(g)] = {
      cpuMsPerDoc: cpu,
      wallMsPerDoc: median(rows.map((x) => x[g].wallMsPerDoc)),
      walFramesPerDoc: frames[g],
      ratioToRecorded: cpu / median(rows.map((x) => x[0].cpuMsPerDoc)),
    };
  }
  console.log(`median of ${ROUNDS} rounds (load ${median(rows.map((x) => x.loadAverage1m)).toFixed(2)}):`);
  for (const [name, s] of Object.entries(summary))
    console.log(
      `  ${name.padEnd(24)} CPU ${s.cpuMsPerDoc.toFixed(3)} ms/doc (×${s.ratioToRecorded.toFixed(2)}), wall ${s.wallMsPerDoc.toFixed(3)} ms/doc, ${s.walFramesPerDoc.toFixed(1)} WAL frames/doc`,
    );
  await mkdir(join(repo, 'bench-results'), { recursive: true });
  await writeFile(
    join(repo, 'bench-results', 'sql-replay.json'),
    JSON.stringify(
      {
        when: new Date().toISOString(),
        command: 'pnpm --filter @autod/pipeline bench:sql',
        docs: N,
        rounds: ROUNDS,
        cpus: cpus().length,
        statements: trace.length,
        statementsPerDoc,
        commitsPerDoc,
        median: summary,
        roundDetails: rows,
      },
      null,
      2,
    ) + '\n',
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
