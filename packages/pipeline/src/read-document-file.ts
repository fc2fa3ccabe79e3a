import { open } from 'node:fs/promises';

/** How reading a document file ended. */
export type DocumentFileRead =
  /** `mtimeMs`: the file's modification time when it was read (a young file may still be being written). */
  | { kind: 'read'; bytes: Uint8Array; mtimeMs: number }
  /** Not a regular file (a directory, a FIFO...). */
  | { kind: 'not_a_file' }
  /** The file is gone (renamed or filed by another worker). */
  | { kind: 'vanished' }
  /** Over `maxBytes`: not read. */
  | { kind: 'too_large'; sizeBytes: number };

/**
 * Read a whole file in one open → fstat → read → close sequence (the stat and the bytes are of the same file, and
 * under load every extra thread-pool round trip costs latency). Files over `maxBytes` are not read.
 */
export async function readDocumentFile(path: string, maxBytes: number): Promise<DocumentFileRead> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'vanished' };
    if ((error as NodeJS.ErrnoException).code === 'EISDIR') return { kind: 'not_a_file' };
    throw error;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { kind: 'not_a_file' };
    if (st.size > maxBytes) return { kind: 'too_large', sizeBytes: st.size };
    const bytes = new Uint8Array(st.size);
    let filled = 0;
    while (filled < bytes.byteLength) {
      const { bytesRead } = await fh.read(bytes, filled, bytes.byteLength - filled, filled);
      if (bytesRead === 0) break; // it shrank since the stat: keep what is there
      filled += bytesRead;
    }
    return {
      kind: 'read',
      bytes: filled === bytes.byteLength ? bytes : bytes.subarray(0, filled),
      mtimeMs: st.mtimeMs,
    };
  } finally {
    await fh.close();
  }
}
