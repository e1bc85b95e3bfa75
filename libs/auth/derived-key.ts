import { hkdfSync } from 'node:crypto';

/** Shorter secret keys are refused: every key derived from one is only as strong as it. */
export const minSecretKeyBytes = 32;

/** Derived keys by secret key and purpose: HKDF on every request showed in the api's profile. */
const derivedKeys = new WeakMap<Buffer, Map<string, Buffer>>();

/**
 * A 32-byte key for one purpose (`info`, such as `berth/api-token`) derived from the deployment's
 * secret key with HKDF-SHA256, so that no two uses of the secret key share a key and a key leaked
 * from one use opens nothing else.
 */
export function derivedKey(secretKey: Buffer, info: string): Buffer {
  if (secretKey.length < minSecretKeyBytes) {
    throw new RangeError(`the secret key must be at least ${minSecretKeyBytes} bytes`);
  }
  let byInfo = derivedKeys.get(secretKey);
  if (!byInfo) {
    byInfo = new Map();
    derivedKeys.set(secretKey, byInfo);
  }
  let key = byInfo.get(info);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), info, 32));
    byInfo.set(info, key);
  }
  return key;
}
