/**
 * The robustness suite: odd but real-world inputs (testkit `oddInputs`: a giant page, a broken xref, encryption, zero
 * pages, CCITT/JBIG2 image pages, a form, 300 pages, a truncated file, wrong extensions, a BOM, unicode and emoji
 * names, images, a ZIP, a text file, an empty file, a duplicate) through `autod process` and `autod watch`. Nothing
 * crashes or hangs; every input is accounted for (processed, duplicate or failed); every failure has a catalogue code,
 * a `.error.json` and a database row.
 */
import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@autod/errors';
import { buildTextPdf, oddInputs, type OddInput } from '@autod/testkit';
import { runCli, sleep, startCli, tree } from './helpers.js';

let work: string;
let inputs: OddInput[];
const HOUR_AGO = new Date(Date.now() - 3_600_000);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'autod-robust-'));
  inputs = await oddInputs();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Outcome {
  kind: string;
  path: string;
  destination?: string;
  documentId?: number | null;
  error?: { code: string; message: string };
}

function env(dir: string): Record<string, string> {
  // OCR off: the suite is about surviving odd files on a 2-core CI box, not about reading them.
  return { AUTOD_DATA_DIR: dir, AUTOD_PROVIDER: 'local', AUTOD_OCR: 'false', AUTOD_CONCURRENCY: '2' };
}

/** Write the inputs to `into` as complete files that have been sitting there (not a copy in progress). */
async function place(into: string, stage?: string): Promise<void> {
  for (const input of inputs) {
    const final = join(into, input.name);
    const at = stage ? join(stage, input.name) : final;
    await writeFile(at, input.bytes);
    await utimes(at, HOUR_AGO, HOUR_AGO);
    if (stage) await rename(at, final);
  }
}

const base = (p: string) => p.split('/').pop() ?? p;

/** Every input ended exactly once as processed, duplicate or failed, as its kind allows. */
async function expectAccountedFor(dir: string, outcomes: Outcome[]): Promise<void> {
  // The last outcome of each file counts; before it a file may only have waited (held by its twin, deferred).
  const byName = new Map<string, Outcome>();
  for (const o of outcomes) {
    if (o.kind === 'skipped') continue;
    const earlier = byName.get(base(o.path));
    if (earlier) expect(earlier.kind, `${base(o.path)}: one final outcome`).toBe('retry_later');
    byName.set(base(o.path), o);
  }
  expect([...byName.keys()].sort()).toEqual(inputs.map((i) => i.name).sort());

  const failedRows = JSON.parse(
    (await runCli(['list', '--status', 'failed', '--json', '--limit', '1000'], env(dir), dir)).stdout,
  ) as { items: { id: number; fileName: string; errorCode: string; storagePath: string }[] };
  const rowsByName = new Map(failedRows.items.map((r) => [r.fileName, r]));

  for (const input of inputs) {
    const o = byName.get(input.name)!;
    const label = `${input.name} (${input.what}): ${o.kind} ${o.error?.code ?? ''}`;
    switch (input.kind) {
      case 'pdf':
        expect(['processed', 'duplicate'], label).toContain(o.kind);
        break;
      case 'duplicate':
        // the same bytes as another input: whichever is claimed second is the duplicate
        expect(['processed', 'duplicate'], label).toContain(o.kind);
        break;
      case 'bad-pdf':
      case 'empty':
      case 'not-a-document':
        expect(o.kind, label).toBe('failed');
        break;
      case 'image':
        // images are documents: OCR'd (when on) and filed as a PDF with the original beside it
        expect(['processed', 'duplicate'], label).toContain(o.kind);
        break;
    }
    if (o.kind === 'failed') {
      expect(Object.keys(ERROR_CODES), label).toContain(o.error?.code);
      expect(o.destination, label).toBe(join(dir, 'failed', input.name));
      const row = rowsByName.get(input.name);
      expect(row, `${label}: a database row`).toBeDefined();
      expect(row?.errorCode, label).toBe(o.error?.code);
      expect(row?.storagePath, label).toBe(o.destination);
    }
  }
  const duplicates = [...byName.values()].filter((o) => o.kind === 'duplicate').map((o) => base(o.path));
  expect(duplicates).toHaveLength(1);
  expect(['plain.pdf', 'plain copy.pdf']).toContain(duplicates[0]);

  // the folders agree: the inbox is empty, every failure has its report
  expect(await tree(join(dir, 'inbox'))).toEqual([]);
  const failedFiles = await tree(join(dir, 'failed'));
  const finals = [...byName.values()];
  for (const o of finals.filter((x) => x.kind === 'failed'))
    expect(failedFiles).toContain(`${base(o.destination!)}.error.json`);
  // one filed PDF per processed document, plus the original beside it for an image
  const processedImages = finals.filter(
    (o) => o.kind === 'processed' && inputs.find((i) => i.name === base(o.path))?.kind === 'image',
  ).length;
  expect((await tree(join(dir, 'processed'))).length).toBe(
    finals.filter((o) => o.kind === 'processed').length + processedImages,
  );
}

describe('robustness: odd inputs', () => {
  it('autod process accounts for every input and exits with a summary', async () => {
    const dir = join(work, 'process');
    await mkdir(join(dir, 'inbox'), { recursive: true });
    await place(join(dir, 'inbox'));
    const r = await runCli(['process', '--json'], env(dir), dir);
    expect(r.stderr).not.toMatch(/unexpected|bug in autod/i);
    // 3 = the run finished and some files failed (EXIT_PARTIAL), never a crash (1)
    expect(r.code).toBe(3);
    const summary = JSON.parse(r.stdout) as { total: number; outcomes: Outcome[]; retryLater: number; skipped: number };
    expect(summary.total).toBe(inputs.length);
    expect(summary.retryLater).toBe(0);
    expect(summary.skipped).toBe(0);
    await expectAccountedFor(dir, summary.outcomes);
    // `doctor` sees the same: nothing waiting, every completed document indexed
    const doctor = JSON.parse((await runCli(['doctor', '--json'], env(dir), dir)).stdout) as {
      documents: { waiting: number; failed: number; unindexed: number; processing: number };
    };
    expect(doctor.documents).toMatchObject({
      waiting: 0,
      processing: 0,
      unindexed: 0,
      failed: summary.outcomes.filter((o) => o.kind === 'failed').length,
    });
  });

  it('autod watch accounts for every input and stops with exit 0 on SIGTERM', async () => {
    const dir = join(work, 'watch');
    const stage = join(dir, 'stage');
    await mkdir(join(dir, 'inbox'), { recursive: true });
    await mkdir(stage, { recursive: true });
    const watch = startCli(['watch', '--json'], env(dir), dir);
    let out = '';
    watch.child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 600 && !out.includes('"ready"'); i++) await sleep(50);
    expect(out).toContain('"ready"');
    // files land complete (renamed into place, like scanners and copies do)
    await place(join(dir, 'inbox'), stage);
    const finished = () =>
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Outcome & { event: string })
        .filter((e) => e.event === 'outcome' && e.kind !== 'skipped').length;
    for (let i = 0; i < 1200 && finished() < inputs.length; i++) await sleep(100);
    watch.child.kill('SIGTERM');
    const result = await watch.done;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/unexpected|bug in autod/i);
    const outcomes = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Outcome & { event: string })
      .filter((e) => e.event === 'outcome');
    await expectAccountedFor(dir, outcomes);
  });
});

describe('robustness: a reader that goes away', () => {
  it('autod process whose reader is gone (| head): the closed pipe ends the output, not the run', async () => {
    const work = await mkdtemp(join(tmpdir(), 'autod-e2e-epipe-'));
    try {
      const dir = join(work, 'data');
      await mkdir(join(dir, 'inbox'), { recursive: true });
      for (let i = 0; i < 12; i++)
        await writeFile(
          join(dir, 'inbox', `invoice-${i}.pdf`),
          await buildTextPdf([
            ['**INVOICE', `Pipe Reader ${i} Ltd`, 'Invoice date: 2024-05-02', `Total due: ${i}.50 EUR`],
          ]),
        );
      const { child, done } = startCli(
        ['process'],
        { AUTOD_DATA_DIR: dir, AUTOD_PROVIDER: 'local', AUTOD_OCR: 'false', AUTOD_CONCURRENCY: '1' },
        work,
      );
      // The reader is gone before autod writes (`| head -0`, a reader that quit): every write to stdout fails (EPIPE).
      child.stdout!.destroy();
      const r = await done;
      expect(r.stderr).not.toContain('EPIPE');
      expect(r.code, r.stderr).toBe(0);
      expect(await tree(join(dir, 'inbox'))).toEqual([]);
      expect((await tree(join(dir, 'processed'))).filter((f) => f.endsWith('.pdf'))).toHaveLength(12);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
