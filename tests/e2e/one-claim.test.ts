/**
 * One claim before any paid call (issue #12): byte copies of the same documents reach the OpenAI emulator through
 * three `autod process` runs at once, the inbox watcher of `autod serve --watch` and HTTP uploads — each distinct
 * document costs exactly one `/v1/responses` call, and every other copy is filed under duplicates/.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus, startEmulator, type Emulator } from '@autod/testkit';
import { runCli, sleep, startCli, tree } from './helpers.js';

const TOKEN = 'e2e-one-claim-token-0123456789';
const DISTINCT = 8;

let work: string;
let emulator: Emulator;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'autod-e2e-claim-'));
  // Slow enough answers that the copies are really in flight together.
  emulator = await startEmulator({ latencyMs: { distribution: 'fixed', mean: 250 } });
});
afterAll(async () => {
  await emulator.close();
  await rm(work, { recursive: true, force: true });
});

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
    it(`round ${round}: three process runs, serve --watch and uploads pay for each distinct document once`, async () => {
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
      };
      // The schema first, so the four processes do not race to create it.
      expect((await runCli(['list', '--json'], env, dir)).code).toBe(0);
      await emulator.resetStats();

      const serve = startCli(['serve', '--watch', '--json'], env, dir);
      const runs = [0, 1, 2].map(() => startCli(['process', '--json', '--concurrency', '3'], env, dir));
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
      for (const r of results) expect(r.code, r.stderr.slice(-2000)).toBe(0);
      // What the runs left (a copy held by another process at the end of a run) the watcher finishes.
      await waitFor(async () => (await tree(inbox)).length === 0, 60_000, 'an empty inbox');
      await waitFor(
        async () => (await tree(join(dir, 'duplicates'))).length === DISTINCT + DISTINCT / 2,
        30_000,
        'every copy in duplicates/',
      );
      serve.child.kill('SIGTERM');
      const served = await serve.done;
      expect(served.code, served.stderr.slice(-2000)).toBe(0);

      expect(emulator.stats().byPath['/v1/responses'] ?? 0).toBe(DISTINCT);
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
