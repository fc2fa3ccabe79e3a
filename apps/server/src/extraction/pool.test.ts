import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAutodError } from '@autod/errors';
import { noopLogger } from '@autod/ops';
import type { PipelineEvent } from '@autod/pipeline';
import type { Runtime } from '@autod/runtime';
import { invoicePdf, makeRuntime, sha256, waitFor } from '../__tests__/helpers.js';
import { ExtractionPool, workerExecArgv } from './pool.js';

const FAKE = new URL('../__tests__/fake-extraction-worker.mjs', import.meta.url);
/**
 * The real worker, run by Node from its TypeScript source (type stripping), without vitest's `--conditions
 * @autod/source`: it loads the built packages (run `turbo run build` first, as for the e2e tests).
 */
const REAL = new URL('./worker.ts', import.meta.url);

/** The nice value of every thread of this process (Linux: field 19 of /proc/self/task/<tid>/stat). */
async function threadNiceValues(): Promise<number[]> {
  const tids = await readdir('/proc/self/task');
  const stats = await Promise.all(tids.map((t) => readFile(`/proc/self/task/${t}/stat`, 'utf8').catch(() => '')));
  return stats.filter(Boolean).map((s) => Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]));
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function fakePool(options: { idleMs?: number; execArgv?: string[] } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'autod-pool-'));
  const { runtime } = await makeRuntime(dir);
  const events: PipelineEvent[] = [];
  const pool = new ExtractionPool({
    config: runtime.config,
    logger: noopLogger,
    workerUrl: FAKE,
    onEvent: (e) => events.push(e),
    ...options,
  });
  cleanup.push(async () => {
    await pool.close();
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { pool, events };
}

describe('ExtractionPool', () => {
  it('fails the files of a worker that dies with a retryable error, and the next file starts a new worker', async () => {
    const { pool, events } = await fakePool();
    const crashed = await pool.processFile('/inbox/crash.pdf').catch((e: unknown) => e);
    expect(isAutodError(crashed) && crashed.code).toBe('INTERNAL');
    expect(isAutodError(crashed) && crashed.retryable).toBe(true);
    expect(String((crashed as Error).message)).toContain('/inbox/crash.pdf');
    expect(pool.workers).toBe(0);
    const outcome = await pool.processFile('/inbox/ok.pdf');
    expect(outcome).toEqual({ kind: 'skipped', path: '/inbox/ok.pdf', reason: 'ignored' });
    expect(pool.workers).toBe(1);
    expect(events).toEqual([{ type: 'file.started', path: '/inbox/ok.pdf' }]);
  });

  it('passes an abort on to the worker', async () => {
    const { pool } = await fakePool();
    const controller = new AbortController();
    const running = pool.processFile('/inbox/slow.pdf', controller.signal);
    await waitFor(async () => (pool.workers === 1 ? true : undefined));
    controller.abort(new Error('shutdown grace period over'));
    expect(await running).toMatchObject({
      kind: 'skipped',
      reason: 'aborted',
      path: 'Error: shutdown grace period over',
    });
  });

  it('lets an idle worker exit and keeps its counters in the snapshots', async () => {
    const { pool } = await fakePool({ idleMs: 20 });
    await pool.processFile('/inbox/a.pdf');
    await pool.processFile('/inbox/b.pdf');
    await waitFor(async () => (pool.workers === 0 ? true : undefined));
    const [retired] = await pool.snapshots();
    expect(retired?.find((m) => m.name === 'fake_files_total')?.values[0]?.value).toBe(2);
    await pool.processFile('/inbox/c.pdf');
    const total = (await pool.snapshots()).flat().filter((m) => m.name === 'fake_files_total');
    expect(total.map((m) => m.values[0]?.value).sort()).toEqual([1, 2]);
  });

  it('starts its worker without flags a worker cannot take in an explicit list (a V8 flag), not never', async () => {
    const { pool } = await fakePool({ execArgv: ['--max-old-space-size=256'] });
    expect(await pool.processFile('/inbox/ok.pdf')).toEqual({
      kind: 'skipped',
      path: '/inbox/ok.pdf',
      reason: 'ignored',
    });
    expect(pool.workers).toBe(1);
  });

  it("lets the workers inherit this process's Node flags, V8 flags included, but not --input-type", () => {
    expect(workerExecArgv([])).toBeUndefined();
    expect(workerExecArgv(['--max-old-space-size=4096', '--enable-source-maps'])).toBeUndefined();
    expect(workerExecArgv(['--input-type=module', '--enable-source-maps', '-e', 'code'])).toEqual([
      '--enable-source-maps',
      '-e',
      'code',
    ]);
  });

  it('refuses files once closed (the server is shutting down)', async () => {
    const { pool } = await fakePool();
    await pool.close();
    const refused = await pool.processFile('/inbox/late.pdf').catch((e: unknown) => e);
    expect(isAutodError(refused) && refused.code).toBe('SHUTTING_DOWN');
  });
});

describe('the extraction worker', () => {
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });

  it('runs the pipeline on its own runtime: the document is in the database, events and metrics come back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autod-pool-real-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    ({ runtime } = await makeRuntime(dir));
    const events: PipelineEvent[] = [];
    const pool = new ExtractionPool({
      config: runtime.config,
      logger: noopLogger,
      workerUrl: REAL,
      execArgv: [],
      onEvent: (e) => events.push(e),
    });
    cleanup.push(() => pool.close());
    const pdf = await invoicePdf('Worker Thread GmbH');
    const path = join(runtime.pipeline.dirs.inbox, 'worker.pdf');
    await writeFile(path, pdf);
    const outcome = await pool.processFile(path, undefined, { complete: true });
    expect(outcome).toMatchObject({ kind: 'processed', sha256: sha256(pdf) });
    expect((await runtime.db.documents.get(sha256(pdf)))?.status).toBe('completed');
    expect(events.map((e) => e.type)).toContain('file.finished');
    const metrics = (await pool.snapshots()).flat();
    const processed = metrics.find((m) => m.name === 'autod_documents_processed_total');
    expect(processed?.values.reduce((n, v) => n + v.value, 0)).toBe(1);
    // Background work: the worker thread runs at a lower CPU priority (nice 10) than the HTTP thread (Linux).
    if (process.platform === 'linux') expect(await threadNiceValues()).toContain(10);
    // Process-wide metrics stay the server's own.
    expect(metrics.find((m) => m.name === 'process_cpu_seconds_total')).toBeUndefined();
    // The same content again is a duplicate, decided by the worker through the shared database.
    const again = join(runtime.pipeline.dirs.inbox, 'again.pdf');
    await writeFile(again, pdf);
    expect((await pool.processFile(again, undefined, { complete: true })).kind).toBe('duplicate');
    // The upload's hash and file identity reach the worker: a file still as hashed is not hashed again there (here
    // other bytes under the original's hash, so only a worker that took the hash files it as a duplicate).
    const hashedCopy = join(runtime.pipeline.dirs.inbox, 'hashed.pdf');
    await writeFile(hashedCopy, await invoicePdf('Other Bytes Ltd'));
    const st = await stat(hashedCopy);
    const hashed = { sha256: sha256(pdf), sizeBytes: st.size, ino: st.ino, mtimeMs: st.mtimeMs };
    expect(await pool.processFile(hashedCopy, undefined, { complete: true, hashed })).toMatchObject({
      kind: 'duplicate',
      sha256: sha256(pdf),
    });
  });
});
