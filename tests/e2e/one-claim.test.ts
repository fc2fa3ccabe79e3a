/**
 * One claim before any paid call (issue #12): byte copies of the same documents reach the OpenAI emulator through
 * three `autod process` runs at once, the inbox watcher of `autod serve --watch`, HTTP uploads, a live batch, an
 * OpenAI Batch API batch and a queue worker — each distinct document costs exactly one extraction (a `/v1/responses`
 * call or a Batch API request line), and every other copy is filed under duplicates/.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateCorpus, startEmulator, type Emulator } from '@autod/testkit';
import { runCli, sleep, startCli, tree } from './helpers.js';

const TOKEN = 'e2e-one-claim-token-0123456789';
const DISTINCT = 8;
const REDIS_URL = process.env['AUTOD_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/** `autod batch` exit codes when some items were left to the others (held) — not a crash. */
const BATCH_CODES = [0, 3, 4];

let work: string;
let emulator: Emulator;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'autod-e2e-claim-'));
});
beforeEach(async () => {
  // Slow enough answers that the copies are really in flight together.
  // Batch API jobs take a while too, so their documents' copies meet a live claim.
  emulator = await startEmulator({ latencyMs: { distribution: 'fixed', mean: 250 }, batchStepMs: 1500 });
});
afterEach(async () => {
  await emulator.close();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Request lines of every Batch API job the emulator received (each one a paid extraction). */
async function batchLines(): Promise<number> {
  const res = await fetch(`${emulator.url}/batches?limit=100`, { headers: { authorization: 'Bearer sk-test' } });
  const body = (await res.json()) as { data: { request_counts: { total: number } }[] };
  return body.data.reduce((sum, b) => sum + b.request_counts.total, 0);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe('one claim before any paid call, across processes and intakes', () => {
  // Several rounds: a race that only sometimes double-extracts must show here.
  for (const round of [1, 2, 3]) {
    it(`round ${round}: process ×3, serve --watch, uploads, live/Batch API/queue batches pay once per document`, async () => {
      const dir = join(work, `round-${round}`);
      const inbox = join(dir, 'inbox');
      await mkdir(inbox, { recursive: true });
      const docs = await generateCorpus({ count: DISTINCT, seed: 40 + round });
      for (const d of docs) {
        await writeFile(join(inbox, d.fileName), d.bytes);
        // A byte copy next to its original.
        await writeFile(join(inbox, d.fileName.replace(/\.pdf$/, '-copy.pdf')), d.bytes);
      }
      const env = {
        AUTOD_DATA_DIR: dir,
        AUTOD_PROVIDER: 'openai',
        AUTOD_OCR: 'false',
        OPENAI_API_KEY: 'sk-test-emulator-key-0123456789',
        OPENAI_BASE_URL: emulator.url,
        AUTOD_SERVER_TOKEN: TOKEN,
        AUTOD_SERVER_PORT: '0',
        AUTOD_SERVER_HOST: '127.0.0.1',
        AUTOD_WATCH_POLL_MS: '50',
        AUTOD_REDIS_URL: REDIS_URL,
        AUTOD_REDIS_PREFIX: `autod-e2e-claim-${randomBytes(4).toString('hex')}`,
      };
      // The schema first, so the four processes do not race to create it.
      expect((await runCli(['list', '--json'], env, dir)).code).toBe(0);

      // The Batch API run goes first with the copies of three documents, so it holds their claims while its job runs
      // and every other intake meets them.
      const viaBatchApi = docs.slice(-3).map((d) => join(inbox, d.fileName.replace(/\.pdf$/, '-copy.pdf')));
      const batchApi = startCli(['batch', ...viaBatchApi, '--mode', 'openai-batch', '--json'], env, dir);
      await waitFor(async () => (emulator.stats().byPath['/v1/batches'] ?? 0) > 0, 60_000, 'a Batch API job');

      const serve = startCli(['serve', '--watch', '--json'], env, dir);
      const worker = startCli(['worker', '--concurrency', '2', '--json'], env, dir);
      const runs = [0, 1, 2].map(() => startCli(['process', '--json', '--concurrency', '3'], env, dir));
      const batches = [
        startCli(['batch', inbox, '--mode', 'live', '--concurrency', '3', '--json'], env, dir),
        batchApi,
        startCli(['batch', inbox, '--mode', 'queue', '--no-wait', '--json'], env, dir),
      ];
      const address = await new Promise<string>((resolve, reject) => {
        createInterface({ input: serve.child.stdout! }).on('line', (line) => {
          try {
            const msg = JSON.parse(line) as { event?: string; address?: string };
            if (msg.event === 'ready' && msg.address) resolve(msg.address);
          } catch {
            // not a JSON line
          }
        });
        void serve.done.then((r) => reject(new Error(`serve exited (${r.code}): ${r.stderr.slice(-2000)}`)));
      });
      // Uploads of half of the documents, while the process runs and the watcher work on their copies.
      const uploads = await Promise.all(
        docs.slice(0, DISTINCT / 2).map(async (d) => {
          const form = new FormData();
          form.append('file', new Blob([d.bytes], { type: 'application/pdf' }), d.fileName);
          const res = await fetch(`${address}/v1/documents`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}` },
            body: form,
          });
          return res.status;
        }),
      );
      expect(uploads).toEqual(Array(DISTINCT / 2).fill(202));

      const results = await Promise.all(runs.map((r) => r.done));
      for (const r of results)
        expect(r.code === 0 ? 'ok' : `${r.code}: ${r.stdout.slice(-2000)} ${r.stderr.slice(-2000)}`).toBe('ok');
      for (const b of await Promise.all(batches.map((r) => r.done))) {
        expect(
          BATCH_CODES.includes(b.code ?? -1) ? 'ok' : `${b.code}: ${b.stdout.slice(-2000)} ${b.stderr.slice(-2000)}`,
        ).toBe('ok');
      }
      // What the runs left (a copy held by another process at the end of a run) the watcher finishes.
      await waitFor(async () => (await tree(inbox)).length === 0, 60_000, 'an empty inbox');
      await waitFor(
        async () => (await tree(join(dir, 'duplicates'))).length === DISTINCT + DISTINCT / 2,
        30_000,
        'every copy in duplicates/',
      );
      serve.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
      const [served, worked] = await Promise.all([serve.done, worker.done]);
      expect(served.code, served.stderr.slice(-2000)).toBe(0);
      expect(worked.code, worked.stderr.slice(-2000)).toBe(0);

      // One paid extraction per distinct document, whichever intake made it.
      expect(await batchLines()).toBe(3);
      expect(emulator.stats().byPath['/v1/responses'] ?? 0).toBe(DISTINCT - 3);
      expect(await tree(inbox)).toEqual([]);
      expect((await tree(join(dir, 'processed'))).filter((f) => f.endsWith('.pdf'))).toHaveLength(DISTINCT);
      expect(await tree(join(dir, 'failed'))).toEqual([]);
      const list = JSON.parse((await runCli(['list', '--json', '--limit', '100'], env, dir)).stdout) as {
        total: number;
        items: { status: string }[];
      };
      expect(list.total).toBe(DISTINCT);
      expect(list.items.every((d) => d.status === 'completed')).toBe(true);
    });
  }
});
