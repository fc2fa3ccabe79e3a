/**
 * Load bench of `autod serve` against a bare fastify baseline, both in their own processes on loopback, measured in
 * the same run. Runs the built CLI and server: `pnpm turbo run build` first, then `pnpm --filter @autod/server bench`.
 *
 * Each of AUTOD_BENCH_RUNS rounds (default 3; the report gives medians):
 *   1. health at a fixed 1,000 req/s (p99, autocannon with coordinated-omission correction) of autod's /health/live,
 *      then /health/ready, each at the same time as the bare fastify baseline (same JSON), WHILE autod processes
 *      documents (distinct one-page PDFs, built beforehand, uploaded at AUTOD_BENCH_DOCS_PER_SECOND, default 10);
 *   1b. the same probes one server at a time (autod's, then the baseline's: one load generator running) while autod
 *      processes a steady trickle of documents (AUTOD_BENCH_TRICKLE_DOCS_PER_SECOND, default 1) — a machine the bench
 *      itself does not saturate;
 *   2. flat-out req/s of /health/live against the baseline (no document load);
 *   3. 1 MB PDF uploads over 4 connections (AUTOD_BENCH_BIG_UPLOADS, default 300, identical bytes: the first is
 *      processed, the rest are filed as duplicates) against bare fastify + @fastify/multipart streaming to disk with
 *      SHA-256 computed while streaming, the two taking turns to go first; also the CPU per upload of each process
 *      (autod's until every copy is filed).
 * Then a soak (100 distinct uploads/min for AUTOD_BENCH_UPLOAD_SECONDS, default 30, or AUTOD_BENCH_SOAK_MINUTES),
 * a check that every accepted upload ended in processed/, duplicates/ or failed/ (by sha256) with an empty inbox, and
 * RSS of both processes: idle (after start), peak, and after load (AUTOD_BENCH_SETTLE_SECONDS, default 45, sampled every 5 s, after the
 * last document was filed).
 *
 * `autod serve` gets the glibc malloc settings of the ./autod launcher (scripts/malloc-env.sh);
 * AUTOD_BENCH_MALLOC_DEFAULTS=0 runs it with glibc's defaults.
 *
 * Writes <repo>/bench-results/server-load.json; exits 1 when an accepted upload was lost.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, mkdir, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { buildTextPdf } from '@autod/testkit';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const CLI = join(repo, 'apps/cli/dist/bin.js');
const TOKEN = 'bench-token-0123456789abcdef';
const RUNS = Number(process.env.AUTOD_BENCH_RUNS ?? 3);
const HEALTH_SECONDS = Number(process.env.AUTOD_BENCH_HEALTH_SECONDS ?? 10);
const FLAT_SECONDS = Math.max(2, Math.round(HEALTH_SECONDS / 2));
const DOCS_PER_SECOND = Number(process.env.AUTOD_BENCH_DOCS_PER_SECOND ?? 10);
const SOAK_SECONDS = process.env.AUTOD_BENCH_SOAK_MINUTES
  ? Number(process.env.AUTOD_BENCH_SOAK_MINUTES) * 60
  : Number(process.env.AUTOD_BENCH_UPLOAD_SECONDS ?? 30);
/** Documents per second uploaded while each server's health is measured alone (step 1b). */
const TRICKLE_PER_SECOND = Number(process.env.AUTOD_BENCH_TRICKLE_DOCS_PER_SECOND ?? 1);
const UPLOADS_PER_MINUTE = Number(process.env.AUTOD_BENCH_UPLOADS_PER_MINUTE ?? 100);
const BIG_UPLOADS = Number(process.env.AUTOD_BENCH_BIG_UPLOADS ?? 300);
const SETTLE_SECONDS = Number(process.env.AUTOD_BENCH_SETTLE_SECONDS ?? 45);
const HEALTH_RATE = 1000;
/**
 * `autod serve` runs with the glibc malloc settings the `./autod` launcher sets (scripts/malloc-env.sh), as a service
 * does; AUTOD_BENCH_MALLOC_DEFAULTS=0 runs it with glibc's defaults (to measure what they change).
 */
const MALLOC_DEFAULTS = process.env.AUTOD_BENCH_MALLOC_DEFAULTS !== '0';
function mallocEnv() {
  if (!MALLOC_DEFAULTS) return {};
  const out = execFileSync('bash', ['-c', '. "$1" && env -0', 'malloc-env', join(repo, 'scripts/malloc-env.sh')], {
    env: { PATH: process.env.PATH },
  });
  return Object.fromEntries(
    String(out)
      .split('\0')
      .filter((kv) => kv.startsWith('MALLOC_'))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const round = (n, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log('[bench]', ...a);

function cannon(opts) {
  return new Promise((resolvePromise, reject) => {
    autocannon({ workers: 1, ...opts }, (err, result) => (err ? reject(err) : resolvePromise(result)));
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

async function filesIn(dir) {
  try {
    return (await readdir(dir, { withFileTypes: true, recursive: true })).filter((e) => e.isFile()).length;
  } catch {
    return 0;
  }
}

/** Resident set size of a process in MB (Linux). */
async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return round(kb / 1024, 1);
}

/** CPU time (user + system, every thread) of a process so far, in ms (Linux /proc; clock ticks of 10 ms). */
async function cpuMs(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** Starts a process that prints `{"event":"ready","address":…}` on stdout; resolves with its address. */
function startProcess(args, options) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const stderr = [];
  child.stderr.on('data', (d) => {
    stderr.push(String(d));
    if (stderr.length > 200) stderr.shift();
  });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r(code ?? signal)));
  const ready = new Promise((resolvePromise, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const msg = JSON.parse(line);
        if (msg.event === 'ready') resolvePromise(msg.address);
      } catch {
        // not ours
      }
    });
    void exited.then((code) => reject(new Error(`${args[0]} exited with ${code}: ${stderr.join('').slice(-2000)}`)));
  });
  return {
    child,
    ready,
    stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `count` distinct one-page PDFs as multipart bodies, built before a phase so that the client does no work then. */
async function documentForms(count, label) {
  const forms = [];
  for (let n = 0; n < count; n++) {
    const pdf = await buildTextPdf([
      [
        '**INVOICE',
        `${label} Customer ${n} GmbH`,
        `Invoice number: ${label}-${n}`,
        'Invoice date: 2024-06-01',
        `Total due: ${(n + 1) * 3}.50 EUR`,
      ],
    ]);
    forms.push({ sha256: sha256(pdf), ...multipart(`${label}-${n}.pdf`, pdf) });
  }
  return forms;
}

/** Uploads the prepared `forms` at `perSecond` until stopped (or out of forms); returns what was accepted. */
function documentLoad(base, perSecond, forms) {
  let stopped = false;
  const accepted = [];
  const rejected = [];
  const inflight = new Set();
  let i = 0;
  const loop = (async () => {
    const start = performance.now();
    while (!stopped && i < forms.length) {
      const due = start + (i * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (stopped) break;
      const n = i++;
      const form = forms[n];
      const p = fetch(`${base}/v1/documents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': form.contentType },
        body: form.body,
      })
        .then(async (res) => {
          const body = await res.json();
          if (res.status === 202 && body.sha256 === form.sha256) accepted.push(body.sha256);
          else rejected.push({ n, status: res.status, body });
        })
        .catch((error) => rejected.push({ n, error: String(error) }))
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
  })();
  return {
    accepted,
    rejected,
    async stop() {
      stopped = true;
      await loop;
      await Promise.all([...inflight]);
      return { sent: i, accepted: accepted.length, rejected: rejected.length };
    },
  };
}

/** Waits until every accepted upload has been filed and the inbox is empty (bounded). */
async function waitFiled(paths, expected, timeoutMs = 300_000) {
  const t0 = performance.now();
  for (;;) {
    const filed =
      (await filesIn(paths.processed)) +
      (await filesIn(paths.duplicates)) +
      (await filesIn(paths.failed)) / 2; /* a failed file has its .error.json beside it */
    const inbox = await filesIn(paths.inbox);
    if ((filed >= expected && inbox === 0) || performance.now() - t0 > timeoutMs)
      return (performance.now() - t0) / 1000;
    await sleep(250);
  }
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'autod-bench-server-'));
  const paths = {
    inbox: join(dir, 'inbox'),
    processed: join(dir, 'processed'),
    duplicates: join(dir, 'duplicates'),
    failed: join(dir, 'failed'),
  };
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    AUTOD_DATA_DIR: dir,
    AUTOD_INBOX_DIR: paths.inbox,
    AUTOD_PROCESSED_DIR: paths.processed,
    AUTOD_DUPLICATES_DIR: paths.duplicates,
    AUTOD_FAILED_DIR: paths.failed,
    AUTOD_SERVER_TOKEN: TOKEN,
    AUTOD_PROVIDER: 'local',
    AUTOD_OCR: 'false',
    AUTOD_MAX_FILE_MB: '5',
    AUTOD_LOG_LEVEL: 'warn',
    AUTOD_SERVER_RATE_LIMIT: '100000',
    LOG_FORMAT: 'json',
  };
  const autod = startProcess([CLI, '--json', 'serve', '--host', '127.0.0.1', '--port', '0'], {
    cwd: dir,
    env: { ...env, ...mallocEnv() },
  });
  const bare = startProcess([join(here, 'baseline.mjs'), join(dir, 'baseline-uploads')], { cwd: dir, env });
  const results = {
    bench: '@autod/server load (autod serve vs bare fastify)',
    node: process.version,
    cpus: cpus().length,
    date: new Date().toISOString(),
    config: {
      runs: RUNS,
      healthSeconds: HEALTH_SECONDS,
      flatSeconds: FLAT_SECONDS,
      docsPerSecondDuringHealth: DOCS_PER_SECOND,
      soakSeconds: SOAK_SECONDS,
      uploadsPerMinute: UPLOADS_PER_MINUTE,
      bigUploads: BIG_UPLOADS,
      settleSeconds: SETTLE_SECONDS,
      mallocEnv: mallocEnv(),
    },
  };
  const rss = { autod: { samples: [] }, bare: { samples: [] } };
  let sampler;
  try {
    const [base, bareBase] = await Promise.all([autod.ready, bare.ready]);
    await sleep(3000);
    rss.autod.idleMb = await rssMb(autod.child.pid);
    rss.bare.idleMb = await rssMb(bare.child.pid);
    sampler = setInterval(() => {
      void rssMb(autod.child.pid).then(
        (mb) => rss.autod.samples.push(mb),
        () => undefined,
      );
      void rssMb(bare.child.pid).then(
        (mb) => rss.bare.samples.push(mb),
        () => undefined,
      );
    }, 500);
    log(`idle RSS: autod ${rss.autod.idleMb} MB, bare fastify ${rss.bare.idleMb} MB`);

    const auth = { authorization: `Bearer ${TOKEN}` };
    const big = await bigPdf(1024 * 1024);
    const bigForm = multipart('big.pdf', big);
    const accepted = [];
    const rounds = [];
    for (let round_ = 1; round_ <= RUNS; round_++) {
      const r = { loadAverageBefore: loadavg().map((n) => round(n, 2)) };
      // 1. health at 1,000 req/s while autod processes documents, the baseline measured at the same time
      log(
        `round ${round_}/${RUNS}: health at ${HEALTH_RATE} req/s for ${HEALTH_SECONDS}s (live, then ready, each beside the baseline)`,
      );
      const fixed = { connections: 20, duration: HEALTH_SECONDS, overallRate: HEALTH_RATE };
      const forms = await documentForms(Math.ceil(DOCS_PER_SECOND * (2 * HEALTH_SECONDS + 2)), `r${round_}`);
      const filedBefore = (await filesIn(paths.processed)) + (await filesIn(paths.duplicates));
      const docs = documentLoad(base, DOCS_PER_SECOND, forms);
      await sleep(1000); // let processing start before measuring
      // The baseline is measured at the same time (same machine, same moment: a shared machine's load hits both).
      const [bareLive, live] = await Promise.all([
        cannon({ url: `${bareBase}/health`, ...fixed }),
        cannon({ url: `${base}/health/live`, ...fixed }),
      ]);
      const [bareReady, ready] = await Promise.all([
        cannon({ url: `${bareBase}/health`, ...fixed }),
        cannon({ url: `${base}/health/ready`, ...fixed }),
      ]);
      const load = await docs.stop();
      accepted.push(...docs.accepted);
      const filedDuring = (await filesIn(paths.processed)) + (await filesIn(paths.duplicates)) - filedBefore;
      r.health = {
        bareFastifyDuringLive: summarize(bareLive),
        live: summarize(live),
        bareFastifyDuringReady: summarize(bareReady),
        ready: summarize(ready),
        documentLoad: { ...load, filedWhileMeasuring: filedDuring, rejectedSample: docs.rejected.slice(0, 3) },
        p99RatioLive: round(live.latency.p99 / Math.max(1, bareLive.latency.p99), 2),
        p99RatioReady: round(ready.latency.p99 / Math.max(1, bareReady.latency.p99), 2),
      };
      log(
        `  p99 live ${live.latency.p99} ms vs bare ${bareLive.latency.p99} ms (${r.health.p99RatioLive}×), ready ${ready.latency.p99} ms vs bare ${bareReady.latency.p99} ms (${r.health.p99RatioReady}×); ${load.accepted} docs uploaded, ${filedDuring} filed meanwhile`,
      );
      await waitFiled(paths, accepted.length, 120_000);

      // 1b. one load generator at a time (autod, then the baseline) while autod processes a steady trickle of
      // documents: the p99 a probe sees on a machine that is not saturated by the bench itself.
      const trickle = await documentForms(Math.ceil(TRICKLE_PER_SECOND * (4 * HEALTH_SECONDS + 2)), `t${round_}`);
      const slow = documentLoad(base, TRICKLE_PER_SECOND, trickle);
      await sleep(1000);
      const alone = {
        live: summarize(await cannon({ url: `${base}/health/live`, ...fixed })),
        bareLive: summarize(await cannon({ url: `${bareBase}/health`, ...fixed })),
        ready: summarize(await cannon({ url: `${base}/health/ready`, ...fixed })),
        bareReady: summarize(await cannon({ url: `${bareBase}/health`, ...fixed })),
      };
      const trickleLoad = await slow.stop();
      accepted.push(...slow.accepted);
      r.healthAlone = {
        ...alone,
        documentLoad: { perSecond: TRICKLE_PER_SECOND, ...trickleLoad },
        p99RatioLive: round(alone.live.latencyMs.p99 / Math.max(1, alone.bareLive.latencyMs.p99), 2),
        p99RatioReady: round(alone.ready.latencyMs.p99 / Math.max(1, alone.bareReady.latencyMs.p99), 2),
      };
      log(
        `  one at a time, ${TRICKLE_PER_SECOND} doc/s processed: p99 live ${alone.live.latencyMs.p99} ms vs bare ${alone.bareLive.latencyMs.p99} ms, ready ${alone.ready.latencyMs.p99} ms vs bare ${alone.bareReady.latencyMs.p99} ms; ${trickleLoad.accepted} docs uploaded`,
      );
      await waitFiled(paths, accepted.length, 120_000);

      // 2. flat out (no document load)
      const flat = await cannon({ url: `${base}/health/live`, connections: 20, duration: FLAT_SECONDS });
      const bareFlat = await cannon({ url: `${bareBase}/health`, connections: 20, duration: FLAT_SECONDS });
      r.flatOut = {
        autod: summarize(flat),
        bareFastify: summarize(bareFlat),
        rpsRatio: round(flat.requests.average / bareFlat.requests.average, 3),
      };
      log(
        `  flat out: autod ${round(flat.requests.average)} req/s, bare ${round(bareFlat.requests.average)} (${r.flatOut.rpsRatio}×)`,
      );

      // 3. 1 MB uploads over 4 connections
      // Four clients posting one after another until BIG_UPLOADS are done, timed to the millisecond (autocannon's
      // `amount` ends on its one-second tick, too coarse for runs of one or two seconds).
      const upload = async (url) => {
        let next = 0;
        let ok = 0;
        const latencies = [];
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            while (next < BIG_UPLOADS) {
              next++;
              const started = performance.now();
              const res = await fetch(url, {
                method: 'POST',
                headers: { ...auth, 'content-type': bigForm.contentType },
                body: bigForm.body,
              });
              await res.arrayBuffer();
              latencies.push(performance.now() - started);
              if (res.status === 202) ok++;
            }
          }),
        );
        const seconds = (performance.now() - t0) / 1000;
        latencies.sort((a, b) => a - b);
        const pct = (q) => round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0, 1);
        return {
          uploads: BIG_UPLOADS,
          ok2xx: ok,
          seconds: round(seconds, 3),
          uploadsPerSecond: round(ok / seconds, 1),
          latencyMs: { p50: pct(0.5), p99: pct(0.99) },
        };
      };
      // CPU per upload (every thread of the process; autod's until the last upload is filed — its extraction worker
      // files each copy as a duplicate): steadier than uploads/s, which swings with what else the two cores run.
      const bareUploads = async () => {
        const cpu0 = await cpuMs(bare.child.pid);
        const result = await upload(`${bareBase}/upload`);
        return { result, cpu: (await cpuMs(bare.child.pid)) - cpu0 };
      };
      // Full (mark-compact) collections of autod's main thread, from its own /metrics (prom-client's GC histogram).
      const majorGcs = async () => {
        const text = await (await fetch(`${base}/metrics`, { headers: auth })).text();
        const line = text.split('\n').find((l) => l.startsWith('nodejs_gc_duration_seconds_count{kind="major"}'));
        return line ? Number(line.split(' ').pop()) : 0;
      };
      const autodUploads = async () => {
        const cpu0 = await cpuMs(autod.child.pid);
        const gc0 = await majorGcs();
        const result = await upload(`${base}/v1/documents`);
        const fullGcs = (await majorGcs()) - gc0;
        accepted.push(...Array(result.ok2xx).fill(sha256(big)));
        await waitFiled(paths, accepted.length, 120_000);
        return { result: { ...result, fullGcsOfMainThread: fullGcs }, cpu: (await cpuMs(autod.child.pid)) - cpu0 };
      };
      // The two take turns to go first (the second one runs on a machine the first just warmed and dirtied).
      const first = round_ % 2 === 1 ? await bareUploads() : await autodUploads();
      const second = round_ % 2 === 1 ? await autodUploads() : await bareUploads();
      const [bareRun, autodRun] = round_ % 2 === 1 ? [first, second] : [second, first];
      const { result: bareUp, cpu: bareCpu } = bareRun;
      const { result: up, cpu: autodCpu } = autodRun;
      r.uploads = {
        fileBytes: big.length,
        autod: { ...up, cpuMsPerUpload: round(autodCpu / Math.max(1, up.ok2xx), 2) },
        bareFastifyMultipart: { ...bareUp, cpuMsPerUpload: round(bareCpu / Math.max(1, bareUp.ok2xx), 2) },
        ratio: round(up.uploadsPerSecond / Math.max(0.001, bareUp.uploadsPerSecond), 2),
        cpuRatio: round(autodCpu / Math.max(1, up.ok2xx) / Math.max(0.001, bareCpu / Math.max(1, bareUp.ok2xx)), 2),
      };
      log(
        `  1 MB uploads: autod ${up.uploadsPerSecond}/s, bare fastify multipart→disk ${bareUp.uploadsPerSecond}/s (${r.uploads.ratio}×); CPU per upload ${r.uploads.autod.cpuMsPerUpload} vs ${r.uploads.bareFastifyMultipart.cpuMsPerUpload} ms (${r.uploads.cpuRatio}×, autod's until filed); autod's main thread ran ${up.fullGcsOfMainThread} full GCs during them`,
      );
      r.loadAverageAfter = loadavg().map((n) => round(n, 2));
      rounds.push(r);
    }
    results.rounds = rounds;
    const med = (f) => median(rounds.map(f));
    results.medians = {
      healthP99Ms: {
        bareFastifyDuringLive: med((r) => r.health.bareFastifyDuringLive.latencyMs.p99),
        bareFastifyDuringReady: med((r) => r.health.bareFastifyDuringReady.latencyMs.p99),
        live: med((r) => r.health.live.latencyMs.p99),
        ready: med((r) => r.health.ready.latencyMs.p99),
      },
      healthP99Ratio: { live: med((r) => r.health.p99RatioLive), ready: med((r) => r.health.p99RatioReady) },
      healthAloneP99Ms: {
        live: med((r) => r.healthAlone.live.latencyMs.p99),
        bareLive: med((r) => r.healthAlone.bareLive.latencyMs.p99),
        ready: med((r) => r.healthAlone.ready.latencyMs.p99),
        bareReady: med((r) => r.healthAlone.bareReady.latencyMs.p99),
      },
      flatOutRps: {
        autod: med((r) => r.flatOut.autod.rps),
        bareFastify: med((r) => r.flatOut.bareFastify.rps),
        ratio: med((r) => r.flatOut.rpsRatio),
      },
      uploadsPerSecond: {
        autod: med((r) => r.uploads.autod.uploadsPerSecond),
        bareFastifyMultipart: med((r) => r.uploads.bareFastifyMultipart.uploadsPerSecond),
        ratio: med((r) => r.uploads.ratio),
      },
      uploadCpuMsPerUpload: {
        autod: med((r) => r.uploads.autod.cpuMsPerUpload),
        bareFastifyMultipart: med((r) => r.uploads.bareFastifyMultipart.cpuMsPerUpload),
        ratio: med((r) => r.uploads.cpuRatio),
      },
      fullGcsDuringUploads: med((r) => r.uploads.autod.fullGcsOfMainThread),
      loadAverage: med((r) => r.loadAverageAfter[0]),
    };

    // 4. soak: distinct uploads at a steady rate
    const total = Math.round((SOAK_SECONDS / 60) * UPLOADS_PER_MINUTE);
    log(`soak: ${total} distinct uploads at ${UPLOADS_PER_MINUTE}/min`);
    const soakForms = await documentForms(total, 'soak');
    const soakStart = performance.now();
    const soak = documentLoad(base, UPLOADS_PER_MINUTE / 60, soakForms);
    await sleep(SOAK_SECONDS * 1000);
    const soakLoad = await soak.stop();
    accepted.push(...soak.accepted);
    const sendSeconds = (performance.now() - soakStart) / 1000;
    const drainSeconds = await waitFiled(paths, accepted.length);
    results.soak = {
      ...soakLoad,
      rejectedSample: soak.rejected.slice(0, 10),
      sendSeconds: round(sendSeconds, 1),
      drainSecondsAfterLastUpload: round(drainSeconds, 2),
    };

    // RSS after load: once everything is filed, give the process SETTLE_SECONDS
    const peak = Math.max(...rss.autod.samples);
    const barePeak = Math.max(...rss.bare.samples);
    log(`all filed; settling ${SETTLE_SECONDS}s before measuring RSS`);
    const settle = [];
    for (let t = 5; t <= SETTLE_SECONDS; t += 5) {
      await sleep(5000);
      settle.push({ seconds: t, autodMb: await rssMb(autod.child.pid), bareMb: await rssMb(bare.child.pid) });
    }
    rss.autod.afterLoadMb = await rssMb(autod.child.pid);
    rss.bare.afterLoadMb = await rssMb(bare.child.pid);
    results.rss = {
      autod: { idleMb: rss.autod.idleMb, peakMb: peak, afterLoadMb: rss.autod.afterLoadMb },
      bareFastify: { idleMb: rss.bare.idleMb, peakMb: barePeak, afterLoadMb: rss.bare.afterLoadMb },
      settle,
      autodAfterVsIdle: round(rss.autod.afterLoadMb / rss.autod.idleMb, 2),
      bareAfterVsIdle: round(rss.bare.afterLoadMb / rss.bare.idleMb, 2),
    };
    log(
      `RSS autod idle ${rss.autod.idleMb} / peak ${peak} / after ${rss.autod.afterLoadMb} MB (${results.rss.autodAfterVsIdle}× idle); bare ${rss.bare.idleMb} / ${barePeak} / ${rss.bare.afterLoadMb} MB`,
    );

    // verification: the multiset of accepted sha256s equals the multiset of files filed in the three folders
    const filed = [
      ...(await hashTree(paths.processed)),
      ...(await hashTree(paths.duplicates)),
      ...(await hashTree(paths.failed)),
    ];
    const count = (list) => list.reduce((m, s) => m.set(s, (m.get(s) ?? 0) + 1), new Map());
    const want = count(accepted);
    const got = count(filed);
    const missing = [...want]
      .filter(([s, n]) => (got.get(s) ?? 0) < n)
      .map(([s, n]) => ({ sha256: s, expected: n, found: got.get(s) ?? 0 }));
    const inboxLeft = (await readdir(paths.inbox, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name);
    const rejectedCount = rounds.reduce((n, r) => n + r.health.documentLoad.rejected, 0) + soakLoad.rejected;
    const status = await fetch(`${base}/v1/documents/${sha256(big)}`, { headers: auth }).then((r) => r.json());
    results.verification = {
      acceptedUploads: accepted.length,
      filedFiles: filed.length,
      missing: missing.slice(0, 10),
      missingCount: missing.length,
      inboxLeft,
      rejectedUploads: rejectedCount,
      bigDocumentStatus: status?.status ?? status?.document?.status ?? null,
      lostNothing: missing.length === 0 && inboxLeft.length === 0 && rejectedCount === 0,
    };
    log(
      `verification: ${accepted.length} accepted, ${filed.length} filed, missing ${missing.length}, inbox left ${inboxLeft.length}, rejected ${rejectedCount} → lostNothing=${results.verification.lostNothing}`,
    );
    log('medians:', JSON.stringify(results.medians));
  } finally {
    if (sampler) clearInterval(sampler);
    const [autodExit] = await Promise.all([autod.stop(), bare.stop()]);
    results.autodExitCode = autodExit;
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(join(repo, 'bench-results'), { recursive: true });
  const out = join(repo, 'bench-results', 'server-load.json');
  await writeFile(out, JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${out}`);
  if (!results.verification?.lostNothing) process.exitCode = 1;
}

await main();
