/**
 * Load bench of the autod HTTP server (loopback, bounded). Imports the built dist: run `pnpm turbo run build
 * --filter=@autod/server...` first, then `pnpm --filter @autod/server bench`.
 *
 *   1. health: GET /health/live at a fixed 1,000 req/s (p99 latency), then flat out; baseline = a bare
 *      node:http server answering the same JSON, measured the same way in this run.
 *   2. upload throughput: POST /v1/documents with a 1 MB PDF (AUTOD_BENCH_BIG_UPLOADS, default 60) over 4 connections.
 *   3. soak: 100 distinct uploads per minute for AUTOD_BENCH_UPLOAD_SECONDS (default 60) or
 *      AUTOD_BENCH_SOAK_MINUTES (the seed's target: 5), then verify that every accepted upload ended in
 *      processed/, duplicates/ or failed/ (by sha256) and that the inbox is empty.
 *
 * Writes <repo>/bench-results/server-load.json.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { loadConfig } from '@autod/config';
import { createRuntime } from '@autod/runtime';
import { startServer } from '@autod/server';
import { buildTextPdf } from '@autod/testkit';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const TOKEN = 'bench-token-0123456789abcdef';
const HEALTH_SECONDS = Number(process.env.AUTOD_BENCH_HEALTH_SECONDS ?? 10);
const SOAK_SECONDS = process.env.AUTOD_BENCH_SOAK_MINUTES
  ? Number(process.env.AUTOD_BENCH_SOAK_MINUTES) * 60
  : Number(process.env.AUTOD_BENCH_UPLOAD_SECONDS ?? 60);
const UPLOADS_PER_MINUTE = Number(process.env.AUTOD_BENCH_UPLOADS_PER_MINUTE ?? 100);
const BIG_UPLOADS = Number(process.env.AUTOD_BENCH_BIG_UPLOADS ?? 60);
const HEALTH_RATE = 1000;

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const round = (n, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const log = (...a) => console.log('[bench]', ...a);

function cannon(opts) {
  return new Promise((resolvePromise, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolvePromise(result)));
  });
}

function summarize(r) {
  return {
    requests: r.requests.total,
    rps: round(r.requests.average, 1),
    ok2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
  };
}

function multipart(name, bytes) {
  const boundary = `----autodbench${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    body: Buffer.concat([head, Buffer.from(bytes), tail]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/**
 * A one-page invoice padded to `targetBytes` with a comment block after the header (xref offsets shifted), so the
 * upload path moves 1 MB while the pipeline's PDF parsing stays cheap: this measures ingest, not pdf.js.
 */
async function bigPdf(targetBytes) {
  const pdf = Buffer.from(
    await buildTextPdf([['**INVOICE', 'Bigfile Ltd', 'Invoice date: 2024-02-01', 'Total due: 10.00 EUR']]),
  );
  const text = pdf.toString('latin1');
  const headerEnd = text.indexOf('\n', text.indexOf('\n') + 1) + 1; // after "%PDF-x.y" and the binary comment line
  const padLine = `%${'x'.repeat(1021)}\n`;
  const lines = Math.ceil((targetBytes - pdf.length) / padLine.length);
  const pad = padLine.repeat(Math.max(0, lines));
  const delta = pad.length;
  let body = text.slice(0, headerEnd) + pad + text.slice(headerEnd);
  body = body.replace(
    /^(\d{10}) (\d{5}) n/gm,
    (_m, off, gen) => `${String(Number(off) + delta).padStart(10, '0')} ${gen} n`,
  );
  body = body.replace(/startxref\s+(\d+)/, (_m, off) => `startxref\n${Number(off) + delta}`);
  return Buffer.from(body, 'latin1');
}

async function hashTree(dir) {
  const out = [];
  let entries = [];
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isFile() || e.name.endsWith('.error.json')) continue;
    out.push(sha256(await readFile(join(e.parentPath, e.name))));
  }
  return out;
}

async function baselineServer() {
  const body = JSON.stringify({
    status: 'pass',
    httpStatus: 200,
    checks: [],
    timestamp: new Date().toISOString(),
    uptimeSeconds: 1,
  });
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'autod-bench-server-'));
  const config = loadConfig({
    env: {
      AUTOD_DATA_DIR: dir,
      AUTOD_SERVER_TOKEN: TOKEN,
      AUTOD_PROVIDER: 'local',
      AUTOD_OCR: 'false',
      AUTOD_MAX_FILE_MB: '5',
      AUTOD_WATCH_POLL_MS: '50',
      AUTOD_LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    },
    cwd: dir,
    envFile: false,
  });
  const runtime = await createRuntime(config, { logDestination: createWriteStream(join(dir, 'server.log')) });
  const server = await startServer(runtime, {
    host: '127.0.0.1',
    port: 0,
    handleSignals: false,
    rateLimitPerMinute: 10_000_000,
  });
  const base = server.address;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const results = { bench: '@autod/server load', node: process.version, date: new Date().toISOString(), config: {} };
  results.config = {
    healthSeconds: HEALTH_SECONDS,
    soakSeconds: SOAK_SECONDS,
    uploadsPerMinute: UPLOADS_PER_MINUTE,
    bigUploads: BIG_UPLOADS,
  };

  try {
    // 1. health
    log(`health: ${HEALTH_RATE} req/s for ${HEALTH_SECONDS}s`);
    const fixed = await cannon({
      url: `${base}/health/live`,
      connections: 20,
      duration: HEALTH_SECONDS,
      overallRate: HEALTH_RATE,
      workers: 1,
    });
    const flatSeconds = Math.max(2, Math.round(HEALTH_SECONDS / 2));
    log(`health: flat out for ${flatSeconds}s (autod, then baseline)`);
    const flat = await cannon({ url: `${base}/health/live`, connections: 20, duration: flatSeconds, workers: 1 });
    const bl = await baselineServer();
    const baseFixed = await cannon({
      url: bl.url,
      connections: 20,
      duration: Math.max(2, Math.round(HEALTH_SECONDS / 2)),
      overallRate: HEALTH_RATE,
      workers: 1,
    });
    const baseFlat = await cannon({ url: bl.url, connections: 20, duration: flatSeconds, workers: 1 });
    await bl.close();
    results.health = {
      at1000rps: summarize(fixed),
      flatOut: summarize(flat),
      baseline: { at1000rps: summarize(baseFixed), flatOut: summarize(baseFlat) },
      ratios: {
        flatOutRpsVsBaseline: round(flat.requests.average / baseFlat.requests.average, 3),
        p99VsBaselineAt1000rps: round(fixed.latency.p99 / Math.max(1, baseFixed.latency.p99), 2),
      },
      p99Under1000rpsMs: fixed.latency.p99,
      note: 'at1000rps uses autocannon overallRate with coordinated-omission correction, so scheduling stalls of a loaded machine (see loadAverage) count as latency; the bare node:http baseline measured the same way shows the machine share. flatOut is the same endpoint at the highest rate the client reaches.',
      loadAverage: loadavg().map((n) => round(n, 2)),
    };
    log(
      `health p99 at ${HEALTH_RATE} req/s: ${fixed.latency.p99} ms; flat out ${round(flat.requests.average)} req/s (${results.health.ratios.flatOutRpsVsBaseline}× bare node:http)`,
    );

    // 2. 1 MB upload throughput (identical bytes: the first is processed, the rest are filed as duplicates)
    const big = await bigPdf(1024 * 1024);
    const bigForm = multipart('big.pdf', big);
    log(`uploads: ${BIG_UPLOADS} × ${round(big.length / 1024 / 1024, 2)} MB`);
    const t0 = performance.now();
    const up = await cannon({
      url: `${base}/v1/documents`,
      method: 'POST',
      connections: 4,
      amount: BIG_UPLOADS,
      headers: { ...auth, 'content-type': bigForm.contentType },
      body: bigForm.body,
      timeout: 60,
    });
    const upSeconds = (performance.now() - t0) / 1000;
    results.uploadThroughput = {
      fileBytes: big.length,
      ...summarize(up),
      uploadsPerSecond: round(up['2xx'] / upSeconds, 1),
      megabytesPerSecond: round((up['2xx'] * big.length) / 1024 / 1024 / upSeconds, 1),
    };
    log(
      `uploads: ${results.uploadThroughput.uploadsPerSecond}/s = ${results.uploadThroughput.megabytesPerSecond} MB/s accepted, p99 ${up.latency.p99} ms`,
    );
    const accepted = Array(up['2xx']).fill(sha256(big));

    // 3. soak: distinct uploads at a steady rate
    const total = Math.round((SOAK_SECONDS / 60) * UPLOADS_PER_MINUTE);
    const intervalMs = 60_000 / UPLOADS_PER_MINUTE;
    log(`soak: ${total} distinct uploads, one every ${round(intervalMs)} ms (${round(SOAK_SECONDS / 60, 2)} min)`);
    const soakStart = performance.now();
    const rejected = [];
    const latencies = [];
    const inflight = [];
    for (let i = 0; i < total; i++) {
      const due = soakStart + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const pdf = await buildTextPdf([
        [
          '**INVOICE',
          `Soak Customer ${i} GmbH`,
          `Invoice number: SOAK-${i}`,
          'Invoice date: 2024-06-01',
          `Total due: ${(i + 1) * 3}.50 EUR`,
        ],
      ]);
      const form = multipart(`soak-${i}.pdf`, pdf);
      const started = performance.now();
      inflight.push(
        fetch(`${base}/v1/documents`, {
          method: 'POST',
          headers: { ...auth, 'content-type': form.contentType },
          body: form.body,
        })
          .then(async (res) => {
            latencies.push(performance.now() - started);
            const body = await res.json();
            if (res.status === 202 && body.sha256 === sha256(pdf)) accepted.push(body.sha256);
            else rejected.push({ i, status: res.status, body });
          })
          .catch((error) => rejected.push({ i, error: String(error) })),
      );
    }
    await Promise.all(inflight);
    const sendSeconds = (performance.now() - soakStart) / 1000;
    log('soak: all sent; waiting for processing to finish');
    const drainStart = performance.now();
    await server.app.autod.work.idle();
    const drainSeconds = (performance.now() - drainStart) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p) => round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0, 1);

    // verification: the multiset of accepted sha256s equals the multiset of files filed in the three folders
    const filed = [
      ...(await hashTree(config.paths.processed)),
      ...(await hashTree(config.paths.duplicates)),
      ...(await hashTree(config.paths.failed)),
    ];
    const count = (list) => list.reduce((m, s) => m.set(s, (m.get(s) ?? 0) + 1), new Map());
    const want = count(accepted);
    const got = count(filed);
    const missing = [...want]
      .filter(([s, n]) => (got.get(s) ?? 0) < n)
      .map(([s, n]) => ({ sha256: s, expected: n, found: got.get(s) ?? 0 }));
    const inboxLeft = (await readdir(config.paths.inbox, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name);
    const failedDocs = await runtime.db.documents.list({ status: 'failed', limit: 1 });
    results.uploadThroughput.documentStatus = (await runtime.db.documents.get(sha256(big)))?.status ?? null;
    results.soak = {
      uploads: total,
      accepted: total - rejected.length,
      rejected: rejected.slice(0, 10),
      rejectedCount: rejected.length,
      sendSeconds: round(sendSeconds, 1),
      achievedPerMinute: round((total / sendSeconds) * 60, 1),
      drainSecondsAfterLastUpload: round(drainSeconds, 2),
      uploadLatencyMs: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: round(latencies.at(-1) ?? 0, 1) },
    };
    results.verification = {
      acceptedUploads: accepted.length,
      filedFiles: filed.length,
      missing: missing.slice(0, 10),
      missingCount: missing.length,
      inboxLeft,
      failedDocuments: failedDocs.total,
      lostNothing: missing.length === 0 && inboxLeft.length === 0 && rejected.length === 0,
    };
    log(
      `soak: ${results.soak.accepted}/${total} accepted at ${results.soak.achievedPerMinute}/min, p99 ${results.soak.uploadLatencyMs.p99} ms`,
    );
    log(
      `verification: ${accepted.length} accepted, ${filed.length} filed, missing ${missing.length}, inbox left ${inboxLeft.length} → lostNothing=${results.verification.lostNothing}`,
    );
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(join(repo, 'bench-results'), { recursive: true });
  const out = join(repo, 'bench-results', 'server-load.json');
  await writeFile(out, JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${out}`);
  if (!results.verification.lostNothing) process.exitCode = 1;
}

await main();
