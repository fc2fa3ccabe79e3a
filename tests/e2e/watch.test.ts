import { mkdir, mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '@autod/testkit';
import { runCli, sleep, startCli, tree } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-watch-'));
  await mkdir(join(dir, 'inbox'), { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('autod watch (real process)', () => {
  it('survives a burst of files, files every one, and stops gracefully on SIGTERM', async () => {
    const env = { AUTOD_DATA_DIR: dir, AUTOD_PROVIDER: 'local', AUTOD_OCR: 'false', AUTOD_CONCURRENCY: '4' };
    const watch = startCli(['watch', '--json'], env, dir);
    // Wait until the watcher reports it is ready (its first JSON line).
    let out = '';
    watch.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 600 && !out.includes('"ready"'); i++) await sleep(50);
    expect(out).toContain('"ready"');
    const docs = await generateCorpus({ count: 120, seed: 77 });
    // A burst: write each file under a temporary name, then rename it into place (as scanners and copies do),
    // plus a few written directly.
    await Promise.all(
      docs.map(async (d, i) => {
        if (i % 10 === 0) return writeFile(join(dir, 'inbox', d.fileName), d.bytes);
        const tmp = join(dir, 'inbox', `.${d.fileName}.part`);
        await writeFile(tmp, d.bytes);
        await rename(tmp, join(dir, 'inbox', d.fileName));
      }),
    );
    // Also the same bytes twice under another name → a duplicate.
    await writeFile(join(dir, 'inbox', 'copy-of-first.pdf'), docs[0]!.bytes);
    for (let i = 0; i < 1200; i++) {
      const left = (await tree(join(dir, 'inbox'))).filter((f) => !f.startsWith('.'));
      if (left.length === 0) break;
      await sleep(100);
    }
    watch.child.kill('SIGTERM');
    const result = await watch.done;
    expect(result.code).toBe(0);
    expect(await tree(join(dir, 'inbox'))).toEqual([]);
    expect((await tree(join(dir, 'processed'))).length).toBe(120);
    // Same bytes under two names: whichever is claimed first is the original, the other the duplicate.
    const duplicates = await tree(join(dir, 'duplicates'));
    expect(duplicates).toHaveLength(1);
    expect(['copy-of-first.pdf', docs[0]!.fileName]).toContain(duplicates[0]);
    const outcomes = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; kind?: string });
    expect(outcomes.filter((o) => o.kind === 'processed')).toHaveLength(120);
    const list = JSON.parse((await runCli(['list', '--json', '--limit', '1'], env, dir)).stdout);
    expect(list.total).toBe(120);
  });
});
