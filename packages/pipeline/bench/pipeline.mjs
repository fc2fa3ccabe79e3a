// Pipeline benchmark (run with `pnpm --filter @autod/pipeline bench`, after a build).
// 1. Per-document pipeline overhead: everything except the model call (the extractor returns at once), against
//    a baseline measured in the same run: reading + hashing the same files with pdf.js alone.
// 2. Documents per second for N small PDFs with the local provider (pdf.js + offline rules), concurrency 1 and 4.
// Writes bench-results/pipeline.json. N defaults to 1000 (AUTOD_BENCH_DOCS overrides).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmptyMetadata, ZERO_USAGE } from '@autod/core';
import { createDatabase } from '@autod/db';
import { readPdf } from '@autod/extract';
import { generateCorpus } from '@autod/testkit';
import { LocalExtractor, Pipeline, processFiles, readDocumentFile } from '../dist/index.js';

const N = Number(process.env.AUTOD_BENCH_DOCS ?? 1000);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const corpus = await generateCorpus({ count: Math.min(N, 200), seed: 1 });
const root = await mkdtemp(join(tmpdir(), 'autod-bench-pipeline-'));

async function stage(name) {
  const dir = join(root, name);
  const dirs = {
    inbox: join(dir, 'inbox'),
    processed: join(dir, 'processed'),
    failed: join(dir, 'failed'),
    duplicates: join(dir, 'duplicates'),
  };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  const files = [];
  for (let i = 0; i < N; i++) {
    const doc = corpus[i % corpus.length];
    // Make every file unique (a trailing comment changes the hash, not the content).
    const bytes = Buffer.concat([Buffer.from(doc.bytes), Buffer.from(`\n% bench ${name} ${i}\n`)]);
    const file = join(dirs.inbox, `${String(i).padStart(5, '0')}-${doc.fileName}`);
    await writeFile(file, bytes);
    files.push(file);
  }
  const db = await createDatabase({ url: join(dir, 'autod.sqlite') });
  await db.migrate.latest();
  return { dirs, files, db };
}

const instant = {
  provider: 'local',
  model: 'instant',
  needsOcr: false,
  async extract(input) {
    const metadata = createEmptyMetadata({
      processedDate: input.processedAt,
      originalFileName: input.fileName,
      sourceFileId: input.sha256,
      pageCount: input.content.pageCount,
    });
    return { metadata, usage: ZERO_USAGE, costUsd: 0, model: 'instant', latencyMs: 0 };
  },
};

async function run(name, extractor, concurrency) {
  const { dirs, files, db } = await stage(`${name}-c${concurrency}`);
  const pipeline = new Pipeline(
    { db, extractor },
    {
      dirs,
      maxFileBytes: 50e6,
      leaseMs: 300_000,
      filingTemplate: '{yyyy}/{mm}/{date}_{issuer}_{doc_type}',
      stableFile: false,
      ocr: false,
    },
  );
  const t0 = performance.now();
  const summary = await processFiles(pipeline, files, { concurrency });
  const seconds = (performance.now() - t0) / 1000;
  await db.close();
  if (summary.processed !== files.length)
    throw new Error(
      `${name}: only ${summary.processed}/${files.length} processed: ${JSON.stringify(summary.outcomes.find((o) => o.kind !== 'processed'))}`,
    );
  return {
    name,
    docs: files.length,
    concurrency,
    seconds,
    docsPerSec: files.length / seconds,
    msPerDoc: (seconds * 1000) / files.length,
  };
}

async function baseline() {
  const { files, db } = await stage('baseline');
  await db.close();
  const t0 = performance.now();
  for (const f of files) {
    const file = await readDocumentFile(f, Number.MAX_SAFE_INTEGER);
    createHash('sha256').update(file.bytes).digest('hex');
    await readPdf(file.bytes, { ocr: false });
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    name: 'baseline: read + hash + pdf.js only',
    docs: files.length,
    seconds,
    docsPerSec: files.length / seconds,
    msPerDoc: (seconds * 1000) / files.length,
  };
}

try {
  // Warm-up (JIT, pdf.js worker, SQLite page cache) so the first measured run is not penalised.
  const savedN = N;
  await run('warm-up', new LocalExtractor(), 2);
  void savedN;
  const base = await baseline();
  const overhead = await run('pipeline, instant extractor (overhead)', instant, 1);
  const local1 = await run('pipeline, local provider', new LocalExtractor(), 1);
  const local4 = await run('pipeline, local provider', new LocalExtractor(), 4);
  const perDocOverheadMs = overhead.msPerDoc - base.msPerDoc;
  const results = {
    when: new Date().toISOString(),
    docs: N,
    baseline: base,
    runs: [overhead, local1, local4],
    perDocumentOverheadMs: perDocOverheadMs,
    ratios: {
      overheadVsBaseline: overhead.msPerDoc / base.msPerDoc,
      local4VsLocal1: local4.docsPerSec / local1.docsPerSec,
    },
  };
  console.log(
    `baseline (hash + pdf.js):          ${base.msPerDoc.toFixed(2)} ms/doc  ${base.docsPerSec.toFixed(1)} docs/s`,
  );
  console.log(
    `pipeline, instant extractor:       ${overhead.msPerDoc.toFixed(2)} ms/doc  ${overhead.docsPerSec.toFixed(1)} docs/s  (x${results.ratios.overheadVsBaseline.toFixed(2)} of baseline)`,
  );
  console.log(
    `  => pipeline overhead per document (claim, persist, file, fsync...): ${perDocOverheadMs.toFixed(2)} ms`,
  );
  console.log(`local provider, concurrency 1:     ${local1.docsPerSec.toFixed(1)} docs/s`);
  console.log(
    `local provider, concurrency 4:     ${local4.docsPerSec.toFixed(1)} docs/s  (x${results.ratios.local4VsLocal1.toFixed(2)} of concurrency 1)`,
  );
  await mkdir(join(repo, 'bench-results'), { recursive: true });
  await writeFile(join(repo, 'bench-results', 'pipeline.json'), JSON.stringify(results, null, 2) + '\n');
} finally {
  await rm(root, { recursive: true, force: true });
}
