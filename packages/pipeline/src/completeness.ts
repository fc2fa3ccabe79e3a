/**
 * A cheap "is this file complete?" test on the bytes read, for files a scanner or a copy may still be writing.
 * A PDF ends with `%%EOF` (near the end: some writers append a newline or padding), a JPEG with the EOI marker
 * `FF D9`, a PNG with its `IEND` chunk, a GIF with `;`, and a RIFF (WebP) file is as long as its header says. For
 * other formats (TIFF, text...) nothing can be told: they count as complete. An empty file counts as incomplete.
 */
export function looksComplete(bytes: Uint8Array): boolean {
  const n = bytes.byteLength;
  if (n === 0) return false;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, n);
  const head = buf.subarray(0, Math.min(1024, n));
  if (head.includes('%PDF-')) return buf.subarray(Math.max(0, n - 2048)).includes('%%EOF');
  if (n >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
    // The EOI marker, allowing a little trailing padding.
    return buf.subarray(Math.max(0, n - 1024)).includes(Buffer.from([0xff, 0xd9]));
  }
  if (n >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE)) return buf.subarray(Math.max(0, n - 16)).includes('IEND');
  if (
    n >= 6 &&
    (head.subarray(0, 6).toString('latin1') === 'GIF87a' || head.subarray(0, 6).toString('latin1') === 'GIF89a')
  )
    return buf[n - 1] === 0x3b;
  if (n >= 12 && head.subarray(0, 4).toString('latin1') === 'RIFF') return buf.readUInt32LE(4) + 8 <= n;
  return true;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
