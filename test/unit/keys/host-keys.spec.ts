import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateHostKeys,
  type GeneratedHostKey,
  type HostKeyType,
  InvalidPublicKeyError,
  parsePublicKey,
  sshfpContent,
  sshfpRecord,
} from '../../../activities/keys/host-keys';

// Every encoding below is checked against OpenSSH itself, not against a second encoder of ours.
const SSH_KEYGEN = '/usr/bin/ssh-keygen';
const SSHD = '/usr/sbin/sshd';
const PRIVSEP_DIR = '/run/sshd';
const HOSTNAME = 'web-1.sites.example';
const types: HostKeyType[] = ['rsa', 'ecdsa', 'ed25519'];

const execFileAsync = promisify(execFile);

/** Runs a tool with `input` on stdin, closed so a passphrase prompt fails instead of waiting. */
async function run(file: string, args: string[], input = ''): Promise<string> {
  const pending = execFileAsync(file, args, { timeout: 10_000, encoding: 'utf8' });
  // A tool that exits without reading its input closes the pipe first; its exit status tells.
  pending.child.stdin?.on('error', () => undefined);
  pending.child.stdin?.end(input);
  return (await pending).stdout;
}

function bigint(base64url: string | undefined): bigint {
  return BigInt(`0x${Buffer.from(base64url ?? '', 'base64url').toString('hex') || '0'}`);
}

let dir: string;
let keys: GeneratedHostKey[];

/** The private key file as sshd reads one: mode 0600, and no `.pub` beside it to fall back on. */
function privateFile(type: HostKeyType): string {
  return join(dir, `ssh_host_${type}_key`);
}

function publicFile(type: HostKeyType): string {
  return join(dir, `${type}-public`);
}

function keyOf(type: HostKeyType): GeneratedHostKey {
  const key = keys.find((k) => k.type === type);
  if (key === undefined) throw new Error(`no ${type} key was generated`);
  return key;
}

/** n from an ssh-rsa blob (string "ssh-rsa", mpint e, mpint n), without its sign byte. */
function parseRsaModulus(publicKey: string): Buffer {
  const blob = parsePublicKey(publicKey).blob;
  let offset = 0;
  const field = (): Buffer => {
    const length = blob.readUInt32BE(offset);
    offset += 4 + length;
    return blob.subarray(offset - length, offset);
  };
  field();
  field();
  const n = field();
  return n[0] === 0 ? n.subarray(1) : n;
}

function blobOf(type: HostKeyType): string {
  return keyOf(type).publicKey.split(' ')[1] ?? '';
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-host-keys-'));
  keys = await generateHostKeys();
  for (const key of keys) {
    writeFileSync(privateFile(key.type), key.privateKey, { mode: 0o600 });
    writeFileSync(publicFile(key.type), `${key.publicKey}\n`, { mode: 0o600 });
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe(generateHostKeys.name, () => {
  it('makes one RSA, one ECDSA and one Ed25519 key', () => {
    expect(keys.map((key) => key.type)).toEqual(types);
    expect(keys.map((key) => key.publicKey.split(' ')[0])).toEqual([
      'ssh-rsa',
      'ecdsa-sha2-nistp256',
      'ssh-ed25519',
    ]);
    for (const key of keys) {
      expect(key.publicKey).toMatch(/^\S+ [A-Za-z0-9+/]+={0,2}$/);
      expect(key.privateKey).toMatch(
        /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END OPENSSH PRIVATE KEY-----\n$/,
      );
    }
  });

  it.each(types)(
    'writes a %s private key from which ssh-keygen derives our public key',
    async (type) => {
      expect(await run(SSH_KEYGEN, ['-y', '-f', privateFile(type)])).toBe(
        `${keyOf(type).publicKey}\n`,
      );
    },
  );

  // ssh-keygen -y reads only the public half of the private section; signing uses the secret half.
  it.each(types)(
    'writes a %s private key whose signatures ssh-keygen verifies with our public key',
    async (type) => {
      const message = join(dir, `message-${type}`);
      const signers = join(dir, `allowed-signers-${type}`);
      writeFileSync(message, 'berth host key check\n');
      writeFileSync(signers, `${HOSTNAME} ${keyOf(type).publicKey}\n`);

      await run(SSH_KEYGEN, ['-Y', 'sign', '-n', 'berth', '-f', privateFile(type), message]);
      const verified = await run(
        SSH_KEYGEN,
        ['-Y', 'verify', '-f', signers, '-I', HOSTNAME, '-n', 'berth', '-s', `${message}.sig`],
        'berth host key check\n',
      );

      expect(verified).toContain(`Good "berth" signature for ${HOSTNAME}`);
    },
  );

  // OpenSSL's RSA signing checks its result and falls back from CRT, so a misplaced p, q or iqmp
  // still signs; OpenSSH's own conversion to PKCS#1 shows each number where OpenSSH read it.
  it('writes the RSA private numbers in the order OpenSSH reads them', async () => {
    const copy = join(dir, 'rsa-as-pkcs1');
    writeFileSync(copy, keyOf('rsa').privateKey, { mode: 0o600 });
    await run(SSH_KEYGEN, ['-p', '-P', '', '-N', '', '-m', 'PEM', '-f', copy]);
    const jwk = createPrivateKey(readFileSync(copy, 'utf8')).export({ format: 'jwk' });
    const [n, e, d] = [bigint(jwk.n), bigint(jwk.e), bigint(jwk.d)] as const;
    const [p, q, qi] = [bigint(jwk.p), bigint(jwk.q), bigint(jwk.qi)] as const;

    expect(jwk.n).toBe(parseRsaModulus(keyOf('rsa').publicKey).toString('base64url'));
    expect(p * q).toBe(n);
    expect((qi * q) % p).toBe(1n);
    expect((e * d) % (p - 1n)).toBe(1n);
    expect((e * d) % (q - 1n)).toBe(1n);
  });

  it.each([
    ['rsa', 3072, 'RSA'],
    ['ecdsa', 256, 'ECDSA'],
    ['ed25519', 256, 'ED25519'],
  ] as const)(
    'gives the %s fingerprint and size ssh-keygen -l prints',
    async (type, bits, name) => {
      const printed = await run(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', publicFile(type)]);
      expect(printed).toBe(`${bits} ${keyOf(type).fingerprint} no comment (${name})\n`);
    },
  );

  it('gives the RSA key a modulus of at least 3072 bits', () => {
    const modulus = BigInt(`0x${parseRsaModulus(keyOf('rsa').publicKey).toString('hex')}`);
    expect(modulus.toString(2).length).toBeGreaterThanOrEqual(3072);
  });

  it('makes different keys on each call', async () => {
    const again = await generateHostKeys();
    for (const [index, key] of again.entries()) {
      expect(key.publicKey).not.toBe(keys[index]?.publicKey);
      expect(key.privateKey).not.toBe(keys[index]?.privateKey);
    }
  });

  it('writes keys sshd accepts as host keys', async ({ skip }) => {
    skip(!existsSync(SSHD), `${SSHD} is not installed here; ssh-keygen -y covers the key files`);
    // sshd -t insists on its privilege separation folder, which its service would make at boot.
    if (!existsSync(PRIVSEP_DIR)) {
      skip(process.getuid?.() !== 0, `${PRIVSEP_DIR} is missing and only root may make it`);
      mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
    }
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [...types.map((type) => `HostKey ${privateFile(type)}`), 'PidFile none', ''].join('\n'),
      { mode: 0o600 },
    );
    // -t checks the configuration and loads every host key, then exits.
    await expect(run(SSHD, ['-t', '-f', config])).resolves.toBe('');
  });
});

describe(sshfpRecord.name, () => {
  it.each(types)(
    'matches the SHA-256 SSHFP record ssh-keygen -r prints for the %s key',
    async (type) => {
      const printed = await run(SSH_KEYGEN, ['-r', HOSTNAME, '-f', publicFile(type)]);
      const record = sshfpRecord(keyOf(type).publicKey);

      expect(record.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(printed.split('\n')).toContain(`${HOSTNAME} IN SSHFP ${sshfpContent(record)}`);
    },
  );

  it.each([
    ['rsa', 1],
    ['ecdsa', 3],
    ['ed25519', 4],
  ] as const)('numbers the %s algorithm %i', (type, algorithm) => {
    expect(sshfpRecord(keyOf(type).publicKey)).toMatchObject({ algorithm, fingerprintType: 2 });
  });

  it.each(['ed25519', 'ecdsa'] as const)(
    'matches ssh-keygen for a %s key that ssh-keygen generated',
    async (type) => {
      const file = join(dir, `ssh-keygen-${type}`);
      await run(SSH_KEYGEN, ['-q', '-t', type, '-N', '', '-C', 'made by ssh-keygen', '-f', file]);
      const printed = await run(SSH_KEYGEN, ['-r', HOSTNAME, '-f', `${file}.pub`]);
      const line = readFileSync(`${file}.pub`, 'utf8');

      expect(printed.split('\n')).toContain(
        `${HOSTNAME} IN SSHFP ${sshfpContent(sshfpRecord(line))}`,
      );
    },
  );
});

describe(parsePublicKey.name, () => {
  it('reads the type and blob of a line with a comment', () => {
    const key = keyOf('ed25519');
    const parsed = parsePublicKey(`${key.publicKey} root@web-1\n`);

    expect(parsed.type).toBe('ed25519');
    expect(parsed.blob.toString('base64')).toBe(blobOf('ed25519'));
  });

  // Lines are built lazily: the keys exist only once beforeAll has run.
  it.each([
    ['an empty line', () => ''],
    ['an unsupported algorithm', () => 'ssh-dss AAAAB3NzaC1kc3MAAACBAP'],
    ['a blob naming another algorithm', () => `ssh-rsa ${blobOf('ed25519')}`],
    ['a truncated blob', () => keyOf('ecdsa').publicKey.slice(0, -8)],
    ['characters outside base64', () => `${keyOf('ed25519').publicKey.slice(0, -4)}!!!!`],
    ['a second key on the line', () => `${keyOf('rsa').publicKey}\n${keyOf('ecdsa').publicKey}`],
  ])('rejects %s', (_, line) => {
    expect(() => parsePublicKey(line())).toThrow(InvalidPublicKeyError);
  });
});
