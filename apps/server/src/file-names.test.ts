import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { placeFile, safeFileName } from './file-names.js';

describe('safeFileName', () => {
  it.each([
    ['invoice.pdf', 'invoice.pdf'],
    ['Invoice.PDF', 'Invoice.pdf'],
    ['scan', 'scan.pdf'],
    ['../../etc/passwd', 'passwd.pdf'],
    ['..\\..\\windows\\system32\\evil.pdf', 'evil.pdf'],
    ['/abs/path/x.pdf', 'x.pdf'],
    ['..', 'upload.pdf'],
    ['.hidden.pdf', 'hidden.pdf'],
    ['...', 'upload.pdf'],
    ['', 'upload.pdf'],
    [undefined, 'upload.pdf'],
    ['a\u0000b\u001fc\u007f.pdf', 'abc.pdf'],
    ['bill\u202eFDP.exe', 'billFDP.exe.pdf'],
    ['what?<>:"|*.pdf', 'what_______.pdf'],
    ['  lots   of\tspace  .pdf', 'lots of space.pdf'],
    ['-rf.pdf', 'rf.pdf'],
    ['trailing dots...pdf', 'trailing dots.pdf'],
    ['Rechnung März.pdf', 'Rechnung März.pdf'],
  ])('%j → %j', (input, expected) => {
    expect(safeFileName(input)).toBe(expected);
  });

  it('bounds the length in bytes and never splits a character', () => {
    const name = safeFileName(`${'ü'.repeat(300)}.pdf`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(184);
    expect(name.endsWith('ü.pdf')).toBe(true);
  });

  it('never produces a path separator, a leading dot or a control character (fuzz)', () => {
    const alphabet = ['a', '.', '/', '\\', '\u0000', '\n', ' ', '-', 'é', '\u202e', ':', '*'];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 500; i++) {
      const input = Array.from(
        { length: 1 + Math.floor(rand() * 20) },
        () => alphabet[Math.floor(rand() * alphabet.length)],
      ).join('');
      const out = safeFileName(input);
      expect(out).toMatch(/\.pdf$/);
      expect(out).not.toMatch(/[/\\\u202e]/);
      expect([...out].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
      expect(out.startsWith('.')).toBe(false);
      expect(out).not.toBe('..pdf');
    }
  });
});

describe('placeFile', () => {
  let dir: string;
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('never overwrites: collisions get the sha prefix, then a counter', async () => {
    dir = await mkdtemp(join(tmpdir(), 'autod-place-'));
    const sha = 'abcdef0123456789'.repeat(4);
    const placed: string[] = [];
    for (const content of ['one', 'two', 'three']) {
      const src = join(dir, `${content}.part`);
      await writeFile(src, content);
      placed.push(await placeFile(src, dir, 'scan.pdf', sha));
    }
    expect(placed.map((p) => p.slice(dir.length + 1))).toEqual([
      'scan.pdf',
      'scan-abcdef01.pdf',
      'scan-abcdef01-2.pdf',
    ]);
    expect(await readFile(join(dir, 'scan.pdf'), 'utf8')).toBe('one');
    expect(await readFile(join(dir, 'scan-abcdef01-2.pdf'), 'utf8')).toBe('three');
    expect((await readdir(dir)).filter((n) => n.endsWith('.part'))).toEqual([]);
  });

  it('numbers further from the last collision instead of trying every taken name again', async () => {
    dir = await mkdtemp(join(tmpdir(), 'autod-place-'));
    const sha = '0123456789abcdef'.repeat(4);
    const place = async (content: string) => {
      const src = join(dir, `${content}.part`);
      await writeFile(src, content);
      return (await placeFile(src, dir, 'same.pdf', sha)).slice(dir.length + 1);
    };
    for (const c of ['a', 'b', 'c', 'd']) await place(c);
    // -2 is free again (filed), but the next upload of the same name goes on from -4.
    await rm(join(dir, 'same-01234567-2.pdf'));
    expect(await place('e')).toBe('same-01234567-4.pdf');
    // The plain names come first whenever they are free.
    await rm(join(dir, 'same.pdf'));
    expect(await place('f')).toBe('same.pdf');
    expect(await readFile(join(dir, 'same-01234567-4.pdf'), 'utf8')).toBe('e');
  });

  it('never overwrites, also when many uploads of one name are placed at once (past the numbered names)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'autod-place-'));
    const sha = 'fedcba9876543210'.repeat(4);
    const contents = Array.from({ length: 120 }, (_, i) => `copy ${i}`);
    await Promise.all(contents.map((c, i) => writeFile(join(dir, `${i}.part`), c)));
    const placed = await Promise.all(contents.map((_, i) => placeFile(join(dir, `${i}.part`), dir, 'many.pdf', sha)));
    expect(new Set(placed).size).toBe(120);
    const stored = await Promise.all(placed.map((p) => readFile(p, 'utf8')));
    expect(stored.sort()).toEqual([...contents].sort());
  });
});
