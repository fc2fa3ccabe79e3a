import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '@autod/testkit';
import { runCli, sleep, startCli, type CliResult } from './helpers.js';

let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-json-'));
  await mkdir(join(dir, 'inbox'), { recursive: true });
  env = { AUTOD_DATA_DIR: dir, AUTOD_PROVIDER: 'local', AUTOD_OCR: 'false' };
  for (const d of await generateCorpus({ count: 3, seed: 31, kinds: ['invoice', 'utility_bill'] }))
    await writeFile(join(dir, 'inbox', d.fileName), d.bytes);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** stdout must be exactly one JSON value (two documents, or one plus text, do not parse). */
function oneJson(r: CliResult, what: string): unknown {
  try {
    return JSON.parse(r.stdout);
  } catch (error) {
    throw new Error(
      `${what}: stdout is not exactly one JSON document (${(error as Error).message}); exit ${r.code}\n${r.stdout.slice(0, 3000)}\nstderr:\n${r.stderr.slice(-2000)}`,
      { cause: error },
    );
  }
}

describe('--json prints exactly one JSON document', () => {
  it('for every one-shot command, successful or not', async () => {
    const run = (args: string[]) => runCli([...args, '--json'], env, dir);
    const processed = oneJson(await run(['process']), 'process') as { processed: number };
    expect(processed.processed).toBe(3);
    const list = oneJson(await run(['list']), 'list') as { items: { id: number }[] };
    const id = String(list.items[0]!.id);
    const commands: string[][] = [
      ['list', '--needs-review'],
      ['show', id],
      ['export'],
      ['export', '--format', 'csv', '-o', join(dir, 'out.csv')],
      ['reprocess', id],
      ['review', '--list'],
      ['review', id, '--accept'],
      ['search', 'invoice'],
      ['search', 'invoice', '--mode', 'fulltext', '--status', 'completed'],
      ['reindex'],
      ['costs'],
      ['costs', '--by', 'model'],
      ['estimate', join(dir, 'inbox')],
      ['batch', join(dir, 'processed'), '--dry-run'],
      ['batch', '--list'],
      ['doctor'],
      ['config'],
      ['migrate', 'status'],
      ['migrate', 'up'],
      ['demo', '--dir', join(dir, 'demo')],
      // errors are one JSON document too
      ['show', '999999'],
      ['search', ''],
      ['process', '--concurrency', 'abc'],
    ];
    for (const args of commands) {
      const r = await run(args);
      const value = oneJson(r, args.join(' '));
      expect(value, args.join(' ')).not.toBeUndefined();
      expect(r.stderr, args.join(' ')).not.toMatch(/bug in autod/);
    }
    const demo = oneJson(await run(['demo', '--dir', join(dir, 'demo2')]), 'demo') as Record<string, unknown>;
    expect(demo).toMatchObject({ provider: 'local', process: { total: 8 }, documents: { total: 8 } });
  });

  it('long-running commands print JSON Lines: one JSON value per line (watch, serve, worker)', async () => {
    const lines = async (args: string[], extra: Record<string, string>, ready: string) => {
      const p = startCli([...args, '--json'], { ...env, ...extra }, dir);
      let out = '';
      p.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      for (let i = 0; i < 600 && !out.includes(ready); i++) await sleep(50);
      p.child.kill('SIGTERM');
      const r = await p.done;
      expect(out, `${args[0]}: ${r.stderr.slice(-1500)}`).toContain(ready);
      const parsed = r.stdout
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { event?: string });
      expect(parsed.length).toBeGreaterThan(0);
      return parsed;
    };
    expect((await lines(['watch'], {}, '"ready"'))[0]?.event).toBe('ready');
    const serve = await lines(
      ['serve', '--port', '0'],
      { AUTOD_SERVER_TOKEN: 'json-lines-token-0123456789' },
      '"ready"',
    );
    expect(serve.map((e) => e.event)).toEqual(['ready', 'stopped']);
    const worker = startCli(
      ['worker', '--json'],
      {
        ...env,
        AUTOD_REDIS_URL: 'redis://127.0.0.1:6379',
        AUTOD_REDIS_PREFIX: `autod-json-${randomBytes(4).toString('hex')}`,
      },
      dir,
    );
    let err = '';
    worker.child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    for (let i = 0; i < 600 && !err.includes('Worker ready'); i++) await sleep(50);
    worker.child.kill('SIGTERM');
    const w = await worker.done;
    expect(err).toContain('Worker ready');
    for (const l of w.stdout.split('\n').filter((x) => x !== '')) expect(() => JSON.parse(l) as unknown).not.toThrow();
  });
});

describe('every numeric or enum flag is validated like its setting: CFG_INVALID, exit 78, the flag named', () => {
  const cases: [string[], string][] = [
    [['process', '--concurrency', 'abc'], '--concurrency (AUTOD_CONCURRENCY)'],
    [['process', '--concurrency', '0'], '--concurrency (AUTOD_CONCURRENCY)'],
    [['watch', '--concurrency', '2.5'], '--concurrency (AUTOD_CONCURRENCY)'],
    [['batch', '--concurrency', 'x'], '--concurrency (AUTOD_CONCURRENCY)'],
    [['worker', '--concurrency', '-1'], '--concurrency (AUTOD_CONCURRENCY)'],
    [['batch', '--max-cost', 'lots'], '--max-cost (AUTOD_MAX_COST_USD)'],
    [['batch', '--max-cost', '-1'], '--max-cost (AUTOD_MAX_COST_USD)'],
    [['batch', '--model', 'gpt-3'], '--model (OPENAI_MODEL)'],
    [['batch', '--mode', 'turbo'], '--mode'],
    [['serve', '--port', 'http'], '--port (AUTOD_SERVER_PORT)'],
    [['--provider', 'magic', 'list'], '--provider (AUTOD_PROVIDER)'],
    [['--log-level', 'loud', 'list'], '--log-level (AUTOD_LOG_LEVEL)'],
    [['search', 'x', '--limit', '1000'], '--limit'],
    [['search', 'x', '--limit', 'ten'], '--limit'],
    [['search', 'x', '--min-similarity', '2'], '--min-similarity (SEARCH_RELEVANCE_THRESHOLD)'],
    [['search', 'x', '--mode', 'psychic'], '--mode'],
    [['search', 'x', '--from', '2024-13-01'], '--from'],
    [['list', '--limit', 'abc'], '--limit'],
    [['list', '--offset', '-3'], '--offset'],
    [['list', '--status', 'lost'], '--status'],
    [['list', '--min-amount', 'much'], '--min-amount'],
    [['export', '--format', 'xml'], '--format'],
    [['costs', '--by', 'week'], '--by'],
    [['costs', '--to', 'yesterday'], '--to'],
    [['review', '--limit', '0'], '--limit'],
    [['reindex', '--batch-size', 'big'], '--batch-size'],
    [['migrate', 'sideways'], 'migrate <action>'],
  ];
  it.each(cases.map((c, i) => [...c, i % 3 === 0] as const))('%j', async (args, name, alsoHuman) => {
    const r = await runCli([...args, '--json'], env, dir);
    expect(r.code, r.stderr.slice(-1000)).toBe(78);
    const body = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('CFG_INVALID');
    expect(body.error.message).toContain(`${name}: `);
    if (!alsoHuman) return; // the same error path; a third of the cases also check the human output
    const human = await runCli(args, env, dir);
    expect(human.code).toBe(78);
    expect(human.stderr).toContain(`${name}: `);
    expect(human.stderr).not.toMatch(/bug in autod|\n\s+at /);
  });
});
