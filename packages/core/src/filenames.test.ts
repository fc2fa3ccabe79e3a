import { describe, expect, it } from 'vitest';
import { sanitizeFileNamePart, stripExtension } from './index.js';

describe('sanitizeFileNamePart', () => {
  it.each([
    ['2024-03-18 – PG&E – Bill', '2024-03-18 - PG&E - Bill'],
    ['Rechnung März Größe', 'Rechnung Marz Grosse'],
    ['a/b\\c', 'a-b-c'],
    ['line1\nline2\ttab\u0000', 'line1 line2 tab'],
    ['  ..hidden.. ', 'hidden'],
    ['what?*<>|:"', 'what'],
    ['日本語', 'untitled'],
    ['', 'untitled'],
    ['CON', 'CON_'],
    ['Financial & Administrative', 'Financial & Administrative'],
  ])('%j -> %j', (input, expected) => {
    expect(sanitizeFileNamePart(input)).toBe(expected);
  });

  it('limits the length and trims what the cut leaves', () => {
    expect(sanitizeFileNamePart('x'.repeat(300))).toHaveLength(150);
    expect(sanitizeFileNamePart('abcd - efgh', 6)).toBe('abcd');
  });

  it('always returns printable ASCII without separators', () => {
    const out = sanitizeFileNamePart('«Ärger» / ∑ \u202e evil\u0007 name');
    expect(out).toMatch(/^[\x20-\x7e]+$/);
    expect(out).not.toMatch(/[/\\]/);
  });
});

describe('stripExtension', () => {
  it.each([
    ['scan.pdf', 'scan'],
    ['a.b.PDF', 'a.b'],
    ['.hidden', '.hidden'],
    ['noext', 'noext'],
    ['dir/sub/file.pdf', 'file'],
  ])('%s -> %s', (input, expected) => {
    expect(stripExtension(input)).toBe(expected);
  });
});
