/**
 * SSH host keys that Berth generates for a server before the server exists, so the SHA-256 SSHFP
 * records of its keys are in signed DNS before first boot and the first connection can be
 * verified. Pure: no I/O beyond the system's random source.
 */

import { createHash, generateKeyPair, type JsonWebKey, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

import { type HostKeyType } from '../../libs/domain/host-key.entity';
import { decodeBase64, InvalidPublicKeyError, sshFingerprint, WireReader } from './ssh-wire';

export { type HostKeyType, InvalidPublicKeyError };

export interface GeneratedHostKey {
  type: HostKeyType;
  /** One OpenSSH public key line, `<algorithm> <base64 blob>`, without a comment. */
  publicKey: string;
  /** The unencrypted `openssh-key-v1` file sshd loads as a HostKey. A secret: seal it at rest. */
  privateKey: string;
  /** `SHA256:<unpadded base64>`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

export interface PublicKey {
  type: HostKeyType;
  /** The key in the SSH wire encoding (RFC 4253 section 6.6): what fingerprints and SSHFP hash. */
  blob: Buffer;
}

/** An SSHFP record with a SHA-256 fingerprint (RFC 4255, 6594, 7479). */
export interface SshfpRecord {
  algorithm: 1 | 3 | 4;
  fingerprintType: 2;
  /** Lower-case hex SHA-256 of the key blob. */
  fingerprint: string;
}

const algorithmOf = {
  rsa: 'ssh-rsa',
  ecdsa: 'ecdsa-sha2-nistp256',
  ed25519: 'ssh-ed25519',
} as const satisfies Record<HostKeyType, string>;

const sshfpAlgorithmOf = { rsa: 1, ecdsa: 3, ed25519: 4 } as const satisfies Record<
  HostKeyType,
  SshfpRecord['algorithm']
>;

const RSA_BITS = 3072;
const CURVE = 'nistp256';
/** 0x04 || X || Y: SEC 1 uncompressed point on P-256, the only form RFC 5656 allows here. */
const P256_POINT_BYTES = 65;
const ED25519_KEY_BYTES = 32;
/** The private section of a file with cipher "none" is padded to this (PROTOCOL.key). */
const NONE_BLOCK_BYTES = 8;
const AUTH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
/** ssh-keygen wraps the base64 of a private key file at 70 columns. */
const PEM_LINE_CHARS = 70;

const generateKeyPairAsync = promisify(generateKeyPair);

/** One RSA 3072, one ECDSA P-256 and one Ed25519 key, fresh each call. */
export async function generateHostKeys(): Promise<GeneratedHostKey[]> {
  // Asynchronous generation: finding two 1536-bit primes blocks for a second or more.
  const [rsa, ecdsa, ed25519] = await Promise.all([
    generateKeyPairAsync('rsa', { modulusLength: RSA_BITS, publicExponent: 0x10001 }),
    generateKeyPairAsync('ec', { namedCurve: 'P-256' }),
    generateKeyPairAsync('ed25519'),
  ]);
  return [
    hostKey('rsa', rsa.privateKey.export({ format: 'jwk' })),
    hostKey('ecdsa', ecdsa.privateKey.export({ format: 'jwk' })),
    hostKey('ed25519', ed25519.privateKey.export({ format: 'jwk' })),
  ];
}

/**
 * Reads an OpenSSH public key line (a trailing comment is allowed) of one of the three host key
 * types, checking that its blob is well formed for the algorithm it names.
 */
export function parsePublicKey(line: string): PublicKey {
  const match = /^(\S+) ([A-Za-z0-9+/]+={0,2})(?: [^\r\n]*)?$/.exec(line.trim());
  if (match === null) throw new InvalidPublicKeyError('not an OpenSSH public key line');
  const [, algorithm = '', base64 = ''] = match;
  const type = typeOfAlgorithm(algorithm);
  const blob = decodeBase64(base64, algorithm);
  readBlob(type, algorithm, blob);
  return { type, blob };
}

/** The SHA-256 SSHFP record of a public key line. */
export function sshfpRecord(publicKey: string): SshfpRecord {
  const { type, blob } = parsePublicKey(publicKey);
  return {
    algorithm: sshfpAlgorithmOf[type],
    fingerprintType: 2,
    fingerprint: createHash('sha256').update(blob).digest('hex'),
  };
}

/** The record's data in zone-file presentation form: `<algorithm> <type> <hex>`. */
export function sshfpContent(record: SshfpRecord): string {
  return `${record.algorithm} ${record.fingerprintType} ${record.fingerprint}`;
}

function hostKey(type: HostKeyType, jwk: JsonWebKey): GeneratedHostKey {
  const algorithm = algorithmOf[type];
  const { blob, secrets } = encode(type, jwk);
  return {
    type,
    publicKey: `${algorithm} ${blob.toString('base64')}`,
    privateKey: privateKeyFile(blob, Buffer.concat([sshString(algorithm), secrets])),
    fingerprint: sshFingerprint(blob),
  };
}

/** The public blob and the fields after the algorithm name in the private section (sshkey.c). */
function encode(type: HostKeyType, jwk: JsonWebKey): { blob: Buffer; secrets: Buffer } {
  const algorithm = algorithmOf[type];
  switch (type) {
    case 'rsa': {
      const [n, e, d, p, q, qi] = jwkFields(jwk, ['n', 'e', 'd', 'p', 'q', 'qi']);
      return {
        // Public order is e, n; the private section has n, e, d, then iqmp (qi) before p and q.
        blob: Buffer.concat([sshString(algorithm), mpint(e), mpint(n)]),
        secrets: Buffer.concat([mpint(n), mpint(e), mpint(d), mpint(qi), mpint(p), mpint(q)]),
      };
    }
    case 'ecdsa': {
      const [x, y, d] = jwkFields(jwk, ['x', 'y', 'd']);
      const point = sshString(Buffer.concat([Buffer.of(0x04), x, y]));
      return {
        blob: Buffer.concat([sshString(algorithm), sshString(CURVE), point]),
        secrets: Buffer.concat([sshString(CURVE), point, mpint(d)]),
      };
    }
    case 'ed25519': {
      const [x, d] = jwkFields(jwk, ['x', 'd']);
      return {
        blob: Buffer.concat([sshString(algorithm), sshString(x)]),
        // OpenSSH keeps the 64-byte form of the secret key: the seed followed by the public key.
        secrets: Buffer.concat([sshString(x), sshString(Buffer.concat([d, x]))]),
      };
    }
  }
}

function jwkFields<const Names extends readonly (keyof JsonWebKey)[]>(
  jwk: JsonWebKey,
  names: Names,
): { [I in keyof Names]: Buffer } {
  return names.map((name) => {
    const value = jwk[name];
    if (typeof value !== 'string') throw new Error(`the generated key has no JWK field ${name}`);
    return Buffer.from(value, 'base64url');
  }) as { [I in keyof Names]: Buffer };
}

/** An unencrypted `openssh-key-v1` file holding one key (PROTOCOL.key). */
function privateKeyFile(publicBlob: Buffer, privateKey: Buffer): string {
  // The two equal check integers are how a decrypting reader tells a wrong passphrase.
  const check = randomBytes(4);
  const section = Buffer.concat([check, check, privateKey, sshString('')]);
  const padLength = (NONE_BLOCK_BYTES - (section.length % NONE_BLOCK_BYTES)) % NONE_BLOCK_BYTES;
  const padding = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
  const file = Buffer.concat([
    AUTH_MAGIC,
    sshString('none'), // cipher
    sshString('none'), // key derivation function
    sshString(''), // its options
    uint32(1), // number of keys
    sshString(publicBlob),
    sshString(Buffer.concat([section, padding])),
  ]);
  const lines = file.toString('base64').match(new RegExp(`.{1,${PEM_LINE_CHARS}}`, 'g')) ?? [];
  return [
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    ...lines,
    '-----END OPENSSH PRIVATE KEY-----',
    '',
  ].join('\n');
}

function typeOfAlgorithm(algorithm: string): HostKeyType {
  const entry = Object.entries(algorithmOf).find(([, name]) => name === algorithm);
  if (entry === undefined) {
    throw new InvalidPublicKeyError(
      `unsupported host key algorithm ${JSON.stringify(algorithm.slice(0, 64))}`,
    );
  }
  return entry[0] as HostKeyType;
}

function readBlob(type: HostKeyType, algorithm: string, blob: Buffer): void {
  const reader = new WireReader(blob, algorithm);
  if (reader.string().toString('latin1') !== algorithm) {
    throw new InvalidPublicKeyError(`the ${algorithm} key's blob names another algorithm`);
  }
  switch (type) {
    case 'rsa':
      reader.mpint('e');
      reader.mpint('n');
      break;
    case 'ecdsa': {
      if (reader.string().toString('latin1') !== CURVE) {
        throw new InvalidPublicKeyError(`the ${algorithm} key is not on curve ${CURVE}`);
      }
      const point = reader.string();
      if (point.length !== P256_POINT_BYTES || point[0] !== 0x04) {
        throw new InvalidPublicKeyError(`the ${algorithm} key is not an uncompressed P-256 point`);
      }
      break;
    }
    case 'ed25519':
      if (reader.string().length !== ED25519_KEY_BYTES) {
        throw new InvalidPublicKeyError(`the ${algorithm} key is not ${ED25519_KEY_BYTES} bytes`);
      }
      break;
  }
  reader.end();
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([uint32(bytes.length), bytes]);
}

/** A non-negative big-endian integer as an mpint: no leading zeros, but one when the top bit is set. */
function mpint(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.length && unsigned[start] === 0) start++;
  const magnitude = unsigned.subarray(start);
  const [top = 0] = magnitude;
  return sshString(top & 0x80 ? Buffer.concat([Buffer.of(0), magnitude]) : magnitude);
}
