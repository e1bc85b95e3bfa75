import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AesGcmPayloadCodec,
  type CodecKey,
  createDataConverter,
  failureConverterPath,
  createPayloadCodec,
  deriveCodecKey,
  ENCRYPTED_ENCODING,
  ENCRYPTION_KEY_ID,
  keyIdOf,
} from '../../../libs/temporal/payload-codec';

function aKey(): CodecKey {
  const key = randomBytes(32);
  return { id: keyIdOf(key), key };
}

function json(value: unknown): Payload {
  const payload = defaultPayloadConverter.toPayload(value);
  if (payload === undefined) throw new Error(`no payload for ${String(value)}`);
  return payload;
}

function metadataText(payload: Payload, name: string): string | undefined {
  const value = payload.metadata?.[name];
  return value === undefined ? undefined : Buffer.from(value).toString('utf8');
}

function dataOf(payload: Payload): Buffer {
  return Buffer.from(payload.data ?? new Uint8Array());
}

const secret = 'hunter2-database-root-password';

describe(AesGcmPayloadCodec.name, () => {
  it('decodes what it encoded to equal payloads', async () => {
    const codec = new AesGcmPayloadCodec({ current: aKey() });
    const payloads = [
      json({ secret, nested: { list: [1, 2, 3] } }),
      json('plain string'),
      json(42),
      json(null),
      json(undefined),
      json(new Uint8Array([0, 1, 2, 255])),
    ];

    const decoded = await codec.decode(await codec.encode(payloads));

    // Protobuf does not tell empty bytes from none: the null payload comes back with empty data.
    expect(decoded).toEqual(payloads.map((payload) => ({ data: new Uint8Array(), ...payload })));
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { secret, nested: { list: [1, 2, 3] } },
      'plain string',
      42,
      null,
      undefined,
      new Uint8Array([0, 1, 2, 255]),
    ]);
  });

  it('keeps the plaintext, its encoding included, out of the encoded payload', async () => {
    const codec = new AesGcmPayloadCodec({ current: aKey() });

    const [encoded] = await codec.encode([json({ secret })]);

    const everything = Buffer.concat([
      dataOf(encoded!),
      ...Object.values(encoded!.metadata ?? {}).map((value) => Buffer.from(value)),
    ]);
    expect(everything.includes(secret)).toBe(false);
    expect(everything.includes('json/plain')).toBe(false);
  });

  it('encrypts the same payload differently each time', async () => {
    const codec = new AesGcmPayloadCodec({ current: aKey() });
    const payload = json({ secret });

    const [first, second] = await codec.encode([payload, payload]);

    expect(dataOf(first!).equals(dataOf(second!))).toBe(false);
    expect(dataOf(first!).subarray(0, 12).equals(dataOf(second!).subarray(0, 12))).toBe(false);
  });

  it('marks encoded payloads with its encoding and the key id', async () => {
    const key = aKey();
    const codec = new AesGcmPayloadCodec({ current: key });

    const [encoded] = await codec.encode([json({ secret })]);

    expect(Object.keys(encoded!.metadata ?? {}).sort()).toEqual(
      [METADATA_ENCODING_KEY, ENCRYPTION_KEY_ID].sort(),
    );
    expect(metadataText(encoded!, METADATA_ENCODING_KEY)).toBe(ENCRYPTED_ENCODING);
    expect(metadataText(encoded!, ENCRYPTION_KEY_ID)).toBe(key.id);
  });

  it('refuses a payload with a flipped bit', async () => {
    const codec = new AesGcmPayloadCodec({ current: aKey() });
    const [encoded] = await codec.encode([json({ secret })]);
    // One bit each in the IV, the ciphertext and the tag.
    for (const index of [0, 20, dataOf(encoded!).length - 1]) {
      const data = dataOf(encoded!);
      data[index]! ^= 0x01;

      await expect(codec.decode([{ ...encoded!, data }])).rejects.toThrow(/failed authentication/);
    }
  });

  it('refuses a payload whose key it does not have, naming the key id', async () => {
    const writer = new AesGcmPayloadCodec({ current: aKey() });
    const stranger = aKey();
    const reader = new AesGcmPayloadCodec({ current: stranger });
    const [encoded] = await writer.encode([json({ secret })]);
    const writerId = metadataText(encoded!, ENCRYPTION_KEY_ID)!;

    const error = await reader.decode([encoded!]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(writerId);
    expect((error as Error).message).not.toContain(stranger.key.toString('hex'));
    expect((error as Error).message).not.toContain(stranger.key.toString('base64'));
  });

  it('refuses a payload whose key id was swapped for one of its own keys', async () => {
    const current = aKey();
    const previous = aKey();
    const codec = new AesGcmPayloadCodec({ current, previous: [previous] });
    const [encoded] = await codec.encode([json({ secret })]);

    const relabelled: Payload = {
      ...encoded!,
      metadata: { ...encoded!.metadata, [ENCRYPTION_KEY_ID]: Buffer.from(previous.id) },
    };

    await expect(codec.decode([relabelled])).rejects.toThrow(previous.id);
  });

  it('decodes payloads of a previous key and encodes new ones with the current key', async () => {
    const oldKey = aKey();
    const newKey = aKey();
    const before = new AesGcmPayloadCodec({ current: oldKey });
    const [old] = await before.encode([json({ secret })]);

    const after = new AesGcmPayloadCodec({ current: newKey, previous: [oldKey] });

    expect(await after.decode([old!])).toEqual([json({ secret })]);
    const [fresh] = await after.encode([json({ secret })]);
    expect(metadataText(fresh!, ENCRYPTION_KEY_ID)).toBe(newKey.id);
    await expect(before.decode([fresh!])).rejects.toThrow(newKey.id);
  });

  it('passes payloads it did not encrypt through decode unchanged', async () => {
    const codec = new AesGcmPayloadCodec({ current: aKey() });
    const plain = [json({ secret }), json('text'), { data: new Uint8Array([1, 2]) }];

    const decoded = await codec.decode(plain);

    expect(decoded).toEqual(plain);
    expect(decoded[0]).toBe(plain[0]);
  });

  it('rejects keys that are not 256 bits, and one id naming two keys', () => {
    expect(
      () => new AesGcmPayloadCodec({ current: { id: 'short', key: randomBytes(16) } }),
    ).toThrow(/short has 16 bytes/);
    expect(() => new AesGcmPayloadCodec({ current: { id: '', key: randomBytes(32) } })).toThrow(
      /empty/,
    );
    expect(
      () =>
        new AesGcmPayloadCodec({
          current: { id: 'same', key: randomBytes(32) },
          previous: [{ id: 'same', key: randomBytes(32) }],
        }),
    ).toThrow(/same names two different keys/);
  });
});

describe(keyIdOf.name, () => {
  it('names a key by 16 hex digits that do not reveal it', () => {
    const key = randomBytes(32);

    const id = keyIdOf(key);

    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(Buffer.from(key))).toBe(id);
    expect(key.toString('hex')).not.toContain(id);
    expect(key.toString('base64')).not.toContain(id);
    expect(keyIdOf(randomBytes(32))).not.toBe(id);
  });
});

describe(deriveCodecKey.name, () => {
  it('derives the same 32-byte key from the same secret, another from another', () => {
    const secretKey = randomBytes(32);

    const key = deriveCodecKey(secretKey);

    expect(key).toHaveLength(32);
    expect(deriveCodecKey(Buffer.from(secretKey)).equals(key)).toBe(true);
    expect(deriveCodecKey(randomBytes(32)).equals(key)).toBe(false);
    expect(key.equals(secretKey.subarray(0, 32))).toBe(false);
  });

  it('refuses a secret key shorter than 32 bytes', () => {
    expect(() => deriveCodecKey(randomBytes(31))).toThrow(/at least 32 bytes/);
  });
});

describe(createPayloadCodec.name, () => {
  it('encrypts under the key derived from the secret key and names it by that key', async () => {
    const secretKey = randomBytes(32);
    const codec = createPayloadCodec(secretKey);

    const [encoded] = await codec.encode([json({ secret })]);

    expect(metadataText(encoded!, ENCRYPTION_KEY_ID)).toBe(keyIdOf(deriveCodecKey(secretKey)));
    expect(metadataText(encoded!, ENCRYPTION_KEY_ID)).not.toBe(keyIdOf(secretKey));
  });

  it('still decodes what an earlier secret key encrypted after a rotation', async () => {
    const oldSecret = randomBytes(32);
    const newSecret = randomBytes(32);
    const [old] = await createPayloadCodec(oldSecret).encode([json({ secret })]);

    const rotated = createPayloadCodec(newSecret, [oldSecret]);

    expect(await rotated.decode([old!])).toEqual([json({ secret })]);
    await expect(createPayloadCodec(newSecret).decode([old!])).rejects.toThrow(
      keyIdOf(deriveCodecKey(oldSecret)),
    );
  });
});

describe(createDataConverter.name, () => {
  it('puts the codec in the payload codecs, and failures in encoded attributes', () => {
    const codec = createPayloadCodec(randomBytes(32));

    expect(createDataConverter(codec)).toEqual({ payloadCodecs: [codec], failureConverterPath });
    expect(existsSync(failureConverterPath)).toBe(true);
  });
});
