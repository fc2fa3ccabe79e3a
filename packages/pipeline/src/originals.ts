import { constants } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { moveFileSafely } from './filing.js';

/**
 * Image documents (and bare e-invoice XML files) are filed as the PDF made from them (`processed/<name>.pdf`, searchable) with the
 * original beside it (`processed/<name>.<ext>`). The PDF is written to a staging file before the
 * document's transaction commits, so that after a crash `recover()` finds everything it needs on disk:
 * the staged PDF and the original still in the inbox.
 */

/** Extensions that already say what an image is; any other name gets the canonical extension. */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  'image/jpeg': ['.jpg', '.jpeg', '.jpe', '.jfif'],
  'image/png': ['.png'],
  'image/tiff': ['.tif', '.tiff'],
  'image/webp': ['.webp'],
  'image/gif': ['.gif'],
  'image/avif': ['.avif'],
  'application/xml': ['.xml'],
};

/** The extension the original keeps: its own when it fits its type (any case), else the canonical one. */
export function originalExtension(fileName: string, mediaType: string, canonical: string): string {
  const own = extname(fileName);
  return (ALIASES[mediaType] ?? []).includes(own.toLowerCase()) ? own : canonical;
}

/** `<dir>/<stem>.pdf` → `<dir>/<stem><ext>`. */
export function besidePdf(pdfPath: string, ext: string): string {
  const stem = pdfPath.toLowerCase().endsWith('.pdf') ? pdfPath.slice(0, -4) : pdfPath;
  return `${stem}${ext}`;
}

/** Where the archive PDF of a document waits between its read and its filing (hidden, per sha256). */
export function stagingPath(processedDir: string, sha256: string): string {
  return join(processedDir, '.staging', `${sha256}.pdf`);
}

/** Write the archive PDF to its staging file (temp file + fsync + rename: never half-written). */
export async function stageArchive(processedDir: string, sha256: string, pdf: Uint8Array): Promise<string> {
  const dest = stagingPath(processedDir, sha256);
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  const fh = await open(tmp, constants.O_CREAT | constants.O_TRUNC | constants.O_WRONLY);
  try {
    await fh.writeFile(pdf);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, dest);
  return dest;
}

export async function removeStaged(processedDir: string, sha256: string): Promise<void> {
  await unlink(stagingPath(processedDir, sha256)).catch(() => undefined);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export interface ImageFiling {
  /** Where the PDF now is. */
  destination: string;
  /** Where the original now is (beside the PDF, same stem), or null when it was not found. */
  originalPath: string | null;
}

/**
 * File an image document: the staged PDF goes to `planned` (collision-safe, so it may get a `-1`
 * suffix), then the original from `source` goes beside it with `ext`. Safe to run again after a crash
 * part-way: a PDF already at `planned` and an original already moved are taken as they are.
 */
export async function fileImageDocument(input: {
  staging: string;
  planned: string;
  source: string;
  ext: string;
}): Promise<ImageFiling> {
  let destination: string;
  if (await exists(input.staging)) destination = await moveFileSafely(input.staging, input.planned);
  else if (await exists(input.planned)) destination = input.planned;
  else throw new Error(`the PDF made from ${basename(input.source)} is missing (${input.staging})`);
  let originalPath: string | null = null;
  if (await exists(input.source)) {
    originalPath = await moveFileSafely(input.source, besidePdf(destination, input.ext));
  } else if (await exists(besidePdf(destination, input.ext))) {
    originalPath = besidePdf(destination, input.ext);
  }
  return { destination, originalPath };
}
