import { createServer, type Server } from 'node:http';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '@autod/testkit';
import { autodEnv, autodJson, corpusRoot, emulatorEnv } from './batch-helpers.js';

let emu: Emulator;
let hook: Server;
let hookUrl: string;
const alerts: { rule: string; summary: string; details?: { levelUsd?: number } }[] = [];
const roots: string[] = [];

beforeAll(async () => {
  emu = await startEmulator({ latencyMs: { distribution: 'uniform', min: 1, max: 5 }, seed: 13 });
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
  await emu.close();
  await new Promise<void>((r) => hook.close(() => r()));
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function root(count: number) {
  const r = await corpusRoot(count);
  roots.push(r.root);
  return r;
}

describe('money: one-shot commands alert, batch --max-cost uses the cap', () => {
  it('`autod process` and `autod batch` alert at the commit that crosses a level, with precise money', async () => {
    const { root: dir, inbox } = await root(3);
    const env = autodEnv(dir, {
      ...emulatorEnv(emu.url),
      AUTOD_ALERT_WEBHOOK_URL: hookUrl,
      COST_ALERT_THRESHOLD_1: '0.0001',
      COST_ALERT_THRESHOLD_2: '0.008',
      COST_ALERT_THRESHOLD_3: '100',
    });
    const processed = await autodJson(['process', inbox, '--json'], env, dir);
    expect(processed.data['processed']).toBe(3);
    const first = alerts.filter((a) => a.rule === 'cost_daily');
    expect(first.map((a) => a.details?.levelUsd)).toEqual([0.0001]);
    expect(first[0]?.summary).toMatch(/^Daily spend \$0\.\d*[1-9]\d* crossed the \$0\.0001 level/);

    // A batch in the same data folder: its commits cross the next level (and only that one alerts).
    const more = await root(12);
    const { rename, readdir } = await import('node:fs/promises');
    for (const f of await readdir(more.inbox)) await rename(`${more.inbox}/${f}`, `${inbox}/b-${f}`);
    const batch = await autodJson(['batch', inbox, '--json'], env, dir);
    expect(batch.data['status']).toBe('completed');
    const daily = alerts.filter((a) => a.rule === 'cost_daily').map((a) => a.details?.levelUsd);
    expect(daily).toEqual([0.0001, 0.008]);
  }, 120_000);

  it('`autod batch --max-cost` on uniform items spends at least 80% of the cap and never more', async () => {
    // What one item costs: one file processed alone.
    const probe = await root(1);
    const penv = autodEnv(probe.root, emulatorEnv(emu.url));
    const one = await autodJson(['batch', probe.inbox, '--json'], penv, probe.root);
    const each = (one.data['counts'] as { costUsd: number }).costUsd;
    expect(each).toBeGreaterThan(0);

    const { root: dir, inbox } = await root(40);
    const cap = 10 * each;
    const env = autodEnv(dir, emulatorEnv(emu.url));
    const r = await autodJson(['batch', inbox, '--max-cost', String(cap), '--concurrency', '4', '--json'], env, dir);
    expect(r.code).toBe(4); // stopped early, items left for a resume
    const counts = r.data['counts'] as { costUsd: number; pending: number };
    expect(r.data['status']).toBe('budget_stopped');
    expect(counts.pending).toBeGreaterThan(0);
    expect(counts.costUsd).toBeLessThanOrEqual(cap);
    expect(counts.costUsd).toBeGreaterThanOrEqual(0.8 * cap);
  }, 120_000);
});
