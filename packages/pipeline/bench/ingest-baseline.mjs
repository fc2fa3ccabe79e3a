// The physical floor of ingest, run as a child of the ingest bench: every file of a folder read once, hashed
// (SHA-256) and its text read by pdf.js — the same reader and options `autod process` uses (`@autod/extract`'s
// worker pool, line geometry on, OCR off) — and nothing else. Prints the number of documents read.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { closePdfPool, readPdf } from '@autod/extract';
import { readDocumentFile } from '../dist/index.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: ingest-baseline.mjs <folder>');
const files = (await readdir(dir)).sort().map((f) => join(dir, f));
let pages = 0;
for (const path of files) {
  const file = await readDocumentFile(path, Number.MAX_SAFE_INTEGER);
  if (file.kind !== 'read') throw new Error(`${path}: ${file.kind}`);
  createHash('sha256').update(file.bytes).digest('hex');
  const pdf = await readPdf(file.bytes, { ocr: false, geometry: true });
  pages += pdf.pageCount;
}
await closePdfPool();
console.log(JSON.stringify({ docs: files.length, pages }));
