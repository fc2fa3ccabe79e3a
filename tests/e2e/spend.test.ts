/**
 * Every dollar counted (issue 12), with the real CLI against the emulator:
 * - the sum of what the emulator billed, priced by the pricing table, is what `autod costs` reports — also when
 *   answers fail validation (invalid JSON, schema violations: still billed) and with upstream errors (not billed);
 * - a call in flight when autod is killed (-9) leaves a pending row that `autod costs` counts at its estimate;
 * - AUTOD_BUDGET_DAILY_USD: over the cap documents wait (BUDGET_EXCEEDED, inbox, no strike, never failed), an alert
 *   fires, the spend stays within the cap plus one reservation; a raised cap lets the next run finish them.
 */
import { createServer, type Server } from 'node:http';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateExtractionCost, priceUsage } from '@autod/api-client';
import { createDatabase } from '@autod/db';
import { startEmulator, type Emulator, type RecordedRequest } from '@autod/testkit';
import { autodEnv, autodJson, corpusRoot, emulatorEnv } from './batch-helpers.js';
import { runCli, sleep, startCli } from './helpers.js';

let emu: Emulator;
let hook: Server;
let hookUrl: string;
const alerts: { rule: string; summary: string; details?: Record<string, unknown> }[] = [];
const roots: string[] = [];

beforeAll(async () => {
  emu = await startEmulator({ latencyMs: { distribution: 'uniform', min: 1, max: 5 }, seed: 7 });
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as (typeof alerts)[number]);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/alerts`;
});
afterAll(async () => {
  emu.setResponder(undefined);
  await emu.close();
  await new Promise<void>((r) => hook.close(() => r()));
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function root(count: number) {
  const r = await corpusRoot(count);
  roots.push(r.root);
  return r;
}

/** Dollars of what the emulator billed for `requests`, priced by the built-in pricing table. */
function billedUsd(requests: readonly RecordedRequest[]): number {
  let sum = 0;
  for (const r of requests) {
    if (!r.billed) continue;
    const { model, inputTokens, cachedInputTokens, outputTokens, reasoningTokens } = r.billed;
    const usage = {
      inputTokens,
      cachedInputTokens,
      outputTokens,
      reasoningTokens,
      totalTokens: inputTokens + outputTokens,
    };
    sum += priceUsage(usage, model);
  }
  return sum;
}

/** The largest estimate an extraction was reserved at in `dir`'s ledger (what a cap must leave room for). */
async function extractionEstimate(dir: string): Promise<number> {
  const db = await createDatabase({ url: join(dir, 'autod.sqlite') });
  try {
    const row = (await db
      .knex('spend_ledger')
      .where('operation', 'responses.create')
      .max({ m: 'estimated_usd' })
      .first()) as { m: number | string };
    return Number(row.m);
  } finally {
    await db.close();
  }
}

interface Costs {
  totalUsd: number;
  pendingUsd: number;
  rows: { key: string; calls: number; pendingCalls: number }[];
}

async function costs(env: Record<string, string>, dir: string, by = 'day'): Promise<Costs> {
  const r = await autodJson(['costs', '--by', by, '--json'], env, dir);
  expect(r.code, r.stderr).toBe(0);
  return r.data as unknown as Costs;
}

describe('every billed call is costed', () => {
  it('emulator bill = autod costs, with invalid answers (failed validation, repairs) and upstream errors', async () => {
    const { root: dir, inbox } = await root(4);
    const env = autodEnv(dir, { ...emulatorEnv(emu.url), AUTOD_CONCURRENCY: '1' });
    // One file at a time, in name order: the 1st answers invalid JSON twice (fails validation), the 2nd violates the
    // schema once (repaired), the 3rd meets a 500 and a 429 (not billed, retried), the 4th is fine.
    emu.setFaults({
      routes: ['/v1/responses'],
      script: ['non_json_output', 'non_json_output', 'schema_violation', 'none', 'server_error', 'rate_limit'],
      retryAfterMs: 10,
    });
    const from = emu.requests.length;
    try {
      const r = await autodJson(['process', inbox, '--json'], env, dir);
      expect(r.data).toMatchObject({ processed: 3, failed: 1 });
    } finally {
      emu.setFaults({});
    }
    const mine = emu.requests.slice(from);
    const responses = mine.filter((q) => q.route === '/v1/responses');
    expect(responses.filter((q) => q.billed)).toHaveLength(6); // 2 + 2 + 1 + 1 answers
    expect(responses.filter((q) => q.status >= 400)).toHaveLength(2);
    expect(mine.some((q) => q.route === '/v1/embeddings' && q.billed)).toBe(true);

    const c = await costs(env, dir);
    expect(c.pendingUsd).toBe(0);
    expect(c.totalUsd).toBeGreaterThan(0);
    expect(c.totalUsd).toBeCloseTo(billedUsd(mine), 10);
    const byOperation = await costs(env, dir, 'model');
    expect(byOperation.rows.map((x) => x.key).sort()).toEqual(['gpt-5-mini', 'text-embedding-3-small']);

    // The failed document's attempt carries what its two answers cost.
    const db = await createDatabase({ url: join(dir, 'autod.sqlite') });
    try {
      const failed = (await db.knex('extraction_attempts').where('status', 'failed')) as Record<string, unknown>[];
      expect(failed).toHaveLength(1);
      expect(failed[0]?.['error_code']).toBe('MODEL_OUTPUT_INVALID');
      const firstTwo = responses.filter((q) => q.billed).slice(0, 2);
      expect(Number(failed[0]?.['cost_usd'])).toBeCloseTo(billedUsd(firstTwo), 10);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('a call in flight at kill -9 stays pending at its estimate; autod costs counts it, the next run keeps it', async () => {
    const { root: dir, inbox } = await root(3);
    const env = autodEnv(dir, { ...emulatorEnv(emu.url), AUTOD_CONCURRENCY: '1' });
    const from = emu.requests.length;
    let arrived = false;
    let release: () => void = () => undefined;
    const hung = new Promise<void>((r) => (release = r));
    emu.setResponder(async (req) => {
      if (req.fileName !== 'scan-0001.pdf' || arrived) return undefined;
      arrived = true;
      await hung;
      return undefined;
    });
    try {
      const run = startCli(['process', inbox, '--json'], env, dir);
      for (let i = 0; i < 800 && !arrived; i++) await sleep(25);
      expect(arrived).toBe(true);
      run.child.kill('SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');
      const mine = emu.requests.slice(from);
      const inFlight = mine.filter((q) => q.route === '/v1/responses' && !q.billed);
      expect(inFlight).toHaveLength(1);

      const db = await createDatabase({ url: join(dir, 'autod.sqlite') });
      let estimate: number;
      try {
        const pending = await db.spend.pending();
        expect(pending).toHaveLength(1);
        expect(pending[0]?.operation).toBe('responses.create');
        estimate = pending[0]!.estimatedUsd;
        expect(estimate).toBeGreaterThan(0);
      } finally {
        await db.close();
      }
      const c = await costs(env, dir);
      expect(c.pendingUsd).toBeCloseTo(estimate, 12);
      expect(c.totalUsd).toBeCloseTo(billedUsd(mine) + estimate, 10);

      // The next run processes what is left; the call cut off by the crash stays counted at its estimate.
      release();
      const next = await autodJson(['process', inbox, '--json'], env, dir);
      expect(next.code, next.stderr).toBe(0);
      const after = emu.requests.slice(from).filter((q) => !inFlight.includes(q));
      const c2 = await costs(env, dir);
      expect(c2.pendingUsd).toBeCloseTo(estimate, 12);
      expect(c2.totalUsd).toBeCloseTo(billedUsd(after) + estimate, 10);
    } finally {
      release();
      emu.setResponder(undefined);
    }
  }, 120_000);
});

describe('AUTOD_BUDGET_DAILY_USD', () => {
  it('over the cap documents wait in the inbox with BUDGET_EXCEEDED and an alert; a raised cap finishes them', async () => {
    // What one document costs (its answer and its embedding): one file processed alone.
    const probe = await root(1);
    const penv = autodEnv(probe.root, emulatorEnv(emu.url));
    expect((await autodJson(['process', probe.inbox, '--json'], penv, probe.root)).code).toBe(0);
    const each = (await costs(penv, probe.root)).totalUsd;
    expect(each).toBeGreaterThan(0);
    // The cap leaves room for a few reservations (estimates are above what the emulator bills, cached prompts less)
    const estimate = await extractionEstimate(probe.root);

    const { root: dir, inbox } = await root(10);
    const cap = 2 * estimate;
    const env = autodEnv(dir, {
      ...emulatorEnv(emu.url),
      AUTOD_BUDGET_DAILY_USD: String(cap),
      AUTOD_ALERT_WEBHOOK_URL: hookUrl,
      AUTOD_CONCURRENCY: '3',
    });
    const first = await autodJson(['process', inbox, '--json'], env, dir);
    expect(first.code).toBe(3); // documents left to retry later
    const processed = first.data['processed'] as number;
    expect(processed).toBeGreaterThan(0);
    expect(first.data).toMatchObject({ failed: 0, retryLater: 10 - processed });

    const waiting = await autodJson(['list', '--status', 'waiting', '--json'], env, dir);
    const items = waiting.data['items'] as { fileName: string; errorCode: string; strikes: number }[];
    expect(items).toHaveLength(10 - processed);
    for (const i of items) expect(i).toMatchObject({ errorCode: 'BUDGET_EXCEEDED', strikes: 0 });
    expect((await readdir(inbox)).sort()).toEqual(items.map((i) => i.fileName).sort());
    expect(alerts.filter((a) => a.rule === 'budget_exceeded')).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ period: 'day', capUsd: cap }) }),
    ]);

    // Spend (settled + pending) never above the cap plus one reservation.
    const db = await createDatabase({ url: join(dir, 'autod.sqlite') });
    let largest: number;
    try {
      const row = (await db.knex('spend_ledger').max({ m: 'estimated_usd' }).first()) as { m: number | string };
      largest = Number(row.m);
    } finally {
      await db.close();
    }
    const spent = (await costs(env, dir)).totalUsd;
    expect(spent).toBeLessThanOrEqual(cap + largest);

    // A raised cap: the next run finishes them.
    const raised = { ...env, AUTOD_BUDGET_DAILY_USD: '100' };
    const second = await autodJson(['process', inbox, '--json'], raised, dir);
    expect(second.code, second.stderr).toBe(0);
    expect(second.data).toMatchObject({ processed: 10 - processed, failed: 0 });
    expect(await readdir(inbox)).toEqual([]);
    const done = await runCli(['list', '--status', 'completed', '--json'], raised, dir);
    expect((JSON.parse(done.stdout) as { items: unknown[] }).items).toHaveLength(10);
  }, 180_000);

  it('`autod batch` (live and --mode openai-batch) stops at the cap: items pending, documents waiting, resume finishes', async () => {
    const probe = await root(1);
    const penv = autodEnv(probe.root, emulatorEnv(emu.url));
    expect((await autodJson(['process', probe.inbox, '--json'], penv, probe.root)).code).toBe(0);
    const estimate = await extractionEstimate(probe.root);

    for (const mode of ['live', 'openai-batch']) {
      const { root: dir, inbox } = await root(6);
      // openai-batch reserves a whole job (its lines at batch prices) before it is sent: a cap below it sends none
      const cap = mode === 'live' ? 1.5 * estimate : 0.001 * estimate;
      const env = autodEnv(dir, { ...emulatorEnv(emu.url), AUTOD_BUDGET_DAILY_USD: String(cap) });
      const from = emu.requests.length;
      const first = await autodJson(['batch', inbox, '--mode', mode, '--json'], env, dir);
      expect(first.code, first.stderr).toBe(4);
      expect(first.data['status']).toBe('budget_stopped');
      const counts = first.data['counts'] as { pending: number; failed: number; done: number };
      expect(counts.failed).toBe(0);
      expect(counts.pending).toBeGreaterThan(0);
      if (mode === 'live') expect(counts.done).toBeGreaterThan(0);
      else expect(emu.requests.slice(from).filter((q) => q.route === '/v1/batches')).toEqual([]);
      const waiting = await autodJson(['list', '--status', 'waiting', '--json'], env, dir);
      const items = waiting.data['items'] as { errorCode: string; strikes: number }[];
      expect(items.length).toBeGreaterThan(0);
      for (const i of items) expect(i).toMatchObject({ errorCode: 'BUDGET_EXCEEDED', strikes: 0 });
      expect((await costs(env, dir)).totalUsd).toBeLessThanOrEqual(cap + estimate);

      const raised = { ...env, AUTOD_BUDGET_DAILY_USD: '100' };
      const resume = await autodJson(
        ['batch', inbox, '--resume', String(first.data['batchId']), '--json'],
        raised,
        dir,
      );
      expect(resume.code, resume.stderr).toBe(0);
      expect(resume.data['counts']).toMatchObject({ pending: 0, failed: 0 });
      expect(await readdir(inbox)).toEqual([]);
      // every billed call (the Batch API job settled when its results were read) is in the books
      const c = await costs(env, dir);
      expect(c.pendingUsd).toBe(0);
      if (mode === 'live') expect(c.totalUsd).toBeCloseTo(billedUsd(emu.requests.slice(from)), 10);
    }
  }, 240_000);

  it('`autod watch` holds the cap too: the documents over it wait in the inbox, the process keeps running', async () => {
    const { root: dir, inbox } = await root(4);
    const cap = 1.5 * estimateExtractionCost({ pageCount: 1, model: 'gpt-5-mini' }).costUsd;
    const env = autodEnv(dir, {
      ...emulatorEnv(emu.url),
      AUTOD_BUDGET_DAILY_USD: String(cap),
      AUTOD_CONCURRENCY: '1',
    });
    const watch = startCli(['watch', '--json'], env, dir);
    let out = '';
    watch.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const lines = () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { kind?: string; error?: { code: string } });
    for (let i = 0; i < 1200 && lines().filter((l) => l.kind).length < 4; i++) await sleep(50);
    watch.child.kill('SIGTERM');
    expect((await watch.done).code).toBe(0);
    const outcomes = lines().filter((l) => l.kind);
    const processed = outcomes.filter((o) => o.kind === 'processed').length;
    const waiting = outcomes.filter((o) => o.kind === 'retry_later');
    expect(processed).toBeGreaterThan(0);
    expect(waiting.length).toBe(4 - processed);
    for (const w of waiting) expect(w.error?.code).toBe('BUDGET_EXCEEDED');
    expect((await readdir(inbox)).length).toBe(4 - processed);
    expect((await costs(env, dir)).totalUsd).toBeLessThanOrEqual(cap);
  }, 120_000);
});
