/**
 * Reading OpenSSH public keys in the SSH wire encoding (RFC 4251 section 5, RFC 4253 section
 * 6.6), shared by host keys and users' keys. Pure.
 */

import { createHash } from 'node:crypto';

/** A public key that is not well formed, or not of a type the caller accepts; the message says why. */
export class InvalidPublicKeyError extends Error {
  override readonly name = 'InvalidPublicKeyError';
}

/** `SHA256:<unpadded base64>` of a key blob, as `ssh-keygen -l` prints it. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * The bytes of the base64 text, which must be canonical: `Buffer.from` skips what is not base64,
 * so re-encoding shows whether anything was skipped (or padded otherwise).
 */
export function decodeBase64(text: string, algorithm: string): Buffer {
  const blob = Buffer.from(text, 'base64');
  if (blob.length === 0 || blob.toString('base64') !== text) {
    throw new InvalidPublicKeyError(`the ${algorithm} key is not canonical base64`);
  }
  return blob;
}

/** Reads the SSH wire types off a blob, failing on anything malformed. */
export class WireReader {
  private offset = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly algorithm: string,
  ) {}

  string(): Buffer {
    if (this.offset + 4 > this.bytes.length) this.fail('is cut short');
    const length = this.bytes.readUInt32BE(this.offset);
    const start = this.offset + 4;
    if (start + length > this.bytes.length) this.fail('is cut short');
    this.offset = start + length;
    return this.bytes.subarray(start, this.offset);
  }

  /** A positive mpint in its one canonical form. */
  mpint(name: string): Buffer {
    const value = this.string();
    const [first, second = 0] = value;
    if (first === undefined || first & 0x80) this.fail(`has a ${name} that is not positive`);
    if (first === 0 && !(second & 0x80)) this.fail(`has a ${name} with a superfluous zero`);
    return value;
  }

  end(): void {
    if (this.offset !== this.bytes.length) this.fail('has bytes after its last field');
  }

  fail(problem: string): never {
    throw new InvalidPublicKeyError(`the ${this.algorithm} key's blob ${problem}`);
  }
}
