import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { errorFor } from '@autod/errors';
import { sniffDocument, type SniffedDocument } from '@autod/extract';
import { documentBytesError, tooLargeError } from '@autod/pipeline';
import { placeFile, safeFileName } from './file-names.js';

export interface SavedUpload {
  /** Where the file now is (inside the inbox). */
  path: string;
  /** The sanitised name it was stored under (may carry a `-<sha8>` suffix after a collision). */
  fileName: string;
  /** The client's name, sanitised, before collision handling. */
  requestedName: string;
  sha256: string;
  sizeBytes: number;
  /** What the bytes are (`application/pdf`, `image/png`...). */
  mediaType: string;
  /** The stored file's inode and mtime (with `sha256`, lets the pipeline skip hashing it again while unchanged). */
  onDisk?: { sizeBytes: number; ino: number; mtimeMs: number };
}

export interface ReceiveUploadOptions {
  inbox: string;
  maxBytes: number;
}

/**
 * Hashes and counts the bytes flowing through; sniffs the first KiB for the document type and drops the bytes (but
 * keeps draining) once they are known not to be a PDF or a supported image.
 */
/** Bytes sniffed: PDF and image signatures sit in the first KiB, an XML root may follow a longer prolog. */
const HEAD_BYTES = 8 * 1024;

class Inspector extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  head = Buffer.alloc(0);
  sniffed: SniffedDocument | undefined;

  get rejected(): boolean {
    return this.sniffed !== undefined && (this.sniffed.kind === 'empty' || this.sniffed.kind === 'unknown');
  }

  /** The type, once known (after the first KiB, or at the end for a shorter file). */
  type(): SniffedDocument {
    this.sniffed ??= sniffDocument(this.head);
    return this.sniffed;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.head.length < HEAD_BYTES) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD_BYTES - this.head.length)]);
      if (this.head.length >= HEAD_BYTES) this.type();
    }
    if (this.rejected) {
      done();
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }
}

/** Creates the partial file (never an existing one); the folder only when it is missing (not a syscall per upload). */
async function createPart(dir: string, path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dir, { recursive: true });
    return open(path, 'wx');
  }
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/**
 * Streams the first file part of a multipart request to `<inbox>/.uploads/<random>.part` while hashing it, rejects
 * it (deleting the partial file) with the pipeline's intake checks — too large (413 INPUT_TOO_LARGE), empty (400
 * INPUT_EMPTY) or neither a PDF nor a supported image by its bytes (415 INPUT_UNSUPPORTED_TYPE) — then moves it into
 * the inbox under a sanitised,
 * collision-free name with the extension of its type.
 */
export async function receiveUpload(request: FastifyRequest, options: ReceiveUploadOptions): Promise<SavedUpload> {
  if (!request.isMultipart()) {
    throw errorFor(
      'VALIDATION_FAILED',
      'Send the PDF or image as multipart/form-data with one file field (e.g. curl -F file=@scan.pdf).',
    );
  }
  const part = await request.file({
    limits: { fileSize: options.maxBytes, files: 1, fields: 10, parts: 20 },
    throwFileSizeLimit: false,
  });
  if (!part)
    throw errorFor('VALIDATION_FAILED', 'The multipart body has no file part; send the PDF or image as a file field.');
  const uploads = join(options.inbox, '.uploads');
  const partPath = join(uploads, `${randomUUID()}.part`);
  const inspector = new Inspector();
  try {
    const handle = await createPart(uploads, partPath);
    await pipeline(part.file, inspector, handle.createWriteStream());
  } catch (error) {
    part.file.resume(); // the rest of the body, if the file could not be created
    await removeQuietly(partPath);
    throw errorFor('VALIDATION_FAILED', 'The upload was interrupted before the file was complete; send it again.', {
      cause: error,
    });
  }
  // The pipeline's intake checks, on the stream: the same codes and messages as for a file dropped in the inbox.
  const uploadedName = part.filename || 'The uploaded file';
  if (part.file.truncated || inspector.bytes > options.maxBytes) {
    await removeQuietly(partPath);
    throw tooLargeError(uploadedName, undefined, options.maxBytes);
  }
  const type = inspector.type();
  const rejected = documentBytesError(uploadedName, inspector.head);
  if (rejected || type.kind === 'empty' || type.kind === 'unknown') {
    await removeQuietly(partPath);
    throw rejected ?? errorFor('INPUT_UNSUPPORTED_TYPE', `${uploadedName} is not a supported document.`);
  }
  const sha256 = inspector.hash.digest('hex');
  const requestedName = safeFileName(part.filename, 'upload', type.extension);
  let path: string;
  try {
    path = await placeFile(partPath, options.inbox, requestedName, sha256);
  } catch (error) {
    await removeQuietly(partPath);
    throw error;
  }
  // What identifies the file hashed (a link keeps the inode and mtime); no identity if it is already gone.
  const st = await stat(path).catch(() => undefined);
  return {
    path,
    fileName: basename(path),
    requestedName,
    sha256,
    sizeBytes: inspector.bytes,
    mediaType: type.mediaType,
    ...(st && st.size === inspector.bytes ? { onDisk: { sizeBytes: st.size, ino: st.ino, mtimeMs: st.mtimeMs } } : {}),
  };
}
