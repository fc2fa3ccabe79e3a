/**
 * Image documents (JPEG, PNG, TIFF, WebP, GIF, AVIF) decoded with sharp (libvips): EXIF orientation
 * applied, multi-page TIFFs read one page at a time, every page capped in pixels. Each page gives a
 * grayscale PNG for OCR and an image to embed in the archive PDF (`archive-pdf.ts`).
 */
import type { Sharp } from 'sharp';
import { sharp } from './lazy-modules.js';
import { errorFor, isAutodError, type AutodError } from '@autod/errors';
import type { SniffedDocument } from './sniff.js';

/** Decoded input larger than this many pixels is refused by libvips (a decompression bomb guard). */
export const MAX_INPUT_PIXELS = 268_402_689; // sharp's default (0x3FFF²)

export interface ImageInfo {
  /** Pages (frames for TIFF; GIF and WebP animations count as one page: the first frame). */
  pageCount: number;
  format: string;
}

/** One page, ready for OCR and for the archive PDF. */
export interface DecodedImagePage {
  /** 1-based. */
  page: number;
  /** Grayscale PNG at `width` × `height` (capped to `maxPixels`), for OCR. */
  ocrPng: Buffer;
  width: number;
  height: number;
  /** The image to embed in the archive PDF (same orientation and size as `ocrPng`). */
  embed: { format: 'jpeg' | 'png'; bytes: Uint8Array };
  /** Resolution used for the PDF page size (from the file when plausible, else 150 dpi). */
  dpi: number;
}

export function corruptImage(cause: unknown, details: Record<string, unknown> = {}): AutodError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return errorFor('INPUT_CORRUPT_IMAGE', `The image cannot be decoded (${why}); rescan or re-export it.`, {
    cause,
    details,
  });
}

function sharpFor(bytes: Uint8Array, page?: number): Sharp {
  return sharp(bytes, {
    limitInputPixels: MAX_INPUT_PIXELS,
    failOn: 'error',
    ...(page !== undefined ? { page, pages: 1 } : {}),
  });
}

/** Page count and format, without decoding pixels. Throws `INPUT_CORRUPT_IMAGE`. */
export async function imageInfo(bytes: Uint8Array): Promise<ImageInfo> {
  try {
    const m = await sharpFor(bytes).metadata();
    if (!m.width || !m.height) throw new Error('no image dimensions');
    const multiPage = m.format === 'tiff' || m.format === 'heif';
    return { pageCount: multiPage ? Math.max(1, m.pages ?? 1) : 1, format: m.format ?? 'unknown' };
  } catch (e) {
    if (isAutodError(e)) throw e;
    throw corruptImage(e);
  }
}

const LOSSLESS = new Set(['png', 'tiff', 'gif']);

/**
 * Decode page `page` (1-based): EXIF orientation applied, scaled down to at most `maxPixels`.
 * Throws `INPUT_CORRUPT_IMAGE` for data libvips cannot decode (truncated files included).
 */
export async function decodeImagePage(
  bytes: Uint8Array,
  sniffed: SniffedDocument,
  page: number,
  maxPixels: number,
): Promise<DecodedImagePage> {
  try {
    const multiPage = sniffed.mediaType === 'image/tiff' || sniffed.mediaType === 'image/avif';
    const meta = await sharpFor(bytes, multiPage ? page - 1 : undefined).metadata();
    const w0 = meta.autoOrient.width;
    const h0 = meta.autoOrient.height;
    if (!w0 || !h0) throw new Error('no image dimensions');
    const scale = Math.min(1, Math.sqrt(maxPixels / (w0 * h0)));
    const width = Math.max(1, Math.round(w0 * scale));
    const height = Math.max(1, Math.round(h0 * scale));
    const oriented = (): Sharp => {
      const s = sharpFor(bytes, multiPage ? page - 1 : undefined).rotate();
      return scale < 1 ? s.resize({ width, height, fit: 'fill', kernel: 'lanczos3' }) : s;
    };
    // A pixel buffer is decoded once; both encodings are made from it.
    const { data, info } = await oriented().raw().toBuffer({ resolveWithObject: true });
    const raw = (): Sharp => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
    const ocrPng = await raw().grayscale().png({ compressionLevel: 1 }).toBuffer();
    let embed: DecodedImagePage['embed'];
    const untouched = (meta.orientation ?? 1) === 1 && scale === 1;
    if (sniffed.mediaType === 'image/jpeg' && untouched && (meta.channels === 3 || meta.channels === 1)) {
      // The original JPEG as is: no generation loss, no size increase.
      embed = { format: 'jpeg', bytes };
    } else if (LOSSLESS.has(meta.format ?? '')) {
      const gray = meta.channels !== undefined && meta.channels <= 2;
      const img = gray ? raw().grayscale() : raw().removeAlpha();
      embed = { format: 'png', bytes: await img.png({ compressionLevel: 6 }).toBuffer() };
    } else {
      embed = { format: 'jpeg', bytes: await raw().removeAlpha().jpeg({ quality: 85, mozjpeg: true }).toBuffer() };
    }
    const density = meta.density ?? 0;
    // Phone photos say 72 dpi, which would make a huge page; scans say 150-600.
    const dpi = density >= 100 && density <= 2400 ? density * scale : 150;
    return { page, ocrPng, width: info.width, height: info.height, embed, dpi };
  } catch (e) {
    if (isAutodError(e)) throw e;
    throw corruptImage(e, { page });
  }
}

/** Rotate a page image by a multiple of 90° (clockwise). */
export async function rotateImage(
  img: Uint8Array,
  angle: 90 | 180 | 270,
  format: 'jpeg' | 'png',
  gray = false,
): Promise<Buffer> {
  const s = sharp(img).rotate(angle);
  if (format === 'png') return (gray ? s.grayscale() : s).png({ compressionLevel: gray ? 1 : 6 }).toBuffer();
  return s.jpeg({ quality: 85, mozjpeg: true }).toBuffer();
}

/** A smaller grayscale copy (longest side `maxSide`) for cheap orientation checks. */
export async function thumbnail(png: Uint8Array, maxSide: number): Promise<Buffer> {
  return sharp(png)
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .grayscale()
    .png({ compressionLevel: 1 })
    .toBuffer();
}
