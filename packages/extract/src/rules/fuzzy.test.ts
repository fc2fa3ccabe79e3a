import { describe, expect, it } from 'vitest';
import {
  editDistance,
  findPhrase,
  firstPhrase,
  foldLabel,
  labelTokens,
  phrase,
  phrases,
  tokenMatches,
  type Phrase,
} from './fuzzy.js';
import './lexicon.js'; // the lexicon's words are the vocabulary that is never bent

describe('foldLabel', () => {
  it('lower-cases, strips accents and punctuation', () => {
    expect(foldLabel('Gesamtbetrag (brutto):')).toBe('gesamtbetrag brutto');
    expect(foldLabel('Montant TTC à payer')).toBe('montant ttc a payer');
    expect(foldLabel('Rückgeld')).toBe('ruckgeld');
    expect(foldLabel('Straße')).toBe('strasse');
  });

  it('maps digits OCR read for letters inside words, not in numbers', () => {
    expect(foldLabel('T0TAL 6ST')).toBe('total gst');
    expect(foldLabel('Total 2024')).toBe('total 2024');
  });
});

describe('tokenMatches', () => {
  it('tolerates one OCR error in short words and two in long ones', () => {
    expect(tokenMatches('tatal', 'total')).toBe(true);
    expect(tokenMatches('raunding', 'rounding')).toBe(true);
    expect(tokenMatches('daclusive', 'inclusive')).toBe(true);
    expect(tokenMatches('gesamtbetrog', 'gesamtbetrag')).toBe(true);
  });

  it('keeps the first letter of short words ("metal" is not "total") unless OCR lost it', () => {
    expect(tokenMatches('metal', 'total')).toBe(false);
    expect(tokenMatches('otal', 'total')).toBe(true);
  });

  it('never bends a word of the lexicon into another one', () => {
    expect(tokenMatches('nett', 'netto')).toBe(false);
    expect(tokenMatches('net', 'nett')).toBe(false);
    expect(tokenMatches('rate', 'date')).toBe(false);
  });

  it('reads a word glued to an OCR dot leader, but not a longer real word', () => {
    expect(tokenMatches('cashuvovansoavnss', 'cash')).toBe(true);
    expect(tokenMatches('cashier', 'cash')).toBe(false);
  });
});

describe('findPhrase', () => {
  it('finds a phrase as consecutive tokens', () => {
    const p = phrase('total incl');
    expect(findPhrase(labelTokens('Tatal Incl.6% 6ST'), p)).toBe(0);
    expect(findPhrase(labelTokens('Sub total'), phrase('grand total'))).toBe(-1);
  });

  it('bounds the edit distance', () => {
    expect(editDistance('kitten', 'sitting', 3)).toBe(3);
    expect(editDistance('abc', 'xyzxyz', 2)).toBe(3);
  });
});

describe('firstPhrase', () => {
  it('prefers the longest phrase, then the earliest, with OCR-damaged and glued tokens', () => {
    const list = [phrase('Total'), phrase('Total due'), phrase('Amount payable')];
    const toks = labelTokens('Subtotal 10.00 Tatal due ..... 12.00 Amount payableeee');
    // "Tatal due" (one edit) and "Amount payableeee" (junk glued to the last word) both match two words: the earlier wins.
    expect(toks).toEqual(['subtotal', '10', '00', 'tatal', 'due', '12', '00', 'amount', 'payableeee']);
    expect(firstPhrase(toks, list)).toMatchObject({ phrase: { text: 'Total due' }, at: 3 });
    // Without glued words only "Tatal due" matches as a two-word phrase.
    expect(firstPhrase(toks, list, false)).toMatchObject({ phrase: { text: 'Total due' }, at: 3 });
    expect(firstPhrase(labelTokens('nothing to see'), list)).toBeUndefined();
    // The same answer as asking findPhrase phrase by phrase.
    expect(list.map((p) => findPhrase(toks, p))).toEqual([3, 3, 7]);
    expect(list.map((p) => findPhrase(toks, p, false))).toEqual([3, 3, -1]);
  });

  it('finds what checking every phrase in list order finds (ties: the first in the list), on generated lines', () => {
    const list = phrases(
      'Total',
      'Total due',
      'Amount due',
      'Gesamtbetrag',
      'Total amount',
      'Balance due',
      'Amount',
      'Due',
      'Net total',
      // The same words written another way: a tie the list order decides.
      'TOTAL:',
      'AMOUNT DUE',
    );
    const pool = [
      'total',
      'tatal',
      'due',
      'amount',
      'amaunt',
      'gesamtbetrog',
      'net',
      'totalxxxx',
      'balance',
      'the',
      '12',
    ];
    // The definition: every phrase's first position; the longest wins, then the earliest, then the first listed.
    const reference = (toks: string[], prefix: boolean) => {
      let best: { phrase: Phrase; at: number } | undefined;
      for (const p of list) {
        const at = findPhrase(toks, p, prefix);
        if (at < 0) continue;
        if (
          !best ||
          p.words.length > best.phrase.words.length ||
          (p.words.length === best.phrase.words.length && at < best.at)
        )
          best = { phrase: p, at };
      }
      return best;
    };
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    let matched = 0;
    for (let n = 0; n < 500; n++) {
      const toks = Array.from(
        { length: 1 + Math.floor(next() * 6) },
        () => pool[Math.floor(next() * pool.length)] as string,
      );
      for (const prefix of [true, false]) {
        const got = firstPhrase(toks, list, prefix);
        expect(got, `${toks.join(' ')} (prefix ${prefix})`).toEqual(reference(toks, prefix));
        if (got) matched++;
      }
    }
    expect(matched).toBeGreaterThan(300); // most lines hold a label: the comparison is not between two misses
  });

  it('folds a line the same way every time (the fold is cached)', () => {
    const line = 'T0TAL ÄNDERUNG 6ST';
    expect(foldLabel(line)).toBe('total anderung gst');
    expect(foldLabel(line)).toBe(foldLabel(line));
  });
});
