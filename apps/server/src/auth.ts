import { createHash, timingSafeEqual } from 'node:crypto';

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * Checks `Authorization: Bearer <token>` in constant time: both sides are hashed to 32 bytes first, so neither the
 * content nor the length of the expected token leaks through timing.
 */
export function createTokenCheck(expected: string): (header: string | string[] | undefined) => boolean {
  const expectedDigest = createHash('sha256').update(expected, 'utf8').digest();
  return (header) => {
    const value = Array.isArray(header) ? header[0] : header;
    const match = value === undefined ? null : BEARER.exec(value);
    const given = match?.[1] ?? '';
    const digest = createHash('sha256').update(given, 'utf8').digest();
    // Always compare (even for a missing header) so that every rejection costs the same.
    return timingSafeEqual(digest, expectedDigest) && given.length > 0;
  };
}
