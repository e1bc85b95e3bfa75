import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  atRestKey,
  openSecret,
  SecretBoxError,
  sealSecret,
} from '../../../activities/keys/secret-box';

const secret = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n';
const context = 'host-key/vm-7/ed25519';

function aKey(): Buffer {
  return atRestKey(randomBytes(32));
}

/** The sealed value with one bit of one byte of its `index`-th dot-separated part flipped. */
function flipped(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe(sealSecret.name, () => {
  it('seals a value that opens to the same text with the same key and context', () => {
    const key = aKey();
    expect(openSecret(key, sealSecret(key, secret, context), context)).toBe(secret);
    expect(openSecret(key, sealSecret(key, '', context), context)).toBe('');
    expect(openSecret(key, sealSecret(key, 'pässwörd ✓', context), context)).toBe('pässwörd ✓');
  });

  it('keeps the plaintext out of the sealed value', () => {
    const sealed = sealSecret(aKey(), secret, context);

    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('OPENSSH');
    expect(sealed).not.toContain(Buffer.from(secret).toString('base64url').slice(0, 16));
    expect(sealed).not.toContain(context);
  });

  it('seals the same text differently each time', () => {
    const key = aKey();
    expect(sealSecret(key, secret, context)).not.toBe(sealSecret(key, secret, context));
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => sealSecret(randomBytes(16), secret, context)).toThrow(/32 bytes/);
  });
});

describe(openSecret.name, () => {
  it('refuses a value sealed for another context', () => {
    const key = aKey();
    const sealed = sealSecret(key, secret, context);

    expect(() => openSecret(key, sealed, 'host-key/vm-8/ed25519')).toThrow(SecretBoxError);
    expect(() => openSecret(key, sealed, 'host-key/vm-8/ed25519')).toThrow(/failed authentication/);
  });

  it('refuses a value sealed with another key', () => {
    const sealed = sealSecret(aKey(), secret, context);
    expect(() => openSecret(aKey(), sealed, context)).toThrow(SecretBoxError);
  });

  it.each([
    ['iv', 1],
    ['ciphertext', 2],
    ['tag', 3],
  ])('refuses a value whose %s was altered', (_, index) => {
    const key = aKey();
    const sealed = sealSecret(key, secret, context);
    expect(() => openSecret(key, flipped(sealed, index), context)).toThrow(SecretBoxError);
  });

  it.each([
    ['another version', (sealed: string) => sealed.replace(/^v1\./, 'v2.')],
    ['a missing part', (sealed: string) => sealed.split('.').slice(0, 3).join('.')],
    ['an extra part', (sealed: string) => `${sealed}.AAAA`],
    ['a character outside base64url', (sealed: string) => `${sealed.slice(0, -1)}+`],
    ['a cut tag', (sealed: string) => sealed.slice(0, -4)],
    ['an empty string', () => ''],
  ])('refuses %s', (_, change) => {
    const key = aKey();
    expect(() => openSecret(key, change(sealSecret(key, secret, context)), context)).toThrow(
      SecretBoxError,
    );
  });

  it('says which context failed but never the key or the plaintext', () => {
    const key = aKey();
    const sealed = sealSecret(key, secret, context);

    const error = catchError(() => openSecret(aKey(), sealed, context));

    expect(error.message).toContain(context);
    expect(error.message).not.toContain('OPENSSH');
    expect(error.message).not.toContain(key.toString('hex'));
    expect(error.message).not.toContain(key.toString('base64'));
  });
});

describe(atRestKey.name, () => {
  it('derives the same 32-byte key from the same secret and another from another', () => {
    const secretKey = randomBytes(48);

    expect(atRestKey(secretKey)).toHaveLength(32);
    expect(atRestKey(secretKey).equals(atRestKey(Buffer.from(secretKey)))).toBe(true);
    expect(atRestKey(secretKey).equals(atRestKey(randomBytes(48)))).toBe(false);
    expect(atRestKey(secretKey).equals(secretKey.subarray(0, 32))).toBe(false);
  });

  it('refuses a secret key shorter than 32 bytes', () => {
    expect(() => atRestKey(randomBytes(31))).toThrow(/at least 32 bytes/);
  });
});

function catchError(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('did not throw');
}
