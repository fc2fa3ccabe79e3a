import { randomBytes } from 'node:crypto';
import { link, rename, stat, unlink } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { errorFor } from '@autod/errors';

/** Longest base name kept (UTF-8 bytes), well under the 255-byte limit of common filesystems. */
const MAX_BASE_BYTES = 180;

/** C0 and C1 control characters (NUL, newline, escape, DEL...). */
function isControl(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

/** Extensions of the document types autod accepts (stripped from a client's name before `ext` is added). */
const DOCUMENT_EXTENSIONS = /\.(pdf|jpe?g|jpe|jfif|png|tiff?|webp|gif|avif|xml)$/i;

/**
 * Reduces a client-supplied file name to a safe basename ending in `ext` (default `.pdf`; the extension of the type
 * the bytes turned out to be): no directory parts (`/`, `\`), no `..`, no leading dots (hidden files), no control or
 * bidi-override characters, no characters Windows forbids, bounded length. Empty results fall back to `fallback`.
 */
export function safeFileName(raw: string | undefined, fallback = 'upload', ext = '.pdf'): string {
  let name = (raw ?? '').normalize('NFC');
  name = name.split(/[/\\]/).pop() ?? '';
  name = name
    .replace(/[\t\n\r]/g, ' ')
    .split('')
    .filter((c) => !isControl(c.charCodeAt(0)))
    .join('')
    .replace(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/\s+/g, ' ')
    .trim();
  let base = name.replace(DOCUMENT_EXTENSIONS, '');
  base = base.replace(/^[.\s-]+/, '').replace(/[.\s]+$/, '');
  while (Buffer.byteLength(base, 'utf8') > MAX_BASE_BYTES) base = Array.from(base).slice(0, -1).join('');
  if (base === '') base = fallback;
  return `${base}${ext}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Moves a completed upload into `dir` as `name`, or `<base>-<sha8><ext>`, `<base>-<sha8>-2<ext>`... when taken (then
 * `<base>-<sha8>-<random hex><ext>`; 409 CONFLICT if even those are taken, the upload is not kept).
 * A hard link makes the move atomic and never overwrites a file (EEXIST); filesystems without hard links fall back
 * to a checked rename. Returns the final path.
 */
/**
 * Where the numbered names of the last collision ended, per folder and name: the same upload sent many times over
 * (identical bytes, the same name, waiting in the inbox to be filed as duplicates) starts at the next free number
 * instead of trying every taken one again (each a failed link call).
 */
const nextNumber = new Map<string, number>();
const NEXT_NUMBER_LIMIT = 1000;

export async function placeFile(source: string, dir: string, name: string, sha256: string): Promise<string> {
  const ext = extname(name) || '.pdf';
  const base = name.slice(0, name.length - extname(name).length);
  const sha8 = sha256.slice(0, 8);
  const key = `${dir}\0${base}-${sha8}${ext}`;
  const first = nextNumber.get(key) ?? 2;
  // Names in the order tried, made as they are needed (most uploads take the first).
  function* candidates(): Generator<[string, number]> {
    yield [`${base}${ext}`, 0];
    yield [`${base}-${sha8}${ext}`, 0];
    for (let i = first; i < first + 50; i++) yield [`${base}-${sha8}-${i}${ext}`, i];
    // Then random suffixes: never a name that could be taken at the same moment (a clock value), never overwriting.
    for (let i = 0; i < 20; i++) yield [`${base}-${sha8}-${randomBytes(4).toString('hex')}${ext}`, -1];
  }
  for (const [candidate, number] of candidates()) {
    const dest = join(dir, candidate);
    const placed = (): string => {
      if (number > 0) {
        if (nextNumber.size >= NEXT_NUMBER_LIMIT) nextNumber.clear();
        nextNumber.set(key, number + 1);
      }
      return dest;
    };
    try {
      await link(source, dest);
      await unlink(source);
      return placed();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw error;
      if (await exists(dest)) continue;
      await rename(source, dest);
      return placed();
    }
  }
  throw errorFor('CONFLICT', `Could not find a free name for ${name} in ${dir}; upload it again.`);
}
