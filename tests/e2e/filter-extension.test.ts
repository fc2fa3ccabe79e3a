import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '@autod/cli';
import { loadConfig } from '@autod/config';
import { DOCUMENT_FILTER } from '@autod/core';
import { createRuntime, type Runtime } from '@autod/runtime';
import { buildApp, type AutodApp } from '@autod/server';
import { REPO, runCli } from './helpers.js';

/**
 * The document filter is defined once (`DOCUMENT_FILTER` in @autod/core): a field added to the definition works
 * through the CLI's flags, the HTTP API's query (and its OpenAPI document) and search, with nothing else changed.
 * The fixture adds an exact match on the currency and a "contains" on the title.
 */
const documentFilter = DOCUMENT_FILTER.extend([
  {
    name: 'currency',
    match: 'exact',
    type: 'string',
    maxLength: 3,
    column: 'currency',
    flag: '--currency',
    description: 'ISO 4217 currency of the total',
  },
  {
    name: 'titleHas',
    match: 'contains',
    type: 'string',
    column: 'title',
    flag: '--title-has',
    description: 'title contains this text (case-insensitive)',
  },
]);

const TOKEN = 'filter-extension-token-0123456789';
let dir: string;
let runtime: Runtime;
let app: AutodApp;
const env = () => ({ AUTOD_DATA_DIR: dir, AUTOD_PROVIDER: 'local', AUTOD_OCR: 'false' });

interface Doc {
  id: number;
  currency: string | null;
  title: string | null;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-filter-ext-'));
  await mkdir(join(dir, 'inbox'), { recursive: true });
  const samples = join(REPO, 'apps/cli/samples/inbox');
  for (const f of await readdir(samples)) await cp(join(samples, f), join(dir, 'inbox', f));
  const r = await runCli(['process', '--json'], env(), dir);
  expect(r.code, r.stderr).toBe(0);
  runtime = await createRuntime(loadConfig({ env: { ...env(), AUTOD_SERVER_TOKEN: TOKEN }, cwd: dir }), {
    quietLogs: true,
    documentFilter,
  });
  app = buildApp(runtime);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await runtime?.close();
  await rm(dir, { recursive: true, force: true });
});

/** `autod <args>` in this process with the extended definition: exit code, stdout, stderr. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    stdout += c.toString();
    return true;
  });
  const errs = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    stderr += c.toString();
    return true;
  });
  try {
    const code = await main(args, { env: env(), cwd: dir, documentFilter });
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    errs.mockRestore();
  }
}

const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
const ids = (docs: { id: number }[]) => docs.map((d) => d.id).sort((a, b) => a - b);

describe('a field added to the filter definition', () => {
  let all: Doc[];
  beforeAll(async () => {
    const r = await cli(['list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    all = (JSON.parse(r.stdout) as { items: Doc[] }).items;
    // the samples have documents in several currencies
    expect(new Set(all.map((d) => d.currency).filter(Boolean)).size).toBeGreaterThan(1);
  });
  const withCurrency = (c: string) => ids(all.filter((d) => d.currency === c));

  it('is a CLI flag with its help, validated like every flag, that filters the list', async () => {
    const help = await cli(['list', '--help']);
    expect(help.stdout).toMatch(/--currency <value>\s+ISO 4217 currency of the total/);
    expect(help.stdout).toMatch(/--title-has <text>/);
    const eur = await cli(['list', '--json', '--currency', 'EUR']);
    expect(eur.code, eur.stderr).toBe(0);
    expect(withCurrency('EUR').length).toBeGreaterThan(0);
    expect(ids((JSON.parse(eur.stdout) as { items: Doc[] }).items)).toEqual(withCurrency('EUR'));
    const both = await cli(['list', '--json', '--currency', 'USD', '--title-has', 'STATEMENT']);
    const statement = all.filter((d) => d.currency === 'USD' && /statement/i.test(d.title ?? ''));
    expect(statement.length).toBeGreaterThan(0);
    expect(ids((JSON.parse(both.stdout) as { items: Doc[] }).items)).toEqual(ids(statement));
    const bad = await cli(['list', '--currency', 'EURO']);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain('--currency: must be at most 3 characters (got "EURO")');
  });

  it('is a query parameter of GET /v1/documents, in the OpenAPI document and validated', async () => {
    const spec = (await get('/docs/json')).json<{
      paths: Record<string, { get: { parameters: { name: string }[] } }>;
    }>();
    for (const path of ['/v1/documents', '/v1/search'])
      expect(spec.paths[path]?.get.parameters.map((p) => p.name)).toEqual(
        expect.arrayContaining(['currency', 'titleHas']),
      );
    const res = await get('/v1/documents?currency=EUR&limit=100');
    expect(res.statusCode).toBe(200);
    expect(ids(res.json<{ items: Doc[] }>().items)).toEqual(withCurrency('EUR'));
    expect((await get('/v1/documents?currency=EURO')).statusCode).toBe(400);
  });

  it('filters search results, from the CLI and the API', async () => {
    const query = 'date';
    const everything = await cli(['search', query, '--json', '--mode', 'fulltext', '--limit', '20']);
    expect(everything.code, everything.stderr).toBe(0);
    const found = (JSON.parse(everything.stdout) as { hits: Doc[] }).hits;
    const usdFound = found.filter((h) => all.find((d) => d.id === h.id)?.currency === 'USD');
    expect(usdFound.length).toBeGreaterThan(0);
    expect(usdFound.length).toBeLessThan(found.length);
    for (const mode of ['fulltext', 'hybrid']) {
      const r = await cli(['search', query, '--json', '--mode', mode, '--limit', '20', '--currency', 'USD']);
      expect(r.code, r.stderr).toBe(0);
      const hits = (JSON.parse(r.stdout) as { hits: Doc[] }).hits;
      expect(hits.length).toBeGreaterThan(0);
      expect(hits.every((h) => all.find((d) => d.id === h.id)?.currency === 'USD')).toBe(true);
      const api = await get(`/v1/search?q=${encodeURIComponent(query)}&mode=${mode}&limit=20&currency=USD`);
      expect(api.statusCode).toBe(200);
      const apiHits = api.json<{ hits: { id: number; document: Doc | null }[] }>().hits;
      expect(ids(apiHits)).toEqual(ids(hits));
      expect(apiHits.every((h) => h.document?.currency === 'USD')).toBe(true);
    }
  });

  it('is unknown to the default definition (the CLI rejects the flag)', async () => {
    const r = await runCli(['list', '--currency', 'EUR'], env(), dir);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("unknown option '--currency'");
  });
});
