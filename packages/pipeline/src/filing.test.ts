import { link, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IndexedFields } from '@autod/core';
import { moveFileSafely, renderFilingPath, safeJoin } from './filing.js';

const fields: IndexedFields = {
  category: 'Financial & Administrative',
  subcategory: 'Utilities',
  docType: 'Utility Bill',
  issuer: 'City Water / Sewer Co.',
  primaryDate: '2024-03-15',
  totalAmount: 42.5,
  currency: 'USD',
  title: 'Water bill March 2024',
  confidence: 0.9,
  customer: null,
  invoiceNumber: null,
  dueDate: null,
};

describe('renderFilingPath', () => {
  it('renders the default template with sanitised parts', () => {
    const rel = renderFilingPath('{yyyy}/{mm}/{date}_{issuer}_{doc_type}', {
      fields,
      sha256: 'ab'.repeat(32),
      originalName: 'scan 001.pdf',
      fallbackDate: '2025-01-01',
    });
    expect(rel.startsWith('2024/03/2024-03-15_')).toBe(true);
    expect(rel).not.toMatch(/[\\:]/);
    expect(rel.split('/')).toHaveLength(3);
    expect(rel).toContain('City');
  });

  it('falls back to the processing date and placeholders when fields are missing', () => {
    const rel = renderFilingPath('{yyyy}/{date}_{issuer}', {
      fields: { ...fields, primaryDate: null, issuer: null },
      sha256: 'cd'.repeat(32),
      originalName: 'x.pdf',
      fallbackDate: '2025-02-03',
    });
    expect(rel).toBe('2025/2025-02-03_unknown-issuer');
  });

  it('cannot escape the processed folder', () => {
    const rel = renderFilingPath('../../{issuer}/..', {
      fields: { ...fields, issuer: '../../etc/passwd' },
      sha256: 'ef'.repeat(32),
      originalName: 'x.pdf',
      fallbackDate: '2025-02-03',
    });
    expect(() => safeJoin('/data/processed', rel)).not.toThrow();
    expect(safeJoin('/data/processed', rel).startsWith('/data/processed/')).toBe(true);
    expect(() => safeJoin('/data/processed', '../x')).toThrow();
  });
});

describe('moveFileSafely', () => {
  it('never overwrites: a taken name gets a numeric suffix', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autod-move-'));
    await writeFile(join(dir, 'a.pdf'), 'first');
    await writeFile(join(dir, 'b.pdf'), 'second');
    const d1 = await moveFileSafely(join(dir, 'a.pdf'), join(dir, 'out', 'doc.pdf'));
    const d2 = await moveFileSafely(join(dir, 'b.pdf'), join(dir, 'out', 'doc.pdf'));
    expect(d1).toBe(join(dir, 'out', 'doc.pdf'));
    expect(d2).toBe(join(dir, 'out', 'doc-1.pdf'));
    expect(await readFile(d1, 'utf8')).toBe('first');
    expect(await readFile(d2, 'utf8')).toBe('second');
    expect((await readdir(dir)).sort()).toEqual(['out']);
  });

  it('keeps every file when many share one name (sequential, then random suffixes)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autod-move-many-'));
    const moved = new Set<string>();
    for (let i = 0; i < 12; i++) {
      await writeFile(join(dir, `in-${i}.pdf`), `content ${i}`);
      moved.add(await moveFileSafely(join(dir, `in-${i}.pdf`), join(dir, 'out', 'same.pdf')));
    }
    expect(moved.size).toBe(12);
    const names = await readdir(join(dir, 'out'));
    expect(names).toHaveLength(12);
    expect(names).toEqual(expect.arrayContaining(['same.pdf', 'same-1.pdf', 'same-2.pdf', 'same-3.pdf']));
    for (const p of moved) expect((await readFile(p, 'utf8')).startsWith('content ')).toBe(true);
  });

  it('finishes a move a crash interrupted between link and unlink instead of filing a second copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autod-move-crash-'));
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'in.pdf'), 'the document');
    // kill -9 after link(), before unlink(): the same file is in both folders
    await link(join(dir, 'in.pdf'), join(dir, 'out', 'doc.pdf'));
    const dest = await moveFileSafely(join(dir, 'in.pdf'), join(dir, 'out', 'doc.pdf'));
    expect(dest).toBe(join(dir, 'out', 'doc.pdf'));
    expect(await readdir(join(dir, 'out'))).toEqual(['doc.pdf']);
    expect((await readdir(dir)).sort()).toEqual(['out']);
    // a different file of the same name is still never overwritten
    await writeFile(join(dir, 'other.pdf'), 'the document');
    expect(await moveFileSafely(join(dir, 'other.pdf'), join(dir, 'out', 'doc.pdf'))).toBe(
      join(dir, 'out', 'doc-1.pdf'),
    );
  });

  it('makes the destination folder again when it was removed after a first move, and still fails on a missing source', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autod-move-gone-'));
    await writeFile(join(dir, 'a.pdf'), 'first');
    await writeFile(join(dir, 'b.pdf'), 'second');
    expect(await moveFileSafely(join(dir, 'a.pdf'), join(dir, 'out', 'x', 'doc.pdf'))).toBe(
      join(dir, 'out', 'x', 'doc.pdf'),
    );
    // Someone tidies the processed folder while autod runs.
    await rm(join(dir, 'out'), { recursive: true });
    const d2 = await moveFileSafely(join(dir, 'b.pdf'), join(dir, 'out', 'x', 'doc.pdf'));
    expect(d2).toBe(join(dir, 'out', 'x', 'doc.pdf'));
    expect(await readFile(d2, 'utf8')).toBe('second');
    await expect(moveFileSafely(join(dir, 'missing.pdf'), join(dir, 'out', 'x', 'other.pdf'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
