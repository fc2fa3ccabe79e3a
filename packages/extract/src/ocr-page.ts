/**
 * OCR of one page image with the checks real scans need: the page orientation (0/90/180/270) is
 * found when the upright reading looks poor, and the result is turned into lines with normalised
 * boxes (`PageLine`) for evidence and into positioned words for the archive PDF's text layer.
 */
import type { OcrEngine, OcrLine, OcrResult } from './ocr.js';
import { rotateImage, thumbnail } from './image.js';

/** A line of a page with its box in page coordinates 0..1, origin top left: `[x0, y0, x1, y1]`. */
export interface PageLine {
  text: string;
  box: [number, number, number, number];
}

export type QuarterTurn = 0 | 90 | 180 | 270;

export interface PageOcr {
  text: string;
  /** 0..100 */
  confidence: number;
  /** Clockwise rotation applied to the image before the reading that was kept. */
  angle: QuarterTurn;
  /** Lines in pixels of the (rotated) image, with words. */
  lines: OcrLine[];
  /** Size of the (rotated) image the boxes refer to. */
  width: number;
  height: number;
}

/** Words that look read, not guessed: confident, with two letters or digits in a row. */
export function readableWords(r: OcrResult): number {
  let n = 0;
  for (const line of r.lines ?? []) {
    for (const w of line.words) if (w.confidence >= 70 && /[\p{L}\p{N}]{2,}/u.test(w.text)) n++;
  }
  return n;
}

/** The first reading is kept without checking other orientations when it has at least this many readable words... */
const UPRIGHT_MIN_WORDS = 12;
/** ...and at least this share of its words are readable. */
const UPRIGHT_MIN_SHARE = 0.5;
/** Longest side of the images compared when looking for the orientation. */
const PROBE_SIDE = 1200;

function shareReadable(r: OcrResult): number {
  let all = 0;
  for (const line of r.lines ?? []) all += line.words.length;
  return all === 0 ? 0 : readableWords(r) / all;
}

export interface RecognizePageOptions {
  signal?: AbortSignal;
  /** Resolution of the page image (passed to the engine). */
  dpi?: number;
  /** Look for a better orientation when the upright reading is poor (default true). */
  orientation?: boolean;
}

/**
 * Recognise a page. The image is read as it is; when that reading has few confident words, small
 * copies turned by 90°, 180° and 270° are read too, and if one of them reads clearly better, the page
 * is read again at full size in that orientation. An engine failure rejects (the caller decides
 * whether that fails the page or the document); `signal` aborts.
 */
export async function recognizePage(
  engine: OcrEngine,
  png: Uint8Array,
  size: { width: number; height: number },
  options: RecognizePageOptions = {},
): Promise<PageOcr> {
  const { signal } = options;
  const base = { ...(signal ? { signal } : {}), ...(options.dpi ? { dpi: options.dpi } : {}) };
  const first = await engine.recognize(png, base);
  const upright: PageOcr = {
    text: first.text,
    confidence: first.confidence,
    angle: 0,
    lines: first.lines ?? [],
    ...size,
  };
  if (options.orientation === false || !first.lines) return upright;
  if (readableWords(first) >= UPRIGHT_MIN_WORDS && shareReadable(first) >= UPRIGHT_MIN_SHARE) return upright;

  const small = await thumbnail(png, PROBE_SIDE);
  const scores = new Map<QuarterTurn, number>();
  for (const angle of [0, 90, 180, 270] as const) {
    const probe = angle === 0 ? small : await rotateImage(small, angle, 'png', true);
    const probeDpi = (options.dpi ?? 150) * (PROBE_SIDE / Math.max(size.width, size.height, PROBE_SIDE));
    scores.set(angle, readableWords(await engine.recognize(probe, { ...base, dpi: probeDpi })));
  }
  let best: QuarterTurn = 0;
  for (const [angle, score] of scores) if (score > (scores.get(best) ?? 0)) best = angle;
  const asIs = scores.get(0) ?? 0;
  // A turn must read clearly better than the page as it is (noise gives a few confident words too).
  if (best === 0 || (scores.get(best) ?? 0) < Math.max(4, asIs * 2)) return upright;
  const turned = await rotateImage(png, best, 'png', true);
  const again = await engine.recognize(turned, base);
  if (readableWords(again) <= readableWords(first)) return upright;
  const swap = best === 90 || best === 270;
  return {
    text: again.text,
    confidence: again.confidence,
    angle: best,
    lines: again.lines ?? [],
    width: swap ? size.height : size.width,
    height: swap ? size.width : size.height,
  };
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));
const round4 = (v: number): number => Math.round(v * 10_000) / 10_000;

/** OCR lines → `PageLine`s normalised by the image size. */
export function ocrLinesToPageLines(lines: readonly OcrLine[], width: number, height: number): PageLine[] {
  const out: PageLine[] = [];
  for (const l of lines) {
    const text = l.text.replace(/\s+/g, ' ').trim();
    if (!text) continue;
    out.push({
      text,
      box: [
        round4(clamp01(l.bbox.x0 / width)),
        round4(clamp01(l.bbox.y0 / height)),
        round4(clamp01(l.bbox.x1 / width)),
        round4(clamp01(l.bbox.y1 / height)),
      ],
    });
  }
  return out;
}
