import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { estimateExtractionCost } from '@autod/api-client';
import { buildTextPdf } from '@autod/testkit';
import { sandbox, writeCorpus, type Sandbox } from './__tests__/helpers.js';
import { estimateRun } from './estimate.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await sandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

describe('estimateRun', () => {
  it('counts files and pages and prices the run per model, live and Batch API', async () => {
    const files = await writeCorpus(sb.dirs.inbox, 3);
    const three = join(sb.dirs.inbox, 'three-pages.pdf');
    await writeFile(three, await buildTextPdf([['page one'], ['page two'], ['page three']]));
    const est = await estimateRun([...files, three], { models: ['gpt-5-mini', 'gpt-4o', 'no-such-model'] });
    expect(est.files).toBe(4);
    expect(est.pages).toBe(6);
    expect(est.unpriced).toEqual(['no-such-model']);
    expect(est.models.map((m) => m.model)).toEqual(['gpt-5-mini', 'gpt-4o']);
    const one = estimateExtractionCost({ pageCount: 1, model: 'gpt-5-mini' }).costUsd;
    const threePages = estimateExtractionCost({ pageCount: 3, model: 'gpt-5-mini' }).costUsd;
    const mini = est.models[0]!;
    expect(mini.liveUsd).toBeCloseTo(3 * one + threePages, 10);
    expect(mini.batchUsd).toBeCloseTo(mini.liveUsd / 2, 10);
    expect(est.models[1]!.liveUsd).toBeGreaterThan(mini.liveUsd);
    expect(est.inputTokens).toBe(est.perFile.reduce((s, f) => s + f.inputTokens, 0));
  });
});
