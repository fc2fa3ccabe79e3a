import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from './helpers.js';

let dir: string;
const env = () => ({ AUTOD_DATA_DIR: dir, AUTOD_PROVIDER: 'local', AUTOD_OCR: 'false' });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-search-'));
  await mkdir(join(dir, 'inbox'), { recursive: true });
  const samples = join(REPO, 'apps/cli/samples/inbox');
  for (const f of await readdir(samples)) await cp(join(samples, f), join(dir, 'inbox', f));
  const r = await runCli(['process', '--json'], env(), dir);
  expect(r.code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Hit {
  rank: number;
  title: string | null;
  docType: string | null;
  issuer: string | null;
}

async function search(args: string[]): Promise<Hit[]> {
  const r = await runCli(['search', ...args, '--json'], env(), dir);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { hits: Hit[] }).hits;
}

describe('autod search over processed documents (pipeline → index → search)', () => {
  it.each(['fulltext', 'vector', 'hybrid'])('finds the water bill first in %s mode', async (mode) => {
    const hits = await search(['water bill', '--mode', mode]);
    expect(hits[0]?.title).toMatch(/utility bill/i);
    expect(hits[0]?.issuer).toMatch(/clearwater/i);
  });

  it('combines the query with filters on extracted fields', async () => {
    const hits = await search(['statement', '--doc-type', 'bank statement', '--from', '2024-01-01']);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.docType === 'bank statement')).toBe(true);
    expect(await search(['statement', '--doc-type', 'bank statement', '--to', '2020-01-01'])).toEqual([]);
  });
});
