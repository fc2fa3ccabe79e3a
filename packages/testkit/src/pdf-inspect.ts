import { inflateSync } from 'node:zlib';

/** What the emulator (and tests) can learn about a PDF without a full PDF engine. */
export interface PdfInfo {
  /** Starts with `%PDF-`. */
  isPdf: boolean;
  /** Number of `/Type /Page` objects (0 when unknown). */
  pageCount: number;
  /** Text drawn by text operators (Tj/TJ/'/"), one line per text line. Empty for image-only PDFs. */
  text: string;
  /** A trailer `/Encrypt` entry is present. */
  encrypted: boolean;
  /** Count of image XObjects. */
  imageCount: number;
  /** Count of text-showing operators found in content streams. */
  textOperatorCount: number;
}

const WIN_ANSI_HIGH: Record<number, string> = {
  0x80: '€',
  0x82: '‚',
  0x84: '„',
  0x85: '…',
  0x86: '†',
  0x87: '‡',
  0x89: '‰',
  0x8a: 'Š',
  0x8b: '‹',
  0x8c: 'Œ',
  0x8e: 'Ž',
  0x91: '‘',
  0x92: '’',
  0x93: '“',
  0x94: '”',
  0x95: '•',
  0x96: '–',
  0x97: '—',
  0x99: '™',
  0x9a: 'š',
  0x9b: '›',
  0x9c: 'œ',
  0x9e: 'ž',
  0x9f: 'Ÿ',
};

function decodeWinAnsi(codes: number[]): string {
  let out = '';
  for (const c of codes) out += WIN_ANSI_HIGH[c] ?? String.fromCharCode(c);
  return out;
}

/** Raw stream payloads (inflated when FlateDecode works, else as stored). */
function streamPayloads(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const latin = bytes.toString('latin1');
  let from = 0;
  for (;;) {
    const at = latin.indexOf('stream', from);
    if (at < 0) break;
    // skip "endstream"
    if (latin.startsWith('end', at - 3)) {
      from = at + 6;
      continue;
    }
    let start = at + 6;
    if (latin[start] === '\r') start++;
    if (latin[start] === '\n') start++;
    const end = latin.indexOf('endstream', start);
    if (end < 0) break;
    const raw = bytes.subarray(start, end);
    try {
      out.push(inflateSync(raw));
    } catch {
      out.push(raw);
    }
    from = end + 9;
  }
  return out;
}

type Token =
  | { kind: 'str'; value: string }
  | { kind: 'num'; value: number }
  | { kind: 'op'; value: string }
  | { kind: 'arr'; value: Token[] };

function tokenize(src: string): Token[] {
  const root: Token[] = [];
  const stack: Token[][] = [root];
  let i = 0;
  const push = (t: Token): void => {
    stack[stack.length - 1]?.push(t);
  };
  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === '%') {
      while (i < src.length && src[i] !== '\n' && src[i] !== '\r') i++;
    } else if (ch === '(') {
      let depth = 1;
      const codes: number[] = [];
      i++;
      while (i < src.length && depth > 0) {
        const c = src[i] as string;
        if (c === '\\') {
          const n = src[i + 1] ?? '';
          const map: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, f: 12, '(': 40, ')': 41, '\\': 92 };
          if (/[0-7]/.test(n)) {
            const m = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4))?.[0] ?? '0';
            codes.push(parseInt(m, 8) & 0xff);
            i += 1 + m.length;
          } else {
            if (map[n] !== undefined) codes.push(map[n]);
            i += 2;
          }
          continue;
        }
        if (c === '(') depth++;
        if (c === ')') depth--;
        if (depth > 0) codes.push(c.charCodeAt(0));
        i++;
      }
      push({ kind: 'str', value: decodeWinAnsi(codes) });
    } else if (ch === '<' && src[i + 1] !== '<') {
      const end = src.indexOf('>', i);
      const hex = src.slice(i + 1, end < 0 ? src.length : end).replace(/\s+/g, '');
      const codes: number[] = [];
      for (let k = 0; k < hex.length; k += 2) codes.push(parseInt(hex.slice(k, k + 2).padEnd(2, '0'), 16));
      push({ kind: 'str', value: decodeWinAnsi(codes) });
      i = end < 0 ? src.length : end + 1;
    } else if (ch === '[') {
      const arr: Token[] = [];
      push({ kind: 'arr', value: arr });
      stack.push(arr);
      i++;
    } else if (ch === ']') {
      if (stack.length > 1) stack.pop();
      i++;
    } else if (/\s/.test(ch)) {
      i++;
    } else {
      const m = /^(<<|>>|[^\s()<>[\]{}/%]+|\/[^\s()<>[\]{}/%]*|.)/.exec(src.slice(i, i + 256));
      const word = m?.[0] ?? ch;
      const num = Number(word);
      if (word !== '' && !Number.isNaN(num) && /^[-+.\d]/.test(word)) push({ kind: 'num', value: num });
      else push({ kind: 'op', value: word });
      i += word.length;
    }
  }
  return root;
}

function extractText(content: string): { text: string; ops: number } {
  if (!/\bBT\b/.test(content)) return { text: '', ops: 0 };
  const tokens = tokenize(content);
  const lines: string[] = [];
  let line = '';
  let ops = 0;
  let operands: Token[] = [];
  const flush = (): void => {
    if (line.trim() !== '') lines.push(line.trimEnd());
    line = '';
  };
  for (const t of tokens) {
    if (t.kind !== 'op') {
      operands.push(t);
      continue;
    }
    const last = operands[operands.length - 1];
    switch (t.value) {
      case 'Tj':
        if (last?.kind === 'str') line += last.value;
        ops++;
        break;
      case "'":
      case '"':
        flush();
        if (last?.kind === 'str') line += last.value;
        ops++;
        break;
      case 'TJ':
        if (last?.kind === 'arr') {
          for (const part of last.value) {
            if (part.kind === 'str') line += part.value;
            else if (part.kind === 'num' && part.value < -200) line += ' ';
          }
        }
        ops++;
        break;
      case 'Td':
      case 'TD':
      case 'T*':
      case 'Tm':
      case 'ET':
        flush();
        break;
      default:
        break;
    }
    operands = [];
  }
  flush();
  return { text: lines.join('\n'), ops };
}

/** Inspects PDF bytes: page count, text layer, encryption, images. Never throws. */
export function inspectPdf(input: Uint8Array): PdfInfo {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const isPdf = bytes.subarray(0, 5).toString('latin1') === '%PDF-';
  const latin = bytes.toString('latin1');
  const payloads = streamPayloads(bytes);
  const decoded = payloads.map((p) => p.toString('latin1'));
  const haystacks = [latin, ...decoded];
  let pageCount = 0;
  let imageCount = 0;
  for (const h of haystacks) {
    pageCount += (h.match(/\/Type\s*\/Page(?![A-Za-z])/g) ?? []).length;
    imageCount += (h.match(/\/Subtype\s*\/Image\b/g) ?? []).length;
  }
  const texts: string[] = [];
  let textOperatorCount = 0;
  for (const d of decoded) {
    const { text, ops } = extractText(d);
    textOperatorCount += ops;
    if (text) texts.push(text);
  }
  return {
    isPdf,
    pageCount,
    text: texts.join('\n'),
    encrypted: /\/Encrypt\s+\d+\s+\d+\s+R|\/Encrypt\s*<</.test(latin),
    imageCount,
    textOperatorCount,
  };
}
