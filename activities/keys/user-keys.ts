/**
 * The public keys users log in to their sites' servers with. A key is read in the SSH wire
 * encoding and its numbers checked (an ECDSA point must lie on its curve), never recognised by
 * the look of its text; what is kept is the normalised `<algorithm> <base64>` line, so nothing
 * a user typed (authorized_keys options, a second key) can reach a server's authorized_keys.
 * Pure.
 */

import { createPublicKey, type JsonWebKey } from 'node:crypto';

import { type SshKeyType } from '../../libs/domain/ssh-key.entity';
import { decodeBase64, InvalidPublicKeyError, sshFingerprint, WireReader } from './ssh-wire';

export { InvalidPublicKeyError };

export interface UserPublicKey {
  type: SshKeyType;
  /** The size `ssh-keygen -l` prints: the RSA modulus's bits, the curve's, 256 for Ed25519. */
  bits: number;
  /** `<algorithm> <base64 blob>`, without options or comment. */
  publicKey: string;
  /** `SHA256:<unpadded base64>`, as `ssh-keygen -l -E sha256` prints it. */
  fingerprint: string;
  /** The comment on the line, if it had one. */
  comment: string | null;
}

/** A pasted `.pub` file is a few hundred bytes; an RSA key of 16384 bits about 2.8 KiB. */
export const maxUserKeyBytes = 16 * 1024;
export const maxCommentLength = 100;
/** RSA below 3072 bits is short of NIST's 128-bit security level. */
export const minRsaBits = 3072;
/** OpenSSH refuses larger moduli (SSH_RSA_MAXIMUM_MODULUS_SIZE). */
const maxRsaBits = 16384;
/**
 * Printable ASCII: no control characters or line breaks, nothing that renders deceptively
 * (bidirectional overrides, zero-width characters), and what the configuration roles accept
 * (`ssh_key_pattern` in ansible/tasks/site-data.yml).
 */
export const printableComment = /^[\x20-\x7e]*$/;

interface Curve {
  name: 'nistp256' | 'nistp384' | 'nistp521';
  jwk: 'P-256' | 'P-384' | 'P-521';
  bits: number;
  /** Bytes of one coordinate. */
  size: number;
}

const curves = {
  nistp256: { name: 'nistp256', jwk: 'P-256', bits: 256, size: 32 },
  nistp384: { name: 'nistp384', jwk: 'P-384', bits: 384, size: 48 },
  nistp521: { name: 'nistp521', jwk: 'P-521', bits: 521, size: 66 },
} as const satisfies Record<string, Curve>;

type Reading = { type: SshKeyType; read: (reader: WireReader) => number };

/** Each accepted algorithm: its type and how to read the rest of its blob, giving its bits. */
const algorithms: Record<string, Reading> = {
  'ssh-ed25519': { type: 'ed25519', read: (reader) => ed25519(reader) },
  'ecdsa-sha2-nistp256': { type: 'ecdsa', read: (reader) => ecdsa(reader, curves.nistp256) },
  'ecdsa-sha2-nistp384': { type: 'ecdsa', read: (reader) => ecdsa(reader, curves.nistp384) },
  'ecdsa-sha2-nistp521': { type: 'ecdsa', read: (reader) => ecdsa(reader, curves.nistp521) },
  'ssh-rsa': { type: 'rsa', read: (reader) => rsa(reader) },
  // Security keys (FIDO): the key, then the relying party ("application") it was made for.
  'sk-ssh-ed25519@openssh.com': {
    type: 'ed25519-sk',
    read: (reader) => {
      const bits = ed25519(reader);
      application(reader);
      return bits;
    },
  },
  'sk-ecdsa-sha2-nistp256@openssh.com': {
    type: 'ecdsa-sk',
    read: (reader) => {
      const bits = ecdsa(reader, curves.nistp256);
      application(reader);
      return bits;
    },
  },
};

/** Algorithms OpenSSH knows that are refused here, with why. */
const refusedAlgorithms: Record<string, string> = {
  'ssh-dss': 'DSA keys are not accepted (OpenSSH has dropped DSA); use an Ed25519 key',
};
const certificateSuffix = '-cert-v01@openssh.com';

/**
 * Reads one user's public key as pasted from a `.pub` file: `<algorithm> <base64> [comment]`,
 * surrounding white space allowed, nothing else.
 */
export function parseUserKey(text: string): UserPublicKey {
  if (Buffer.byteLength(text, 'utf8') > maxUserKeyBytes) {
    throw new InvalidPublicKeyError(`the key is longer than ${maxUserKeyBytes} bytes`);
  }
  const line = text.trim();
  if (line === '') throw new InvalidPublicKeyError('no key given');
  if (/[\r\n]/.test(line)) {
    throw new InvalidPublicKeyError('give one key per request: the text has several lines');
  }
  const [algorithm = '', base64 = '', ...rest] = fields(line);
  const reading = readingOf(algorithm, line);
  if (base64 === '') throw new InvalidPublicKeyError(`the ${algorithm} key has no key data`);
  const blob = decodeBase64(base64, algorithm);
  const reader = new WireReader(blob, algorithm);
  const named = reader.string();
  if (named.toString('latin1') !== algorithm) {
    throw new InvalidPublicKeyError(
      `the key data is ${describeName(named)}, not the ${algorithm} key the line names`,
    );
  }
  const bits = reading.read(reader);
  reader.end();
  return {
    type: reading.type,
    bits,
    publicKey: `${algorithm} ${base64}`,
    fingerprint: sshFingerprint(blob),
    comment: lineComment(line, rest),
  };
}

/**
 * Why a comment may not go into authorized_keys, or undefined when it may: at most 100 printable
 * ASCII characters.
 */
export function commentProblem(comment: string): string | undefined {
  if (comment.length > maxCommentLength) {
    return `a comment has at most ${maxCommentLength} characters`;
  }
  if (!printableComment.test(comment)) {
    return 'a comment is printable ASCII text: no control characters, line breaks or other scripts';
  }
  return undefined;
}

/** The authorized_keys line of a key: `<algorithm> <base64>`, then its comment if it has one. */
export function authorizedKeyLine(key: { publicKey: string; comment: string | null }): string {
  return key.comment ? `${key.publicKey} ${key.comment}` : key.publicKey;
}

/** White-space separated fields, as sshd splits an authorized_keys line. */
function fields(line: string): string[] {
  return line.split(/[ \t]+/);
}

function readingOf(algorithm: string, line: string): Reading {
  const reading = algorithms[algorithm];
  if (reading) return reading;
  const refusal = refusedAlgorithms[algorithm];
  if (refusal) throw new InvalidPublicKeyError(refusal);
  if (algorithm.endsWith(certificateSuffix)) {
    throw new InvalidPublicKeyError('certificates are not accepted; give the plain public key');
  }
  // `command="..." ssh-ed25519 AAAA...`: an authorized_keys line with options in front.
  if (fields(line).some((field) => isKnownAlgorithm(field))) {
    throw new InvalidPublicKeyError(
      'authorized_keys options (such as command= or from=) are not accepted; give the key alone',
    );
  }
  throw new InvalidPublicKeyError(
    `unsupported key type ${JSON.stringify(algorithm.slice(0, 40))}; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa of at least ${minRsaBits} bits`,
  );
}

function isKnownAlgorithm(field: string): boolean {
  return Object.hasOwn(algorithms, field) || Object.hasOwn(refusedAlgorithms, field);
}

/** The rest of the line after the key data, checked; a second key there is refused. */
function lineComment(line: string, rest: string[]): string | null {
  if (rest.length === 0) return null;
  if (rest.some((field) => isKnownAlgorithm(field))) {
    throw new InvalidPublicKeyError('give one key per request: the line holds another key');
  }
  // The comment as written, inner white space kept: what follows the second field.
  const comment = line.replace(/^[^ \t]+[ \t]+[^ \t]+[ \t]+/, '');
  const problem = commentProblem(comment);
  if (problem) throw new InvalidPublicKeyError(`the key's comment is refused: ${problem}`);
  return comment;
}

/** An algorithm name read from a blob, for a message: quoted when short and plain, else not. */
function describeName(name: Buffer): string {
  const text = name.toString('latin1');
  return name.length <= 64 && /^[\x21-\x7e]+$/.test(text)
    ? `a ${JSON.stringify(text)} key`
    : 'of another kind';
}

function ed25519(reader: WireReader): number {
  const key = reader.string();
  if (key.length !== 32) reader.fail('is not a 32-byte Ed25519 key');
  return 256;
}

function ecdsa(reader: WireReader, curve: Curve): number {
  if (reader.string().toString('latin1') !== curve.name) {
    reader.fail(`is not on curve ${curve.name}`);
  }
  const point = reader.string();
  // SEC 1 uncompressed, 0x04 || X || Y: the only form RFC 5656 allows.
  if (point.length !== 1 + 2 * curve.size || point[0] !== 0x04) {
    reader.fail(`is not an uncompressed ${curve.name} point`);
  }
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: curve.jwk,
    x: point.subarray(1, 1 + curve.size).toString('base64url'),
    y: point.subarray(1 + curve.size).toString('base64url'),
  };
  try {
    // OpenSSL checks that the point lies on the curve.
    createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    reader.fail(`is not a point on curve ${curve.name}`);
  }
  return curve.bits;
}

function rsa(reader: WireReader): number {
  const e = magnitude(reader.mpint('exponent'));
  const n = magnitude(reader.mpint('modulus'));
  const bits = bitLength(n);
  if (bits < minRsaBits) {
    throw new InvalidPublicKeyError(
      `RSA keys need at least ${minRsaBits} bits; this one has ${bits}`,
    );
  }
  if (bits > maxRsaBits) {
    throw new InvalidPublicKeyError(
      `RSA keys have at most ${maxRsaBits} bits; this one has ${bits}`,
    );
  }
  const [lastOfE = 0] = e.subarray(-1);
  if (!(lastOfE & 1) || (e.length === 1 && lastOfE < 3)) {
    reader.fail('has an exponent that is not an odd number of at least 3');
  }
  return bits;
}

function application(reader: WireReader): void {
  const name = reader.string();
  if (name.length === 0 || name.length > 255 || !/^[\x20-\x7e]+$/.test(name.toString('latin1'))) {
    reader.fail('has no printable security key application');
  }
}

/** An mpint's magnitude, without the zero byte that keeps a high bit from reading as a sign. */
function magnitude(mpint: Buffer): Buffer {
  return mpint[0] === 0 ? mpint.subarray(1) : mpint;
}

function bitLength(magnitude: Buffer): number {
  const [top = 0] = magnitude;
  return magnitude.length === 0 ? 0 : (magnitude.length - 1) * 8 + (32 - Math.clz32(top));
}
