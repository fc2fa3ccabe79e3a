import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPdf } from '@autod/extract';
import { buildScannedImage } from '@autod/testkit';
import { runCli, tree } from './helpers.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-e2e-images-'));
  await mkdir(join(dir, 'inbox'), { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('images are documents (real CLI)', () => {
  it('`autod process` OCRs a PNG and a multi-page TIFF, files searchable PDFs and keeps the originals', async () => {
    const env = { AUTOD_DATA_DIR: dir, AUTOD_PROVIDER: 'local', AUTOD_OCR: 'true' };
    const png = await buildScannedImage([['NORTHWIND TRADERS', 'Invoice 4711', 'Date: 2024-06-03', 'Total 88.20 EUR']]);
    const tiff = await buildScannedImage(
      [
        ['CONTOSO INSURANCE', 'Policy statement', 'Date: 2024-02-01'],
        ['Page two of the statement', 'Premium 120.00 EUR'],
      ],
      { format: 'tiff' },
    );
    await writeFile(join(dir, 'inbox', 'phone-photo.png'), png);
    await writeFile(join(dir, 'inbox', 'scanner.tiff'), tiff);
    await writeFile(join(dir, 'inbox', 'notes.txt'), 'not a document');

    const r = await runCli(['process', '--json'], env, dir);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ processed: 2, failed: 1 });
    expect(await tree(join(dir, 'inbox'))).toEqual([]);

    // the .txt has a row too (every outcome is in the database), under status failed
    const failedList = JSON.parse((await runCli(['list', '--status', 'failed', '--json'], env, dir)).stdout);
    expect(failedList.items.map((d: { fileName: string; status: string }) => d.fileName)).toEqual(['notes.txt']);
    const list = JSON.parse((await runCli(['list', '--status', 'completed', '--json'], env, dir)).stdout);
    expect(list.total).toBe(2);
    const byName = new Map<string, { id: number }>(list.items.map((d: { fileName: string }) => [d.fileName, d]));
    const cases = [
      { name: 'phone-photo.png', mediaType: 'image/png', ext: '.png', words: ['NORTHWIND', '88.20'], pages: 1 },
      { name: 'scanner.tiff', mediaType: 'image/tiff', ext: '.tiff', words: ['CONTOSO', '120.00'], pages: 2 },
    ];
    for (const c of cases) {
      const doc = byName.get(c.name);
      expect(doc, c.name).toBeDefined();
      const show = JSON.parse((await runCli(['show', String(doc?.id), '--json'], env, dir)).stdout);
      expect(show).toMatchObject({ status: 'completed', mediaType: c.mediaType, pageCount: c.pages });
      expect(show.storagePath).toMatch(/\.pdf$/);
      expect(show.originalPath).toBe(show.storagePath.replace(/\.pdf$/, c.ext));
      // The original is kept byte for byte; the filed PDF carries the OCR text as a text layer.
      const original = await readFile(show.originalPath);
      expect(Buffer.compare(original, Buffer.from(c.name.endsWith('.png') ? png : tiff))).toBe(0);
      const filed = await readPdf(new Uint8Array(await readFile(show.storagePath)));
      expect(filed.pageCount).toBe(c.pages);
      for (const w of c.words) expect(filed.text).toContain(w);
      expect(filed.pages.every((p) => p.source === 'text')).toBe(true);
    }
    // Full-text search finds the OCR'd words.
    const found = JSON.parse((await runCli(['search', 'NORTHWIND', '--json'], env, dir)).stdout);
    expect(found.hits.map((h: { id: number }) => h.id)).toContain(byName.get('phone-photo.png')?.id);
    const exported = JSON.parse(
      (await runCli(['export', '--format', 'json', '--status', 'completed'], env, dir)).stdout,
    );
    expect(exported.map((d: { mediaType: string }) => d.mediaType).sort()).toEqual(['image/png', 'image/tiff']);
    const failed = JSON.parse(await readFile(join(dir, 'failed', 'notes.txt.error.json'), 'utf8'));
    expect(failed.error.code).toBe('INPUT_UNSUPPORTED_TYPE');
  }, 180_000);

  it('`autod doctor` lists the OCR languages; an unknown one is a configuration error (exit 78)', async () => {
    const env = { AUTOD_DATA_DIR: dir, AUTOD_PROVIDER: 'local', AUTOD_OCR: 'true', AUTOD_OCR_LANGUAGES: 'eng+deu' };
    const r = await runCli(['doctor', '--json'], env, dir);
    const report = JSON.parse(r.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    const ocr = report.checks.find((c) => c.name === 'ocr');
    expect(ocr).toMatchObject({ ok: true });
    expect(ocr?.detail).toContain('eng+deu');
    expect(ocr?.detail).toContain('installed: eng, deu, fra, spa, ita, nld, por, msa');
    // Commands that read (list, show) do not start the OCR engine; the ones that process check it first.
    const bad = await runCli(['process', '--json'], { ...env, AUTOD_OCR_LANGUAGES: 'eng+klingon' }, dir);
    expect(bad.code).toBe(78);
    expect(bad.stdout + bad.stderr).toContain('CFG_INVALID');
    expect(bad.stdout + bad.stderr).toContain('klingon');
  }, 60_000);
});
