/**
 * OCR-tolerant label matching. Labels on scanned receipts come out of OCR with wrong letters
 * ("Tatal", "Raunding", "6ST" for GST), dot leaders read as letters ("TOTAL ANTeeeenss") and
 * glued words. A label is folded (lower case, no accents, digits inside words mapped to the letters
 * OCR confuses them with) and split into tokens; a lexicon phrase matches when its words appear as
 * consecutive tokens, each within a small edit distance that grows with the word's length.
 */

/** Digits OCR reads for letters, used only inside tokens that also hold letters ("6ST", "T0TAL"). */
const DIGIT_AS_LETTER: Record<string, string> = {
  '0': 'o',
  '1': 'l',
  '5': 's',
  '6': 'g',
  '8': 'b',
  '3': 'e',
  '4': 'a',
};

/** Folded lines: the rules fold the same lines many times per document (each field family looks at them). */
const FOLD_CACHE = new Map<string, string>();
const FOLD_CACHE_MAX = 20_000;

/** Lower-case, strip accents (ß → ss), map digits inside letter tokens, punctuation → spaces. */
export function foldLabel(s: string): string {
  let folded = FOLD_CACHE.get(s);
  if (folded === undefined) {
    folded = foldUncached(s);
    if (FOLD_CACHE.size >= FOLD_CACHE_MAX) FOLD_CACHE.clear();
    FOLD_CACHE.set(s, folded);
  }
  return folded;
}

function foldUncached(s: string): string {
  const base = s
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '');
  return base
    .replace(/[\p{L}\p{N}]+/gu, (tok) =>
      /\p{L}/u.test(tok) && /\d/.test(tok) && /\p{L}{2}/u.test(tok)
        ? tok.replace(/\d/g, (d) => DIGIT_AS_LETTER[d] ?? d)
        : tok,
    )
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function labelTokens(s: string): string[] {
  const f = foldLabel(s);
  return f.length === 0 ? [] : f.split(' ');
}

/** The two rows of `editDistance`, reused (grown when a word is longer): no allocation per call. */
let rowsA = new Int32Array(64);
let rowsB = new Int32Array(64);

/** Levenshtein distance, giving up (returning `max + 1`) once it exceeds `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  if (rowsA.length <= n) {
    rowsA = new Int32Array(n + 1);
    rowsB = new Int32Array(n + 1);
  }
  let prev = rowsA;
  let cur = rowsB;
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const ca = a.charCodeAt(i - 1);
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const del = (prev[j] ?? 0) + 1;
      const ins = (cur[j - 1] ?? 0) + 1;
      const sub = (prev[j - 1] ?? 0) + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      const v = del < ins ? (del < sub ? del : sub) : ins < sub ? ins : sub;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    const t = prev;
    prev = cur;
    cur = t;
  }
  return prev[n] ?? max + 1;
}

/** Edits allowed for a lexicon word of this length: none up to 3 letters, 1 up to 7, 2 beyond. */
function allowedEdits(word: string): number {
  if (word.length <= 3) return 0;
  if (word.length <= 7) return 1;
  return 2;
}

/** Words a glued OCR token may start with without meaning the lexicon word ("cashier" is not "cash"). */
const PREFIX_STOP = new Set(['cashier', 'totally', 'changes', 'datum', 'dated', 'summer', 'totalled']);

/**
 * Whether token `tok` is lexicon word `word`: equal; within the allowed edits; or (for words of 4+
 * letters, `prefix` on) the token starts with the word and the rest is OCR junk from a dot leader.
 */
/** Per token: the lexicon words it matches (whole, and glued to junk). Rebuilt if the lexicon grows. */
const TOKEN_CACHE = new Map<string, { whole: Set<string>; glued: Set<string> }>();
let cachedVocabularySize = 0;

/** The vocabulary by word length (rebuilt with the token cache when the lexicon grows). */
let wordsByLength = new Map<number, string[]>();

function matchesOf(tok: string): { whole: Set<string>; glued: Set<string> } {
  if (cachedVocabularySize !== VOCABULARY.size) {
    TOKEN_CACHE.clear();
    cachedVocabularySize = VOCABULARY.size;
    wordsByLength = new Map();
    for (const word of VOCABULARY) {
      const same = wordsByLength.get(word.length);
      if (same) same.push(word);
      else wordsByLength.set(word.length, [word]);
    }
  }
  let m = TOKEN_CACHE.get(tok);
  if (!m) {
    m = { whole: new Set(), glued: new Set() };
    // A lexicon word matches only itself (`tokenMatchesUncached` is false for it against every other word).
    if (!VOCABULARY.has(tok)) {
      // Within the allowed edits (at most 2): a word at most 2 letters longer or shorter.
      for (let len = tok.length - 2; len <= tok.length + 2; len++)
        for (const word of wordsByLength.get(len) ?? []) if (tokenMatchesUncached(tok, word, false)) m.whole.add(word);
      // Glued to junk: a word of 4+ letters the token starts with, followed by 3+ more characters.
      for (let len = 4; len <= tok.length - 3; len++) {
        const word = tok.slice(0, len);
        if (VOCABULARY.has(word) && !m.whole.has(word) && tokenMatchesUncached(tok, word, true)) m.glued.add(word);
      }
    }
    if (TOKEN_CACHE.size > 50_000) TOKEN_CACHE.clear();
    TOKEN_CACHE.set(tok, m);
  }
  return m;
}

export function tokenMatches(tok: string, word: string, prefix = true): boolean {
  if (tok === word) return true;
  if (!VOCABULARY.has(word)) return tokenMatchesUncached(tok, word, prefix);
  const m = matchesOf(tok);
  return m.whole.has(word) || (prefix && m.glued.has(word));
}

/** {@link tokenMatches} with the token's matches already looked up (`m` = `matchesOf(tok)`). */
function tokenMatchesWith(tok: string, m: { whole: Set<string>; glued: Set<string> }, word: string, prefix: boolean) {
  if (tok === word) return true;
  if (!VOCABULARY.has(word)) return tokenMatchesUncached(tok, word, prefix);
  return m.whole.has(word) || (prefix && m.glued.has(word));
}

function tokenMatchesUncached(tok: string, word: string, prefix: boolean): boolean {
  // A token that is itself a lexicon word is that word, not a misspelling of another ("nett" ≠ "netto").
  if (VOCABULARY.has(tok)) return false;
  const edits = allowedEdits(word);
  if (edits > 0 && editDistance(tok, word, edits) <= edits) {
    // Short words: the first letter must agree ("total" ≠ "metal"), unless OCR lost it ("otal").
    return word.length > 5 || tok[0] === word[0] || (word.length >= 5 && tok === word.slice(1));
  }
  if (prefix && word.length >= 4 && tok.length >= word.length + 3 && tok.startsWith(word) && !PREFIX_STOP.has(tok))
    return true;
  return false;
}

export interface Phrase {
  /** The lexicon text as written. */
  text: string;
  words: string[];
}

/** Every word of every phrase made with {@link phrase}, plus common words that look like labels. */
const VOCABULARY = new Set<string>(['late', 'rate', 'data', 'tote', 'metal', 'dated', 'cast', 'note', 'notes']);

/** Whether `word` (folded) is a word of some lexicon phrase. */
export function isLexiconWord(word: string): boolean {
  return VOCABULARY.has(word) && !NOT_LABELS.has(word);
}
/** Vocabulary entries that are common words of names as much as of labels. */
const NOT_LABELS = new Set([
  'late',
  'rate',
  'data',
  'tote',
  'metal',
  'cast',
  'note',
  'notes',
  'bar',
  'bank',
  'an',
  'to',
  'a',
  'de',
  'en',
  'van',
  'company',
  'carta',
  'pin',
  'master',
  'card',
]);

export function phrase(text: string): Phrase {
  const words = labelTokens(text);
  for (const w of words) VOCABULARY.add(w);
  return { text, words };
}

/** Index of the first token where `p` matches consecutively in `toks`, or -1. */
export function findPhrase(toks: readonly string[], p: Phrase, prefix = true): number {
  return findIn(toks, [], p, prefix);
}

/** {@link findPhrase} over tokens whose matches are looked up once (`seen[i]`, filled on first use). */
function findIn(toks: readonly string[], seen: TokenMatches[], p: Phrase, prefix: boolean): number {
  for (let i = 0; i + p.words.length <= toks.length; i++) if (matchesAt(toks, seen, p, prefix, i)) return i;
  return -1;
}

type TokenMatches = { whole: Set<string>; glued: Set<string> } | undefined;

/** Whether `p` matches the tokens from position `i` on. */
function matchesAt(toks: readonly string[], seen: TokenMatches[], p: Phrase, prefix: boolean, i: number): boolean {
  const n = p.words.length;
  if (n === 0 || i + n > toks.length) return false;
  for (let k = 0; k < n; k++) {
    const tok = toks[i + k];
    const word = p.words[k];
    if (tok === undefined || word === undefined) return false;
    const m = (seen[i + k] ??= matchesOf(tok));
    // Only the last word of a phrase may be glued to junk.
    if (!tokenMatchesWith(tok, m, word, prefix && k === n - 1)) return false;
  }
  return true;
}

/**
 * Per phrase list: its phrases by first word (positions in the list). A token can only start a phrase whose first word
 * it is or matches, so a line is checked against a handful of phrases instead of the whole list. `null` for a list
 * with a word outside the vocabulary (matched by edit distance directly, not through a token's matches).
 */
const FIRST_WORDS = new WeakMap<readonly Phrase[], Map<string, number[]> | null>();

function firstWordIndex(list: readonly Phrase[]): Map<string, number[]> | null {
  let index = FIRST_WORDS.get(list);
  if (index === undefined) {
    index = new Map();
    for (const [j, p] of list.entries()) {
      if (!p.words.every((w) => VOCABULARY.has(w))) {
        index = null;
        break;
      }
      const first = p.words[0];
      if (first === undefined) continue;
      const at = index.get(first);
      if (at) at.push(j);
      else index.set(first, [j]);
    }
    FIRST_WORDS.set(list, index);
  }
  return index;
}

/**
 * The first phrase of `list` found in `toks` (with its position), or undefined: the longest phrase, then the
 * earliest, then the first in the list.
 */
export function firstPhrase(
  toks: readonly string[],
  list: readonly Phrase[],
  prefix = true,
): { phrase: Phrase; at: number } | undefined {
  const index = firstWordIndex(list);
  const seen: TokenMatches[] = [];
  if (index === null) {
    let best: { phrase: Phrase; at: number } | undefined;
    for (const p of list) {
      const at = findIn(toks, seen, p, prefix);
      if (at >= 0 && (!best || isBetter(p, at, best.phrase, best.at))) best = { phrase: p, at };
    }
    return best;
  }
  // Each phrase's first match, found scanning the positions in order: the first time it matches is its position.
  const found = new Map<number, number>();
  const tryStarts = (js: readonly number[] | undefined, i: number): void => {
    if (!js) return;
    for (const j of js) {
      const p = list[j];
      if (p && !found.has(j) && matchesAt(toks, seen, p, prefix, i)) found.set(j, i);
    }
  };
  for (let i = 0; i < toks.length; i++) {
    const tok = toks[i] as string;
    const m = (seen[i] ??= matchesOf(tok));
    tryStarts(index.get(tok), i);
    for (const w of m.whole) tryStarts(index.get(w), i);
    for (const w of m.glued) tryStarts(index.get(w), i);
  }
  let best: { phrase: Phrase; at: number; j: number } | undefined;
  for (const [j, at] of found) {
    const p = list[j] as Phrase;
    if (
      !best ||
      isBetter(p, at, best.phrase, best.at) ||
      (p.words.length === best.phrase.words.length && at === best.at && j < best.j)
    )
      best = { phrase: p, at, j };
  }
  return best ? { phrase: best.phrase, at: best.at } : undefined;
}

/** The longer phrase wins, then the earlier one. */
function isBetter(p: Phrase, at: number, than: Phrase, thanAt: number): boolean {
  return p.words.length > than.words.length || (p.words.length === than.words.length && at < thanAt);
}

export function phrases(...texts: string[]): Phrase[] {
  return texts.map(phrase);
}
