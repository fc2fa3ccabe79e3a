import { readdir, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autodEnv, autodJson, corpusRoot, emulatorEnv } from './batch-helpers.js';

describe('autod estimate / autod batch --dry-run', () => {
  let root: string;
  let inbox: string;
  beforeAll(async () => {
    ({ root, inbox } = await corpusRoot(4));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('estimate prices files, pages and tokens per model, live and through the Batch API', async () => {
    const env = autodEnv(root);
    const r = await autodJson(
      ['estimate', inbox, '--model', 'gpt-5-mini,gpt-4o-mini,no-such-model', '--json'],
      env,
      root,
    );
    expect(r.code).toBe(0);
    expect(r.data).toMatchObject({ files: 4, pages: 4, provider: 'local', unpriced: ['no-such-model'] });
    const models = r.data['models'] as { model: string; liveUsd: number; batchUsd: number }[];
    expect(models.map((m) => m.model)).toEqual(['gpt-5-mini', 'gpt-4o-mini']);
    for (const m of models) {
      expect(m.liveUsd).toBeGreaterThan(0);
      expect(m.batchUsd).toBeCloseTo(m.liveUsd / 2, 10);
    }
    expect(Number(r.data['inputTokens'])).toBeGreaterThan(0);
    expect(r.data['largestFiles']).toHaveLength(4);
  }, 30_000);

  it('batch --dry-run estimates the configured model against the budget and creates no batch', async () => {
    // The openai provider (never contacted by a dry run) with a budget far below the estimate.
    const env = autodEnv(root, {
      ...emulatorEnv('http://127.0.0.1:9'),
      OPENAI_MODEL: 'gpt-5-nano',
      AUTOD_MAX_COST_USD: '0.000001',
    });
    const r = await autodJson(['batch', inbox, '--dry-run', '--json'], env, root);
    expect(r.code).toBe(0);
    expect(r.data).toMatchObject({
      dryRun: true,
      mode: 'live',
      files: 4,
      pages: 4,
      models: [{ model: 'gpt-5-nano' }],
      maxCostUsd: 0.000001,
      withinBudget: false,
    });
    const roomy = await autodJson(['batch', inbox, '--dry-run', '--max-cost', '100', '--json'], env, root);
    expect(roomy.data).toMatchObject({ maxCostUsd: 100, withinBudget: true });
    expect(await readdir(inbox)).toHaveLength(4);
    const list = await autodJson(['batch', '--list', '--json'], env, root);
    expect(list.data).toEqual([]);
  }, 30_000);
});
