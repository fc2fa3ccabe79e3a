import { describe, expect, it } from 'vitest';
import { createTokenCheck } from './auth.js';

describe('createTokenCheck', () => {
  const check = createTokenCheck('s3cret-token-0123456789');

  it('accepts exactly the configured bearer token', () => {
    expect(check('Bearer s3cret-token-0123456789')).toBe(true);
    expect(check('bearer s3cret-token-0123456789')).toBe(true);
    expect(check(['Bearer s3cret-token-0123456789'])).toBe(true);
  });

  it.each([
    [undefined],
    [''],
    ['Bearer'],
    ['Bearer '],
    ['s3cret-token-0123456789'],
    ['Basic s3cret-token-0123456789'],
    ['Bearer s3cret-token-012345678'],
    ['Bearer s3cret-token-01234567890'],
    ['Bearer S3CRET-TOKEN-0123456789'],
    ['Bearer s3cret-token-0123456789 extra'],
  ])('rejects %j', (header) => {
    expect(check(header)).toBe(false);
  });
});
