import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTempPostgres, startEmulator, type Emulator } from '@autod/testkit';
import { autodEnv, autodJson, corpusRoot, emulatorEnv, report, spawnAutod, type Child } from './batch-helpers.js';

const REDIS_URL = process.env['AUTOD_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const cleanups: (() => Promise<unknown>)[] = [];
let workers: Child[] = [];

afterEach(async () => {
  for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  workers = [];
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/**
 * A fresh database is migrated by one process first: processes that all start on an empty PostgreSQL database race
 * for knex's migration lock. Then `n` `autod worker` processes start together.
 */
async function startWorkers(
  n: number,
  env: Record<string, string>,
  cwd: string,
  concurrency: number,
): Promise<Child[]> {
  const prepared = await autodJson(['batch', '--list', '--json'], env, cwd);
  expect(prepared.data).toEqual([]);
  workers = Array.from({ length: n }, () =>
    spawnAutod(['worker', '--concurrency', String(concurrency), '--json'], env, cwd),
  );
  return workers;
}

function queueEnv(root: string, dbUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return autodEnv(root, {
    AUTOD_DB_URL: dbUrl,
    AUTOD_REDIS_URL: REDIS_URL,
    AUTOD_REDIS_PREFIX: `autod-e2e-${randomBytes(4).toString('hex')}`,
    ...extra,
  });
}

describe('autod batch --mode queue with 3 `autod worker` processes on Redis + PostgreSQL', () => {
  it('processes 300 items exactly once', async () => {
    const pg = await createTempPostgres();
    cleanups.push(() => pg.drop());
    const { root, inbox } = await corpusRoot(300);
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const env = queueEnv(root, pg.url);

    const ws = await startWorkers(3, env, root, 4);
    const producer = await autodJson(['batch', inbox, '--mode', 'queue', '--json'], env, root);
    expect(producer.code).toBe(0);
    expect(producer.data).toMatchObject({
      mode: 'queue',
      status: 'completed',
      counts: { total: 300, done: 300, pending: 0, failed: 0 },
    });
    const batchId = String(producer.data['batchId']);

    const r = await report(pg.url, batchId);
    expect(r.counts).toEqual({ total: 300, done: 300 });
    expect(r.succeededAttemptsPerDocument).toHaveLength(300);
    expect(r.succeededAttemptsPerDocument.every(([, n]) => n === 1)).toBe(true);
    expect(new Set(r.items.map((i) => i.documentId)).size).toBe(300);
    // Work was shared: more than one process took jobs, and no item was reported done twice.
    const jobs = ws.map((w) =>
      w.lines.filter((l) => l['event'] === 'job' && l['status'] === 'done').map((l) => String(l['itemId'])),
    );
    expect(jobs.filter((j) => j.length > 0).length).toBeGreaterThanOrEqual(2);
    const all = jobs.flat();
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);

    // SIGTERM closes the workers gracefully.
    await Promise.all(ws.map((w) => w.waitForText('Worker ready')));
    for (const w of ws) w.proc.kill('SIGTERM');
    expect((await Promise.all(ws.map((w) => w.exited))).map((e) => e.code)).toEqual([0, 0, 0]);
  }, 60_000);

  it('never exceeds the configured RPM across all workers (shared Redis limiter + BullMQ limiter)', async () => {
    const emulator: Emulator = await startEmulator({ latencyMs: 20 });
    cleanups.push(() => emulator.close());
    const pg = await createTempPostgres();
    cleanups.push(() => pg.drop());
    const { root, inbox } = await corpusRoot(30);
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    // 600 RPM = one request per 100 ms, paced on Redis's clock across all processes (BullMQ's limiter paces job
    // intake; the runtime's shared RedisRateLimiter paces the HTTP requests themselves). Checked over every sliding
    // 1-second window (≤ 10 each) so the test takes seconds instead of minutes.
    const rpm = 600;
    const env = queueEnv(root, pg.url, { ...emulatorEnv(emulator.url), AUTOD_RPM: String(rpm) });
    await startWorkers(3, env, root, 2);
    const producer = await autodJson(['batch', inbox, '--mode', 'queue', '--json'], env, root);
    expect(producer.code).toBe(0);
    expect(producer.data).toMatchObject({ status: 'completed', counts: { total: 30, done: 30 } });

    const times = emulator.requests
      .filter((q) => q.path === '/v1/responses')
      .map((q) => q.at)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(30);
    let maxInWindow = 0;
    for (let i = 0; i < times.length; i++) {
      let j = i;
      while (j < times.length && times[j]! < times[i]! + 1000) j++;
      maxInWindow = Math.max(maxInWindow, j - i);
    }
    expect(maxInWindow).toBeLessThanOrEqual(rpm / 60);
  }, 60_000);
});
