import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '@autod/testkit';
import { runCli } from './helpers.js';

let dir: string;
const env = () => ({ AUTOD_DATA_DIR: dir, AUTOD_PROVIDER: 'local', AUTOD_OCR: 'false' });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-commands-'));
  await mkdir(join(dir, 'inbox'), { recursive: true });
  for (const d of await generateCorpus({ count: 2, seed: 31 }))
    await writeFile(join(dir, 'inbox', d.fileName), d.bytes);
  expect((await runCli(['process', '--json'], env(), dir)).code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('autod commands on a processed folder', () => {
  it('reprocess adds a new attempt and keeps the old one', async () => {
    const r = await runCli(['reprocess', '1', '--json'], env(), dir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).processed).toBe(1);
    const show = JSON.parse((await runCli(['show', '1', '--json'], env(), dir)).stdout);
    expect(show.attempts).toHaveLength(2);
    expect(show.status).toBe('completed');
  });

  it('costs counts paid calls only (local provider: nothing paid)', async () => {
    const r = JSON.parse((await runCli(['costs', '--by', 'provider', '--json'], env(), dir)).stdout);
    expect(r).toMatchObject({ groupBy: 'provider', totalUsd: 0, pendingUsd: 0, rows: [] });
  });

  it('export --format json writes every document with its metadata', async () => {
    const out = join(dir, 'export.json');
    expect((await runCli(['export', '--format', 'json', '-o', out], env(), dir)).code).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const docs = JSON.parse(await readFile(out, 'utf8'));
    expect(docs).toHaveLength(2);
    expect(docs[0].metadata.schema_version).toBe('1.1.0');
  });

  it('doctor checks config, folders and database', async () => {
    const r = await runCli(['doctor', '--json'], env(), dir);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.ok).toBe(true);
    expect(r.code).toBe(0);
    expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['config', 'database', 'folder inbox']));
  });
});
