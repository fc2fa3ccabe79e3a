import { describe, expect, it } from 'vitest';
import { LineIndex } from '../text.js';
import { EvidenceLocator } from './evidence.js';

describe('EvidenceLocator', () => {
  const pages = [
    { page: 1, text: 'ACME GmbH\nRechnung Nr. 12' },
    {
      page: 2,
      text: 'Positionen\nGesamtbetrag   119,00 €',
      lines: [
        { text: 'Positionen', box: [0.1, 0.1, 0.3, 0.12] as const },
        { text: 'Gesamtbetrag 119,00 €', box: { x0: 0.5, y0: 0.8, x1: 0.9, y1: 0.82 } },
      ],
    },
  ];
  const text = pages.map((p) => p.text).join('\n\n');
  const locator = new EvidenceLocator(text, new LineIndex(text), pages);

  it('maps an offset to its page and source line', () => {
    const ev = locator.at(text.indexOf('Nr. 12'), 0.9);
    expect(ev).toEqual({ confidence: 0.9, page: 1, source_text: 'Rechnung Nr. 12', box: null });
  });

  it('takes the box of the matching page line (tuple or object, 0..1 of the page)', () => {
    const ev = locator.at(text.indexOf('119,00'), 0.95);
    expect(ev.page).toBe(2);
    expect(ev.source_text).toBe('Gesamtbetrag 119,00 €');
    expect(ev.box).toEqual({ x0: 0.5, y0: 0.8, x1: 0.9, y1: 0.82 });
    expect(locator.at(text.indexOf('Positionen'), 0.5).box).toEqual({ x0: 0.1, y0: 0.1, x1: 0.3, y1: 0.12 });
  });

  it('gives no location for a value that was not read at one place', () => {
    expect(locator.at(null, 0.7)).toEqual({ confidence: 0.7, page: null, source_text: null, box: null });
  });
});
