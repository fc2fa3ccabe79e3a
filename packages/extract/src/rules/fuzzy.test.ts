import { describe, expect, it } from 'vitest';
import { editDistance, findPhrase, foldLabel, labelTokens, phrase, tokenMatches } from './fuzzy.js';
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
