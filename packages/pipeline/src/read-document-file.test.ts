import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readDocumentFile } from './read-document-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autod-read-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('reads every byte of a file, larger than one read chunk too', async () => {
  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  await writeFile(join(dir, 'big.pdf'), big);
  const r = await readDocumentFile(join(dir, 'big.pdf'), 10 * 1024 * 1024);
  expect(r.kind).toBe('read');
  if (r.kind === 'read') expect(Buffer.from(r.bytes).equals(big)).toBe(true);
});

it('tells a vanished file, a directory and a file over the limit apart without reading them', async () => {
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'large.pdf'), Buffer.alloc(2048));
  expect(await readDocumentFile(join(dir, 'missing.pdf'), 1024)).toEqual({ kind: 'vanished' });
  expect(await readDocumentFile(join(dir, 'sub'), 1024)).toEqual({ kind: 'not_a_file' });
  expect(await readDocumentFile(join(dir, 'large.pdf'), 1024)).toEqual({ kind: 'too_large', sizeBytes: 2048 });
  expect(await readDocumentFile(join(dir, 'large.pdf'), 2048)).toMatchObject({ kind: 'read' });
});

it('reads an empty file as zero bytes', async () => {
  await writeFile(join(dir, 'empty.pdf'), '');
  const r = await readDocumentFile(join(dir, 'empty.pdf'), 1024);
  expect(r.kind === 'read' && r.bytes.byteLength).toBe(0);
});
