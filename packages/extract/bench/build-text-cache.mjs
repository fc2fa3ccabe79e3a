// Builds the text cache of the real corpus the accuracy bench reads (`AUTOD_REAL_TEXT_CACHE`):
// `<id>.txt` (the page texts) and `<id>.pages.json` (pages with line geometry), read the way the
// pipeline reads them (readDocument with OCR, eng+deu, geometry). Run after a build:
//   node packages/extract/bench/build-text-cache.mjs <corpus dir> <cache dir> [--force]
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTesseractOcr, readDocument } from '../dist/index.js';

const [corpus, cache] = process.argv.slice(2);
const force = process.argv.includes('--force');
if (!corpus || !cache) throw new Error('usage: build-text-cache.mjs <corpus dir> <cache dir> [--force]');
await mkdir(cache, { recursive: true });
const languages = (process.env['AUTOD_OCR_LANGUAGES'] ?? 'eng+deu').split('+');
const ocr = createTesseractOcr({ languages });
const files = (await readdir(corpus)).filter((f) => /\.(pdf|jpe?g|png|tiff?)$/i.test(f)).sort();
const started = performance.now();
for (const f of files) {
  const id = f.replace(/\.[^.]+$/, '');
  const out = path.join(cache, `${id}.pages.json`);
  if (!force && existsSync(out)) continue;
  const t = performance.now();
  const content = await readDocument(new Uint8Array(await readFile(path.join(corpus, f))), {
    ocr,
    geometry: true,
    archive: false,
    fileName: f,
  });
  await writeFile(path.join(cache, `${id}.txt`), content.text);
  await writeFile(out, JSON.stringify({ pageCount: content.pageCount, pages: content.pages }));
  console.log(`${id} ${((performance.now() - t) / 1000).toFixed(1)}s`);
}
await ocr.close();
console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)}s`);
