/** Test inputs made on the spot: text rendered into images (never corpus files). */
import { createCanvas } from '@napi-rs/canvas';
import sharp from 'sharp';

export interface TextImageOptions {
  width?: number;
  height?: number;
  fontPx?: number;
}

/** Black text on white, one line per entry, as a PNG. */
export function textPng(lines: string[], options: TextImageOptions = {}): Buffer {
  const width = options.width ?? 900;
  const fontPx = options.fontPx ?? 28;
  const height = options.height ?? Math.max(200, 80 + lines.length * Math.round(fontPx * 1.6));
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#111111';
  ctx.font = `${fontPx}px sans-serif`;
  let y = 40 + fontPx;
  for (const line of lines) {
    ctx.fillText(line, 40, y);
    y += Math.round(fontPx * 1.6);
  }
  return canvas.toBuffer('image/png');
}

/** A multi-page TIFF, one page per image (all the same size). */
export async function multiPageTiff(pages: Buffer[]): Promise<Buffer> {
  // sharp ≥ 0.34 joins inputs into one multi-page image.
  return sharp(pages, { join: { animated: true } } as never)
    .withMetadata({ density: 200 })
    .tiff({ compression: 'lzw' })
    .toBuffer();
}
