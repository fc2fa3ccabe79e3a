import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** SHA-256 (hex) and size of a file, streamed in chunks so memory stays flat for any file size. */
export async function hashFile(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 })) {
    const buf = chunk as Buffer;
    sizeBytes += buf.length;
    hash.update(buf);
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}
