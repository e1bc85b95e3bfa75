import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { callbackToken, verifyCallbackToken } from '../../libs/callback-token';

const key = randomBytes(32);
const otherKey = randomBytes(32);
const vmId = '0d6f7a52-5a8e-4d55-9f57-3c2f9b1e8a10';
const otherVmId = '7b0e4c1d-2f3a-4b5c-8d9e-0f1a2b3c4d5e';

describe(callbackToken.name, () => {
  it('is the same for the same key and VM', () => {
    expect(callbackToken(Buffer.from(key), vmId)).toBe(callbackToken(key, vmId));
  });

  it('differs for another VM', () => {
    expect(callbackToken(key, otherVmId)).not.toBe(callbackToken(key, vmId));
  });

  it('differs under another key', () => {
    expect(callbackToken(otherKey, vmId)).not.toBe(callbackToken(key, vmId));
  });

  it('is 43 characters of URL-safe base64 without padding', () => {
    expect(callbackToken(key, vmId)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe(verifyCallbackToken.name, () => {
  const token = callbackToken(key, vmId);

  it('accepts the token of the VM', () => {
    expect(verifyCallbackToken(key, vmId, token)).toBe(true);
  });

  it.each([
    ['another VM', callbackToken(key, otherVmId)],
    ['another key', callbackToken(otherKey, vmId)],
    ['one character changed', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`],
    ['truncated', token.slice(0, -1)],
    ['extended', `${token}A`],
    ['empty', ''],
    ['padded', `${token}=`],
  ])('rejects the token of %s', (_case, presented) => {
    expect(verifyCallbackToken(key, vmId, presented)).toBe(false);
  });

  it("rejects this VM's token presented for another VM", () => {
    expect(verifyCallbackToken(key, otherVmId, token)).toBe(false);
  });
});
