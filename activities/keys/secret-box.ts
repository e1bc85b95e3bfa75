import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encryption at rest for secrets Berth stores in its database (host private keys first):
 * AES-256-GCM with the row's context as additional data, so a sealed value opens only with the
 * deployment's key and only for the context it was sealed for, never after being altered or moved.
 */

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_INFO = 'berth/secrets-at-rest';
const MIN_SECRET_KEY_BYTES = 32;

/** A sealed value that cannot be opened; says which context, never the key or the plaintext. */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

/**
 * The at-rest key derived from BERTH_SECRET_KEY. HKDF with a purpose of its own keeps it
 * independent of the other keys derived from the same secret (payload codec, callback tokens).
 */
export function atRestKey(secretKey: Buffer): Buffer {
  if (secretKey.length < MIN_SECRET_KEY_BYTES) {
    throw new RangeError(
      `a secret key to derive the at-rest key from needs at least ${MIN_SECRET_KEY_BYTES} bytes`,
    );
  }
  return Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), HKDF_INFO, KEY_BYTES));
}

/**
 * `v1.<iv>.<ciphertext>.<tag>` in base64url. The context (e.g. `host-key/<vmId>/rsa`) names the
 * row and column the value belongs to; it is authenticated, not stored.
 */
export function sealSecret(key: Buffer, plaintext: string, context: string): string {
  checkKey(key);
  // A fresh IV per value: GCM loses both secrecy and integrity if an IV repeats under a key.
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const parts = [iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url'));
  return [VERSION, ...parts].join('.');
}

/** The plaintext of a value sealed with `key` for `context`; throws SecretBoxError otherwise. */
export function openSecret(key: Buffer, sealed: string, context: string): string {
  checkKey(key);
  const where = JSON.stringify(context.slice(0, 128));
  const [version, ...encoded] = sealed.split('.');
  if (version !== VERSION) {
    throw new SecretBoxError(`the secret for ${where} is not a ${VERSION} sealed value`);
  }
  const parts = encoded.map((part) => Buffer.from(part, 'base64url'));
  // Buffer.from skips what is not base64url; only a part that re-encodes to itself is whole.
  const canonical = parts.every((bytes, i) => bytes.toString('base64url') === encoded[i]);
  const [iv, ciphertext, tag] = parts;
  if (
    parts.length !== 3 ||
    !canonical ||
    iv?.length !== IV_BYTES ||
    ciphertext === undefined ||
    tag?.length !== TAG_BYTES
  ) {
    throw new SecretBoxError(`the sealed secret for ${where} is malformed`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    // OpenSSL's message ("unable to authenticate data") names neither the value nor the cause.
    throw new SecretBoxError(
      `the sealed secret for ${where} failed authentication: another key, another context, or altered`,
    );
  }
}

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) {
    throw new RangeError(
      `an at-rest key has ${KEY_BYTES} bytes, not ${key.length} (see atRestKey)`,
    );
  }
}
