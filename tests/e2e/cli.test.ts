import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badPdfs, buildTextPdf, generateCorpus, startEmulator, type Emulator } from '@autod/testkit';
import { offlineDataDir, runCli, sleep, startCli, tree } from './helpers.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'autod-e2e-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const dataDir = (name: string) => offlineDataDir(work, name);

describe('autod CLI (real processes)', () => {
  it('processes a folder, then a second copy of the same file is a duplicate', async () => {
    const { dir, env } = await dataDir('dup');
    const docs = await generateCorpus({ count: 3, seed: 21 });
    for (const d of docs) await writeFile(join(dir, 'inbox', d.fileName), d.bytes);
    const first = await runCli(['process', '--json'], env, dir);
    expect(first.stderr).not.toMatch(/unexpected/i);
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary.processed).toBe(3);
    await writeFile(join(dir, 'inbox', 'again.pdf'), docs[0]!.bytes);
    const second = JSON.parse((await runCli(['process', '--json'], env, dir)).stdout);
    expect(second.duplicates).toBe(1);
    expect(await tree(join(dir, 'duplicates'))).toEqual(['again.pdf']);
    const list = JSON.parse((await runCli(['list', '--json'], env, dir)).stdout);
    expect(list.total).toBe(3);
    const show = JSON.parse((await runCli(['show', String(list.items[0].id), '--json'], env, dir)).stdout);
    expect(show.metadata.schema_version).toBe('1.1.0');
    const csv = (await runCli(['export', '--format', 'csv'], env, dir)).stdout.trim().split('\n');
    expect(csv).toHaveLength(4);
  });

  it('exactly once: two concurrent `process` runs over the same folder', async () => {
    const { dir, env } = await dataDir('concurrent');
    const docs = await generateCorpus({ count: 24, seed: 5 });
    for (const d of docs) await writeFile(join(dir, 'inbox', d.fileName), d.bytes);
    const [a, b] = await Promise.all([
      runCli(['process', '--json', '--concurrency', '2'], env, dir),
      runCli(['process', '--json', '--concurrency', '2'], env, dir),
    ]);
    const sa = JSON.parse(a.stdout);
    const sb = JSON.parse(b.stdout);
    expect([a.code, b.code], `${a.stdout}\n${a.stderr}\n${b.stdout}\n${b.stderr}`).toEqual([0, 0]);
    expect(sa.processed + sb.processed).toBe(24);
    expect(sa.failed + sb.failed).toBe(0);
    expect(sa.duplicates + sb.duplicates).toBe(0);
    expect(await tree(join(dir, 'inbox'))).toEqual([]);
    expect((await tree(join(dir, 'processed'))).length).toBe(24);
    expect(await tree(join(dir, 'duplicates'))).toEqual([]);
    const list = JSON.parse((await runCli(['list', '--json', '--limit', '100'], env, dir)).stdout);
    expect(list.total).toBe(24);
  });

  it('bad inputs end in failed/ with a reason and the run continues', async () => {
    const { dir, env } = await dataDir('bad');
    const good = await buildTextPdf([
      ['INVOICE', 'Acme Supplies Ltd', 'Invoice date: 2024-04-02', 'Total due: $120.00'],
    ]);
    await writeFile(join(dir, 'inbox', 'good.pdf'), good);
    await writeFile(join(dir, 'inbox', 'empty.pdf'), badPdfs.empty());
    await writeFile(join(dir, 'inbox', 'corrupt.pdf'), badPdfs.corrupt());
    await writeFile(join(dir, 'inbox', 'truncated.pdf'), await badPdfs.truncated());
    await writeFile(join(dir, 'inbox', 'encrypted.pdf'), badPdfs.encrypted());
    await writeFile(join(dir, 'inbox', 'notes.txt'), 'just text, not a pdf');
    await writeFile(join(dir, 'inbox', 'huge.pdf'), await badPdfs.huge(3));
    // Files that have been sitting there: a young file that looks cut off (truncated.pdf) is left for its writer.
    const old = new Date(Date.now() - 3_600_000);
    for (const name of await tree(join(dir, 'inbox'))) await utimes(join(dir, 'inbox', name), old, old);
    const r = await runCli(['process', '--json'], { ...env, AUTOD_MAX_FILE_MB: '2' }, dir);
    expect(r.code).toBe(3);
    const s = JSON.parse(r.stdout);
    expect(s.processed).toBe(1);
    expect(s.failed).toBe(6);
    const codes = Object.fromEntries(
      s.outcomes
        .filter((o: { kind: string }) => o.kind === 'failed')
        .map((o: { path: string; error: { code: string } }) => [o.path.split('/').pop(), o.error.code]),
    );
    expect(codes).toEqual({
      'corrupt.pdf': 'INPUT_CORRUPT_PDF',
      'empty.pdf': 'INPUT_EMPTY',
      'encrypted.pdf': 'INPUT_ENCRYPTED_PDF',
      'huge.pdf': 'INPUT_TOO_LARGE',
      'notes.txt': 'INPUT_UNSUPPORTED_TYPE',
      'truncated.pdf': 'INPUT_CORRUPT_PDF',
    });
    const failed = await tree(join(dir, 'failed'));
    expect(failed.filter((f) => f.endsWith('.error.json'))).toHaveLength(6);
    const report = JSON.parse(await readFile(join(dir, 'failed', 'encrypted.pdf.error.json'), 'utf8'));
    expect(report.error.message).toMatch(/password/i);
    expect(await tree(join(dir, 'inbox'))).toEqual([]);
    // every failure has a database row, also those found before a claim (empty, not a PDF, too large)
    const failedRows = JSON.parse(
      (await runCli(['list', '--status', 'failed', '--json'], { ...env, AUTOD_MAX_FILE_MB: '2' }, dir)).stdout,
    ) as { total: number; items: { fileName: string; errorCode: string; storagePath: string }[] };
    expect(failedRows.total).toBe(6);
    expect(Object.fromEntries(failedRows.items.map((d) => [d.fileName, d.errorCode]))).toEqual(codes);
    for (const d of failedRows.items) expect(d.storagePath).toBe(join(dir, 'failed', d.fileName));
  });

  describe('with the openai provider against the emulator', () => {
    let emulator: Emulator;
    beforeAll(async () => {
      emulator = await startEmulator({ latencyMs: { distribution: 'fixed', mean: 150 } });
    });
    afterAll(async () => {
      await emulator.close();
    });

    it('kill -9 mid-run, then a restart processes every file exactly once and loses none', async () => {
      const { dir, env } = await dataDir('crash');
      const docs = await generateCorpus({ count: 20, seed: 9 });
      for (const d of docs) await writeFile(join(dir, 'inbox', d.fileName), d.bytes);
      const openaiEnv = {
        ...env,
        AUTOD_PROVIDER: 'openai',
        OPENAI_API_KEY: 'sk-test-emulator-key-0123456789',
        OPENAI_BASE_URL: emulator.url,
      };
      const run = startCli(['process', '--json', '--concurrency', '2'], openaiEnv, dir);
      for (let i = 0; i < 200 && (await tree(join(dir, 'processed'))).length < 4; i++) await sleep(50);
      run.child.kill('SIGKILL');
      const killed = await run.done;
      expect(killed.signal).toBe('SIGKILL');
      const before = (await tree(join(dir, 'processed'))).length;
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(20);

      const again = await runCli(['process', '--json'], openaiEnv, dir);
      const s = JSON.parse(again.stdout);
      expect(s.failed).toBe(0);
      expect(s.duplicates).toBe(0);
      expect(await tree(join(dir, 'inbox'))).toEqual([]);
      expect((await tree(join(dir, 'processed'))).length).toBe(20);
      const list = JSON.parse((await runCli(['list', '--json', '--limit', '100'], openaiEnv, dir)).stdout);
      expect(list.total).toBe(20);
      expect(
        list.items.every(
          (d: { status: string; provider: string }) => d.status === 'completed' && d.provider === 'openai',
        ),
      ).toBe(true);
    });
  });
});
