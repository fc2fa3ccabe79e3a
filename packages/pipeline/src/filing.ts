import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { sanitizeFileNamePart, type IndexedFields } from '@autod/core';

/** Values a filing template can use: `{yyyy} {mm} {dd} {date} {issuer} {doc_type} {category} {subcategory} {title} {sha8} {name}`. */
export interface FilingValues {
  fields: IndexedFields;
  sha256: string;
  originalName: string;
  /** Used when the document has no date of its own (YYYY-MM-DD). */
  fallbackDate: string;
}

/**
 * Render the relative destination (without extension) of a processed file from a template such as
 * `{yyyy}/{mm}/{date}_{issuer}_{doc_type}`. Every substituted value is sanitised (ASCII, no separators), so a
 * template can never escape the processed folder.
 */
export function renderFilingPath(template: string, v: FilingValues): string {
  const date = v.fields.primaryDate ?? v.fallbackDate;
  const [yyyy = '0000', mm = '00', dd = '00'] = date.split('-');
  const values: Record<string, string> = {
    yyyy,
    mm,
    dd,
    date,
    issuer: v.fields.issuer ?? 'unknown-issuer',
    doc_type: v.fields.docType ?? 'document',
    category: v.fields.category,
    subcategory: v.fields.subcategory ?? 'misc',
    title: v.fields.title ?? 'untitled',
    sha8: v.sha256.slice(0, 8),
    name: basename(v.originalName, extname(v.originalName)),
  };
  const rendered = template
    .split('/')
    .map((segment) =>
      segment.replace(/\{([a-z0-9_]+)\}/g, (_m, key: string) => sanitizeFileNamePart(values[key] ?? key, 80)),
    )
    .map((segment) => sanitizeFileNamePart(segment, 150))
    .filter((segment) => segment.length > 0 && segment !== '.' && segment !== '..');
  return rendered.length > 0 ? rendered.join('/') : v.sha256.slice(0, 16);
}

/** Resolve `rel` under `root`, refusing anything that would escape it. */
export function safeJoin(root: string, rel: string): string {
  const abs = resolve(root, rel);
  const back = relative(root, abs);
  if (back.startsWith('..') || back.includes(`..${sep}`)) throw new Error(`path escapes ${root}: ${rel}`);
  return abs;
}

/** Where a near-duplicate is filed under `AUTOD_NEAR_DUPLICATE_POLICY=file`: `<duplicates>/near/<its file name>`. */
export function nearDuplicatePath(duplicatesDir: string, planned: string): string {
  return join(duplicatesDir, 'near', basename(planned));
}

/**
 * Whether a file at `current` is filed as `planned`: the same path, or the path with a suffix {@link moveFileSafely}
 * adds when the name is taken (`-1` … `-3`, `-<8 hex>`).
 */
export function isFiledAs(current: string, planned: string): boolean {
  if (current === planned) return true;
  const ext = extname(planned);
  const stem = planned.slice(0, planned.length - ext.length);
  if (!current.startsWith(`${stem}-`) || !current.endsWith(ext)) return false;
  return /^(?:[1-3]|[0-9a-f]{8})$/.test(current.slice(stem.length + 1, current.length - ext.length));
}

/** The n-th name tried for a destination: the name itself, then `-1` … `-3`, then random suffixes. */
function candidateName(stem: string, ext: string, n: number): string {
  if (n === 0) return `${stem}${ext}`;
  // Sequential suffixes read well for the common case; random ones keep a folder with thousands of
  // same-named documents (same date, issuer and type) from costing O(n) probes per file.
  if (n <= 3) return `${stem}-${n}${ext}`;
  return `${stem}-${randomBytes(4).toString('hex')}${ext}`;
}

/**
 * Move a file to `destination`, never overwriting: when the name is taken, `-1` … `-3`, then a random suffix is
 * appended. Works across devices (copy + fsync + unlink when rename fails with EXDEV). Returns the final path.
 *
 * Idempotent across a crash: a move is link + unlink (copy + unlink across devices), and a kill between the two
 * leaves the file in both places. When a taken name already holds this very file (the same inode, or across devices
 * the same bytes), the move is finished by removing the source instead of filing a second copy as `-1`.
 */
export async function moveFileSafely(source: string, destination: string): Promise<string> {
  const dir = dirname(destination);
  await ensureDirectory(dir);
  const ext = extname(destination);
  const stem = destination.slice(0, destination.length - ext.length);
  // The source's identity, read once (only when a name is taken): each taken name is compared with it.
  let sourceId: Promise<FileId | undefined> | undefined;
  let madeDirectory = false;
  for (let n = 0; n < 10_000; n++) {
    const candidate = candidateName(stem, ext, n);
    try {
      // link() fails with EEXIST instead of overwriting: an atomic "claim" of the destination name.
      await link(source, candidate);
      await unlink(source);
      return candidate;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        sourceId ??= fileId(source);
        if (await sameFile(await sourceId, candidate)) {
          await unlink(source);
          return candidate;
        }
        continue;
      }
      if (code === 'ENOENT' && !madeDirectory) {
        // The folder was known to exist but has been removed since (or the source is gone: mkdir, then the retry,
        // says which).
        KNOWN_DIRECTORIES.delete(dir);
        await ensureDirectory(dir);
        madeDirectory = true;
        n--;
        continue;
      }
      if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP' || code === 'EMLINK') {
        // Rare (another device, no hard links): the folder is made again in case it was removed since.
        await mkdir(dir, { recursive: true });
        return crossDeviceMove(source, stem, ext, n);
      }
      throw error;
    }
  }
  throw new Error(`no free name for ${destination}`);
}

/**
 * Destination folders this process made or found (a filing folder receives many documents: one mkdir each, not one
 * per document). A folder removed meanwhile shows as ENOENT on the move, which makes it again.
 */
const KNOWN_DIRECTORIES = new Set<string>();
const MAX_KNOWN_DIRECTORIES = 10_000;

async function ensureDirectory(dir: string): Promise<void> {
  if (KNOWN_DIRECTORIES.has(dir)) return;
  await mkdir(dir, { recursive: true });
  if (KNOWN_DIRECTORIES.size >= MAX_KNOWN_DIRECTORIES) KNOWN_DIRECTORIES.clear();
  KNOWN_DIRECTORIES.add(dir);
}

async function crossDeviceMove(source: string, stem: string, ext: string, start: number): Promise<string> {
  for (let n = start; n < 10_000; n++) {
    const candidate = candidateName(stem, ext, n);
    try {
      await copyFile(source, candidate, constants.COPYFILE_EXCL);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        // A copy finished before a crash (it was fsync'd before the source was removed).
        if (await sameBytes(source, candidate)) {
          await unlink(source);
          return candidate;
        }
        continue;
      }
      throw error;
    }
    const fh = await open(candidate, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await unlink(source);
    return candidate;
  }
  throw new Error(`no free name for ${stem}${ext}`);
}

interface FileId {
  ino: number;
  dev: number;
}

async function fileId(path: string): Promise<FileId | undefined> {
  try {
    const s = await stat(path);
    return { ino: s.ino, dev: s.dev };
  } catch {
    return undefined;
  }
}

/** Whether `path` is the file `id` names (the same inode on the same device). */
async function sameFile(id: FileId | undefined, path: string): Promise<boolean> {
  if (!id) return false;
  const other = await fileId(path);
  return other !== undefined && other.ino === id.ino && other.dev === id.dev;
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    if (sa.size !== sb.size) return false;
    const [ba, bb] = await Promise.all([readFile(a), readFile(b)]);
    return ba.equals(bb);
  } catch {
    return false;
  }
}

/** Move a file back (used by compensations); overwrites nothing. */
export async function moveBack(current: string, original: string): Promise<void> {
  try {
    await rename(current, original);
  } catch {
    await moveFileSafely(current, original);
  }
}

/** Write `<file>.error.json` beside a failed file. */
export async function writeErrorReport(failedFile: string, report: Record<string, unknown>): Promise<string> {
  const path = `${failedFile}.error.json`;
  await writeFile(path, JSON.stringify(report, null, 2) + '\n', 'utf8');
  return path;
}
