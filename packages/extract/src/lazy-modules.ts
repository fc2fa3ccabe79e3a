/**
 * Libraries only some documents need, loaded on first use: pdf-lib writes PDFs (images and bare e-invoice XML only)
 * and sharp decodes images. Loading them up front cost every command ~110 ms of start-up, and a text PDF never
 * needs either. `require` keeps first use synchronous (both are CommonJS packages).
 */
import { createRequire } from 'node:module';
import type * as PdfLib from 'pdf-lib';
import type SharpModule from 'sharp';

const load = createRequire(import.meta.url);

let pdfLibModule: typeof PdfLib | undefined;
let sharpModule: typeof SharpModule | undefined;

/** pdf-lib's exports. */
export function pdfLib(): typeof PdfLib {
  return (pdfLibModule ??= load('pdf-lib') as typeof PdfLib);
}

/** sharp's constructor function. */
export function sharp(...args: Parameters<typeof SharpModule>): ReturnType<typeof SharpModule> {
  sharpModule ??= load('sharp') as typeof SharpModule;
  return sharpModule(...args);
}
