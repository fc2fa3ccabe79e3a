/**
 * autod never stops, in real processes: a file that kills the process or hangs past the deadline is set aside after
 * FAILED_RETRY_ATTEMPTS tries; a copy that pauses is waited for; a breaker that closes again is waited for within the
 * run; a full disk, a damaged database, a busy port and a fresh database are clear errors with exit codes; a kill
 * between link and unlink and a crash before indexing are finished by recovery.
 */
import { appendFile, link, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '@autod/db';
import {
  buildTextPdf,
  createTempPostgres,
  generateCorpus,
  requirePostgresUnlessLocal,
  startEmulator,
  type Emulator,
} from '@autod/testkit';
import { offlineDataDir, REPO, runCli, sleep, startCli, tree, type CliResult } from './helpers.js';

const pgOk = await requirePostgresUnlessLocal();
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'autod-resilience-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const dataDir = (name: string) => offlineDataDir(work, name);

async function pdf(dir: string, name: string, words = name): Promise<void> {
  await writeFile(join(dir, 'inbox', name), await buildTextPdf([[`INVOICE ${words}`, 'Acme Ltd', 'Total: $12.00']]));
}

/** `runCli`, failing the test if the command has not exited within `ms` (a hang is the bug under test). */
async function runWithin(ms: number, args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  const run = startCli(args, env, cwd);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), ms);
  const result = await run.done;
  clearTimeout(timer);
  expect(result.signal, `autod ${args.join(' ')} exited on its own`).toBeNull();
  return result;
}

const json = <T>(r: CliResult): T => JSON.parse(r.stdout) as T;

describe('poison files (against the OpenAI emulator)', () => {
  let emulator: Emulator;
  const hanging: (() => void)[] = [];
  beforeAll(async () => {
    emulator = await startEmulator({ latencyMs: 5 });
  });
  afterAll(async () => {
    for (const release of hanging.splice(0)) release();
    emulator.setResponder(undefined);
    await emulator.close();
  });
  const openai = (env: Record<string, string>) => ({
    ...env,
    AUTOD_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-test-emulator-key-0123456789',
    OPENAI_BASE_URL: emulator.url,
    AUTOD_CONCURRENCY: '1',
  });
  /** The responder hangs on `name` and reports each time the request for it arrives. */
  function hangOn(name: string): { arrivals: () => number } {
    let arrivals = 0;
    emulator.setResponder(async (req) => {
      if (req.fileName !== name) return undefined;
      arrivals++;
      await new Promise<void>((resolve) => hanging.push(resolve));
      return undefined;
    });
    return { arrivals: () => arrivals };
  }

  it('a file that kills autod three times is set aside; the other files are processed', async () => {
    const { dir, env } = await dataDir('poison');
    await pdf(dir, 'a-poison.pdf');
    await pdf(dir, 'b.pdf');
    await pdf(dir, 'c.pdf');
    const poison = hangOn('a-poison.pdf');
    for (let kill = 1; kill <= 3; kill++) {
      const run = startCli(['process', '--json'], openai(env), dir);
      // mid-extraction: the request for the poison file has arrived
      for (let i = 0; i < 400 && poison.arrivals() < kill; i++) await sleep(25);
      expect(poison.arrivals()).toBe(kill);
      run.child.kill('SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');
    }
    const last = await runWithin(60_000, ['process', '--json'], openai(env), dir);
    expect(last.code, last.stderr).toBe(0);
    expect(json<{ processed: number }>(last).processed).toBe(2);
    expect(await tree(join(dir, 'inbox'))).toEqual([]);
    expect(await tree(join(dir, 'failed'))).toEqual(['a-poison.pdf', 'a-poison.pdf.error.json']);
    const report = JSON.parse(await readFile(join(dir, 'failed', 'a-poison.pdf.error.json'), 'utf8'));
    expect(report.error.code).toBe('PROCESSING_CRASHED');
    const failed = json<{ items: { fileName: string; errorCode: string; strikes: number }[] }>(
      await runCli(['list', '--status', 'failed', '--json'], openai(env), dir),
    );
    expect(failed.items).toEqual([
      expect.objectContaining({ fileName: 'a-poison.pdf', errorCode: 'PROCESSING_CRASHED', strikes: 3 }),
    ]);
  });

  it('a file that hangs past PROCESSING_TIMEOUT_PER_DOC waits, then is set aside at FAILED_RETRY_ATTEMPTS', async () => {
    const { dir, env } = await dataDir('deadline');
    await pdf(dir, 'a-slow.pdf');
    await pdf(dir, 'b-fine.pdf');
    hangOn('a-slow.pdf');
    const deadlineEnv = { ...openai(env), PROCESSING_TIMEOUT_PER_DOC: '1', FAILED_RETRY_ATTEMPTS: '2' };
    const first = await runWithin(60_000, ['process', '--json'], deadlineEnv, dir);
    expect(first.code).toBe(3);
    const s1 = json<{ processed: number; retryLater: number; outcomes: { kind: string; error?: { code: string } }[] }>(
      first,
    );
    expect(s1).toMatchObject({ processed: 1, retryLater: 1 });
    const waiting = json<{ items: { fileName: string; errorCode: string; retryAt: string }[] }>(
      await runCli(['list', '--status', 'waiting', '--json'], deadlineEnv, dir),
    );
    expect(waiting.items).toEqual([
      expect.objectContaining({ fileName: 'a-slow.pdf', errorCode: 'PROCESSING_TIMEOUT' }),
    ]);
    expect(waiting.items[0]?.retryAt).toBeTruthy();
    const second = await runWithin(60_000, ['process', '--json'], deadlineEnv, dir);
    expect(second.code).toBe(3);
    expect(json<{ failed: number }>(second).failed).toBe(1);
    expect(await tree(join(dir, 'failed'))).toEqual(['a-slow.pdf', 'a-slow.pdf.error.json']);
    expect(await tree(join(dir, 'inbox'))).toEqual([]);
  });

  it('deferred files are tried again in the same run once the breaker closes; still down, they wait', async () => {
    emulator.setResponder(undefined);
    const { dir, env } = await dataDir('breaker');
    for (const n of ['1.pdf', '2.pdf', '3.pdf', '4.pdf']) await pdf(dir, n);
    const breakerEnv = {
      ...openai(env),
      AUTOD_CONCURRENCY: '2',
      AUTOD_RETRY_MAX_ATTEMPTS: '1',
      AUTOD_BREAKER_VOLUME_THRESHOLD: '2',
      AUTOD_BREAKER_RESET_MS: '1000',
    };
    // two failures open the breaker; it lets a probe through after 1 s, and the upstream is back by then
    emulator.setFaults({ script: ['unavailable', 'unavailable'], routes: ['/v1/responses'] });
    const back = await runWithin(60_000, ['process', '--json'], breakerEnv, dir);
    expect(back.code, back.stderr).toBe(0);
    expect(json<{ processed: number; retryLater: number }>(back)).toMatchObject({ processed: 4, retryLater: 0 });

    // the upstream stays down: the run ends (no hang) and the files wait, with the reason and the next try
    for (const n of ['5.pdf', '6.pdf']) await pdf(dir, n);
    emulator.setFaults({ rate: 1, kinds: ['unavailable'], routes: ['/v1/responses'] });
    try {
      const down = await runWithin(60_000, ['process', '--json'], breakerEnv, dir);
      expect(down.code).toBe(3);
      expect(json<{ retryLater: number }>(down).retryLater).toBe(2);
      const waiting = json<{ items: { status: string; errorCode: string; retryAt: string | null }[] }>(
        await runCli(['list', '--status', 'waiting', '--json'], breakerEnv, dir),
      );
      expect(waiting.items).toHaveLength(2);
      for (const d of waiting.items) {
        expect(['CIRCUIT_OPEN', 'UPSTREAM_UNAVAILABLE']).toContain(d.errorCode);
        expect(d.retryAt).not.toBeNull();
      }
      expect((await runCli(['list', '--status', 'processing', '--json'], breakerEnv, dir)).stdout).toContain(
        '"total": 0',
      );
    } finally {
      emulator.setFaults({});
    }
  });
});

describe('half-written files', () => {
  it('a copy that pauses 3 s mid-file is waited for and ends processed (autod watch)', async () => {
    const { dir, env } = await dataDir('half-written');
    const watch = startCli(
      ['watch', '--json'],
      { ...env, AUTOD_WATCH_POLL_MS: '100', AUTOD_WATCH_STABLE_MS: '500' },
      dir,
    );
    let out = '';
    watch.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 600 && !out.includes('"ready"'); i++) await sleep(50);
    const bytes = await buildTextPdf([['INVOICE 9001', 'Slow Copy GmbH', 'Total: EUR 77.00']]);
    const half = Math.floor(bytes.length / 2);
    await writeFile(join(dir, 'inbox', 'scan.pdf'), bytes.subarray(0, half));
    await sleep(3000); // the writer stalls (a network copy, a scanner buffering)
    await appendFile(join(dir, 'inbox', 'scan.pdf'), bytes.subarray(half));
    for (let i = 0; i < 300 && !out.includes('"processed"'); i++) await sleep(50);
    watch.child.kill('SIGTERM');
    const result = await watch.done;
    expect(result.code).toBe(0);
    const outcomes = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; kind?: string; reason?: string })
      .filter((e) => e.event === 'outcome');
    expect(outcomes.at(-1)?.kind).toBe('processed');
    expect(outcomes.filter((o) => o.kind === 'failed')).toEqual([]);
    expect(await tree(join(dir, 'failed'))).toEqual([]);
    const list = json<{ items: { fileName: string; status: string }[]; total: number }>(
      await runCli(['list', '--json'], env, dir),
    );
    // one row, for the complete file (none was kept for the partial bytes)
    expect(list.items.map((d) => [d.fileName, d.status])).toEqual([['scan.pdf', 'completed']]);
  });
});

describe('start-up failures are clear errors, never hangs', () => {
  it('a damaged SQLite file: list and process exit promptly with DB_CORRUPT', async () => {
    const { dir, env } = await dataDir('corrupt');
    for (const d of await generateCorpus({ count: 3, seed: 41 }))
      await writeFile(join(dir, 'inbox', d.fileName), d.bytes);
    expect((await runCli(['process'], env, dir)).code).toBe(0);
    const file = join(dir, 'autod.sqlite');
    // overwrite everything after the first page (the header stays): whatever a command reads first is damaged
    const bytes = await readFile(file);
    bytes.fill(0xab, 4096);
    await writeFile(file, bytes);
    await rm(`${file}-wal`, { force: true });
    await rm(`${file}-shm`, { force: true });
    await pdf(dir, 'new.pdf');
    for (const args of [['list'], ['process']]) {
      const r = await runWithin(30_000, args, env, dir);
      expect(r.code).toBe(75);
      expect(r.stderr).toContain('[DB_CORRUPT]');
      expect(r.stderr).not.toMatch(/bug in autod/i);
    }
    expect(await tree(join(dir, 'inbox'))).toEqual(['new.pdf']);
  });

  it.each([
    ['SQLite', false],
    ['PostgreSQL', true],
  ] as const)('migrate and migrate status work on a fresh %s database and exit', async (_name, pg) => {
    if (pg && !pgOk) return;
    const { dir, env } = await dataDir(`migrate-${pg ? 'pg' : 'sqlite'}`);
    const temp = pg ? await createTempPostgres() : undefined;
    const dbEnv = temp ? { ...env, AUTOD_DB_URL: temp.url } : env;
    try {
      const before = await runWithin(30_000, ['migrate', 'status', '--json'], dbEnv, dir);
      expect(before.code, before.stderr).toBe(0);
      const parts = json<{ migrations: { set: string; applied: boolean }[] }>(before).migrations;
      expect(new Set(parts.map((m) => m.set))).toEqual(new Set(['documents', 'vector-store', 'batches']));
      expect(parts.every((m) => !m.applied)).toBe(true);
      const up = await runWithin(30_000, ['migrate'], dbEnv, dir);
      expect(up.code, up.stderr).toBe(0);
      const after = json<{ migrations: { applied: boolean }[] }>(
        await runWithin(30_000, ['migrate', 'status', '--json'], dbEnv, dir),
      );
      expect(after.migrations.every((m) => m.applied)).toBe(true);
      const refused = await runWithin(30_000, ['migrate', 'down'], dbEnv, dir);
      expect(refused.code).toBe(65);
      expect(refused.stderr).toContain('--yes');
      const down = await runWithin(30_000, ['migrate', 'down', '--yes'], dbEnv, dir);
      expect(down.code, down.stderr).toBe(0);
    } finally {
      await temp?.drop();
    }
  });

  it('worker without Redis: QUEUE_UNAVAILABLE and an exit, not a process that waits forever', async () => {
    const { dir, env } = await dataDir('no-redis');
    const r = await runWithin(45_000, ['worker'], { ...env, AUTOD_REDIS_URL: 'redis://127.0.0.1:1' }, dir);
    expect(r.code).toBe(75);
    expect(r.stderr).toContain('[QUEUE_UNAVAILABLE]');
    expect(r.stderr).toContain('AUTOD_REDIS_URL');
  });

  it('serve on a port in use: CFG_PORT_IN_USE naming the port and the setting', async () => {
    const { dir, env } = await dataDir('port');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runWithin(
        30_000,
        ['serve', '--port', String(port), '--host', '127.0.0.1'],
        { ...env, AUTOD_SERVER_TOKEN: 'a-long-enough-test-token' },
        dir,
      );
      expect(r.code).toBe(78);
      expect(r.stderr).toContain(`Port ${port}`);
      expect(r.stderr).toContain('AUTOD_SERVER_PORT');
      expect(r.stderr).toContain('[CFG_PORT_IN_USE]');
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('a full disk stops the run with DISK_FULL (exit 75) and loses nothing; the next run finishes', async () => {
    const { dir, env } = await dataDir('disk-full');
    for (const n of ['a.pdf', 'b.pdf', 'c.pdf']) await pdf(dir, n);
    const full = {
      ...env,
      AUTOD_CONCURRENCY: '1',
      NODE_OPTIONS: `--import ${join(REPO, 'tests/e2e/fixtures/enospc.mjs')}`,
      AUTOD_TEST_ENOSPC_UNDER: join(dir, 'processed'),
    };
    const r = await runWithin(30_000, ['process'], full, dir);
    expect(r.code).toBe(75);
    expect(r.stderr).toContain('[DISK_FULL]');
    expect(r.stderr).not.toMatch(/bug in autod/i);
    // nothing lost: every file is still in the inbox, nothing claimed is left processing
    expect(await tree(join(dir, 'inbox'))).toEqual(['a.pdf', 'b.pdf', 'c.pdf']);
    const processing = json<{ total: number }>(await runCli(['list', '--status', 'processing', '--json'], env, dir));
    expect(processing.total).toBe(0);
    // space again: the committed document is filed by recovery, the rest processed, none twice
    const again = await runWithin(30_000, ['process', '--json'], env, dir);
    expect(again.code, again.stderr).toBe(0);
    expect(await tree(join(dir, 'inbox'))).toEqual([]);
    expect((await tree(join(dir, 'processed'))).length).toBe(3);
    expect(json<{ total: number }>(await runCli(['list', '--json'], env, dir)).total).toBe(3);
  });
});

describe('crash windows', () => {
  it('a kill between link and unlink: recovery removes the extra link instead of filing a second copy', async () => {
    const { dir, env } = await dataDir('filing-window');
    await pdf(dir, 'bill.pdf');
    expect((await runCli(['process'], env, dir)).code).toBe(0);
    const [filed] = await tree(join(dir, 'processed'));
    // the state a kill -9 between link() and unlink() leaves: the file in both places, the row not marked filed
    await link(join(dir, 'processed', filed!), join(dir, 'inbox', 'bill.pdf'));
    const db = await createDatabase({ url: join(dir, 'autod.sqlite') });
    await db.knex('documents').update({ filed_at: null });
    await db.close();
    const r = await runWithin(30_000, ['process', '--json'], env, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(await tree(join(dir, 'inbox'))).toEqual([]);
    expect(await tree(join(dir, 'processed'))).toEqual([filed]);
    expect(await tree(join(dir, 'duplicates'))).toEqual([]);
    const [row] = json<{ items: { storagePath: string }[] }>(await runCli(['list', '--json'], env, dir)).items;
    expect(row?.storagePath).toBe(join(dir, 'processed', filed!));
  });

  it('a crash before indexing: doctor reports the unindexed document, recovery indexes it', async () => {
    const { dir, env } = await dataDir('unindexed');
    for (const d of await generateCorpus({ count: 2, seed: 43 }))
      await writeFile(join(dir, 'inbox', d.fileName), d.bytes);
    expect((await runCli(['process'], env, dir)).code).toBe(0);
    const db = await createDatabase({ url: join(dir, 'autod.sqlite') });
    await db.knex('autod_vec_docs').where('doc_id', 1).delete();
    await db.close();
    type Doctor = { documents: { completed: number; unindexed: number }; checks: { name: string; ok: boolean }[] };
    const before = json<Doctor>(await runCli(['doctor', '--json'], env, dir));
    expect(before.documents).toMatchObject({ completed: 2, unindexed: 1 });
    expect(before.checks.find((c) => c.name === 'search index')?.ok).toBe(false);
    expect((await runWithin(30_000, ['process'], env, dir)).code).toBe(0);
    const after = json<Doctor>(await runCli(['doctor', '--json'], env, dir));
    expect(after.documents).toMatchObject({ completed: 2, unindexed: 0 });
  });
});
