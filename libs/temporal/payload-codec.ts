import { extname, join } from 'node:path';
import {
  type DataConverter,
  METADATA_ENCODING_KEY,
  type Payload,
  type PayloadCodec,
  ValueError,
} from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

/** The encoding of a payload this codec encrypted; anything else passes decode untouched. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key a payload was encrypted with, so old keys still decrypt. */
export const ENCRYPTION_KEY_ID = 'encryption-key-id';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_INFO = 'berth/temporal-payload-codec';
const MIN_SECRET_KEY_BYTES = 32;

export interface CodecKey {
  /** Stored in clear in every payload's metadata: must not reveal the key (see keyIdOf). */
  id: string;
  key: Buffer;
}

export interface CodecKeys {
  /** Encrypts every new payload. */
  current: CodecKey;
  /** Only decrypt: payloads recorded before a rotation. */
  previous?: CodecKey[];
}

/**
 * Encrypts every Temporal payload with AES-256-GCM, so inputs, results and memos (secrets among
 * them) reach the Temporal server, its history and its UI only as ciphertext. The whole payload,
 * metadata included, is encrypted, so even its encoding is hidden. Runs in clients, workers and the
 * api's codec endpoint, never in the workflow sandbox.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly current: { id: string; key: KeyObject };
  private readonly keys = new Map<string, Buffer>();
  /** The same keys imported once: Node 24 imports a Buffer key anew on every cipher. */
  private readonly keyObjects = new Map<string, KeyObject>();

  constructor(keys: CodecKeys) {
    for (const { id, key } of [keys.current, ...(keys.previous ?? [])]) {
      if (id === '') throw new ValueError('a payload codec key id must not be empty');
      if (key.length !== KEY_BYTES) {
        throw new ValueError(
          `payload codec key ${id} has ${key.length} bytes; AES-256 needs ${KEY_BYTES}`,
        );
      }
      const known = this.keys.get(id);
      if (known !== undefined && !known.equals(key)) {
        throw new ValueError(`payload codec key id ${id} names two different keys`);
      }
      this.keys.set(id, key);
      this.keyObjects.set(id, createSecretKey(key));
    }
    this.current = { id: keys.current.id, key: this.keyObjects.get(keys.current.id)! };
  }

  // The work is synchronous; the Promise executor turns a throw into the rejection callers expect.
  encode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((payload) => this.encrypt(payload))));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => resolve(payloads.map((payload) => this.decrypt(payload))));
  }

  private encrypt(payload: Payload): Payload {
    const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
    // A fresh IV per payload: GCM loses both secrecy and integrity if an IV repeats under a key.
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING),
        [ENCRYPTION_KEY_ID]: utf8(this.current.id),
      },
      data: bytes(Buffer.concat([iv, ciphertext, cipher.getAuthTag()])),
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    if (encoding === undefined || text(encoding) !== ENCRYPTED_ENCODING) return payload;
    const idBytes = payload.metadata?.[ENCRYPTION_KEY_ID];
    if (idBytes === undefined) throw new ValueError('encrypted payload has no encryption key id');
    const id = text(idBytes);
    const key = this.keyObjects.get(id);
    if (key === undefined) {
      // The id comes from the payload (through the codec endpoint, from anyone): quoted and cut.
      throw new ValueError(
        `payload was encrypted with unknown key id ${JSON.stringify(id.slice(0, 64))}`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new ValueError(`encrypted payload (key id ${id}) is too short`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      // OpenSSL's message ("unable to authenticate data") says nothing about which payload.
      throw new ValueError(`encrypted payload (key id ${id}) failed authentication`);
    }
    return plainPayload(temporal.api.common.v1.Payload.decode(plaintext));
  }
}

/** A key's public name: the first 16 hex digits of its SHA-256, which reveal nothing of it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * The codec key derived from BERTH_SECRET_KEY, which also signs callback tokens: HKDF with a
 * purpose of its own keeps the two uses independent, so neither key can stand in for the other.
 */
export function deriveCodecKey(secretKey: Buffer): Buffer {
  // settings.ts requires as much of BERTH_SECRET_KEY; a previous key given by hand might not.
  if (secretKey.length < MIN_SECRET_KEY_BYTES) {
    throw new ValueError(
      `a secret key to derive the payload codec key from needs at least ${MIN_SECRET_KEY_BYTES} bytes`,
    );
  }
  return Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), HKDF_INFO, KEY_BYTES));
}

/**
 * The codec of a deployment: encrypts with the key derived from the current secret key, decrypts
 * with that and those derived from the previous ones (kept until old histories are gone).
 */
export function createPayloadCodec(
  secretKey: Buffer,
  previousSecretKeys: Buffer[] = [],
): AesGcmPayloadCodec {
  const codecKey = (secret: Buffer): CodecKey => {
    const key = deriveCodecKey(secret);
    return { id: keyIdOf(key), key };
  };
  return new AesGcmPayloadCodec({
    current: codecKey(secretKey),
    previous: previousSecretKeys.map(codecKey),
  });
}

/** The data converter of Berth's clients and workers: the default converter, then the codec. */
export function createDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath };
}

/**
 * The module exporting the failure converter that moves messages into encrypted payloads. The
 * SDK wants the file itself: .ts when run from source, .js once built, like this module.
 */
export const failureConverterPath = join(__dirname, `failure-converter${extname(__filename)}`);

/**
 * The decoded payload as the SDK itself builds one: plain Uint8Arrays rather than protobufjs's
 * Buffers, and no empty `externalPayloads` list it never had.
 */
function plainPayload(message: temporal.api.common.v1.Payload): Payload {
  const metadata = Object.fromEntries(
    Object.entries(message.metadata).map(([name, value]) => [name, bytes(value)]),
  );
  return {
    metadata,
    data: bytes(message.data),
    ...(message.externalPayloads.length > 0 ? { externalPayloads: message.externalPayloads } : {}),
  };
}

/**
 * A copy with an ArrayBuffer of its own: small Buffers are views into Node's shared pool, whose
 * `.buffer` would carry whatever else (plaintext included) was allocated beside them.
 */
function bytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value);
}

function utf8(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function text(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
}
