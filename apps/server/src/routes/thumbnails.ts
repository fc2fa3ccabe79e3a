import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { DocumentRow } from '@autod/db';
import { errorFor } from '@autod/errors';
import { renderPageToPng } from '@autod/extract';
import type { AutodApp, ServerContext } from '../context.js';
import { AUTH_ERRORS, content, errors } from '../schemas.js';
import { idParams } from './documents.js';

export interface ThumbnailOptions {
  /** Cache folder (one sub-folder per document sha256). */
  dir: string;
  /** pdf.js scale: 0.5 ≈ 300 px wide for an A4 page. */
  scale?: number;
}

const pageParams = idParams.extend({
  n: z.coerce.number().int().min(1).max(100_000).describe('page number, 1-based'),
});

const PDF_MAGIC = '%PDF-';

/** The files a document's bytes may be in, best first (filed copy, then where it was read from). */
function candidatePaths(doc: DocumentRow): string[] {
  return [doc.filedAt && doc.storagePath ? doc.storagePath : null, doc.sourcePath, doc.storagePath].filter(
    (p): p is string => typeof p === 'string',
  );
}

/** Reads the first candidate that exists and is a PDF. */
async function readPdfOf(doc: DocumentRow): Promise<Uint8Array> {
  for (const path of candidatePaths(doc)) {
    const bytes = await readFile(path).catch(() => undefined);
    if (bytes && bytes.subarray(0, 5).toString('latin1') === PDF_MAGIC) return bytes;
  }
  throw errorFor('NOT_FOUND', `The PDF of document ${doc.id} is not on the server (yet); try again once it is filed.`);
}

/** `Content-Disposition` that survives any file name (ASCII fallback + RFC 5987). */
function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Page thumbnails (rendered once with pdf.js, cached on disk) and the original upload. */
export function thumbnailRoutes(app: AutodApp, ctx: ServerContext, options: ThumbnailOptions): void {
  const { db } = ctx.runtime;
  const scale = options.scale ?? 0.5;
  const rendering = new Map<string, Promise<Uint8Array>>();

  const render = async (doc: DocumentRow, page: number): Promise<Uint8Array> => {
    const folder = join(options.dir, doc.sha256);
    const file = join(folder, `${page}.png`);
    const cached = await readFile(file).catch(() => undefined);
    if (cached) return cached;
    const key = `${doc.sha256}/${page}`;
    let job = rendering.get(key);
    if (!job) {
      job = (async () => {
        const png = await renderPageToPng(await readPdfOf(doc), page, scale);
        await mkdir(folder, { recursive: true });
        const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
        await writeFile(tmp, png);
        await rename(tmp, file);
        return png;
      })().finally(() => rendering.delete(key));
      rendering.set(key, job);
    }
    return job;
  };

  app.get(
    '/v1/documents/:id/pages/:n/thumbnail',
    {
      schema: {
        tags: ['documents'],
        params: pageParams,
        response: { 200: content('image/png', 'A PNG of the page.', true), ...errors(400, 404, ...AUTH_ERRORS) },
        description:
          'A PNG of one page (about 300 px wide), rendered once with pdf.js and cached on disk under the data folder.',
      },
    },
    async (request, reply) => {
      const doc = await db.documents.get(request.params.id);
      if (!doc) throw errorFor('DOCUMENT_NOT_FOUND', `No document ${request.params.id}.`);
      if (doc.pageCount !== null && request.params.n > doc.pageCount) {
        throw errorFor('NOT_FOUND', `Document ${doc.id} has ${doc.pageCount} page(s), not ${request.params.n}.`);
      }
      const png = await render(doc, request.params.n);
      return reply
        .type('image/png')
        .header('cache-control', 'private, max-age=86400')
        .header('content-length', String(png.byteLength))
        .send(Buffer.from(png.buffer, png.byteOffset, png.byteLength) as unknown as string); // bytes; the schema documents them as binary
    },
  );

  app.get(
    '/v1/documents/:id/original',
    {
      schema: {
        tags: ['documents'],
        params: idParams,
        response: {
          200: content(
            ['application/pdf', 'image/jpeg', 'image/png', 'image/tiff', 'image/webp', 'application/octet-stream'],
            'The original file, with its own media type.',
            true,
          ),
          ...errors(400, 404, ...AUTH_ERRORS),
        },
        description:
          'The file as it was received (for a scanned image: the image; for a PDF: the PDF). GET /v1/documents/{id}/file ' +
          'is the archive PDF.',
      },
    },
    async (request, reply) => {
      const doc = await db.documents.get(request.params.id);
      if (!doc) throw errorFor('DOCUMENT_NOT_FOUND', `No document ${request.params.id}.`);
      // Image documents keep their original beside the PDF made from it (`originalPath`, when the schema has it).
      const original = (doc as DocumentRow & { originalPath?: string | null }).originalPath ?? null;
      const paths = original ? [original, ...candidatePaths(doc)] : candidatePaths(doc);
      for (const path of paths) {
        const fh = await open(path, 'r').catch(() => undefined);
        if (!fh) continue;
        const s = await fh.stat();
        if (!s.isFile()) {
          await fh.close();
          continue;
        }
        const head = Buffer.alloc(16);
        await fh.read(head, 0, 16, 0);
        return reply
          .type(sniffType(head))
          .header('content-length', String(s.size))
          .header('content-disposition', attachment(path === original ? basename(path) : basename(doc.fileName)))
          .send(fh.createReadStream({ start: 0 }) as unknown as string); // a stream; the schema documents it as binary
      }
      throw errorFor('NOT_FOUND', `The file of document ${doc.id} is missing on the server.`);
    },
  );
}

/** Media type from the first bytes (the formats autod accepts). */
export function sniffType(head: Buffer): string {
  if (head.subarray(0, 5).toString('latin1') === PDF_MAGIC) return 'application/pdf';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  const tiff = head.subarray(0, 4).toString('latin1');
  if (tiff === 'II*\u0000' || tiff === 'MM\u0000*') return 'image/tiff';
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  return 'application/octet-stream';
}
