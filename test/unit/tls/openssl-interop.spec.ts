import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateError, checkCertificate, generateKeyAndRequest } from '../../../libs/tls';

const run = promisify(execFile);
const openssl = '/usr/bin/openssl';

/**
 * Berth's CSRs and checks against OpenSSL, which is what CAs and Apache use: OpenSSL reads and
 * verifies the CSR, a CA made with OpenSSL signs it, and the check accepts that certificate (and
 * refuses it for a CSR of another key).
 */
describe.skipIf(!existsSync(openssl))('key requests and OpenSSL', () => {
  let dir: string;
  const sh = (...args: string[]) => run(openssl, args, { cwd: dir });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-tls-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has its CSR read by OpenSSL and a certificate OpenSSL signs accepted', async () => {
    const names = ['shop.example.org', 'www.shop.example.org'];
    const site = await generateKeyAndRequest(names);
    await writeFile(join(dir, 'site.csr'), site.csrPem);
    const { stdout } = await sh('req', '-in', 'site.csr', '-noout', '-verify', '-text');
    expect(stdout).toContain('DNS:shop.example.org, DNS:www.shop.example.org');

    // A root and an intermediate, the way an operator would make a private CA.
    await sh(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'root.key',
      '-out',
      'root.pem',
      '-subj',
      '/CN=OpenSSL Root',
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    );
    await sh(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ica.key',
      '-out',
      'ica.csr',
      '-subj',
      '/CN=OpenSSL Intermediate',
    );
    await writeFile(
      join(dir, 'ica.ext'),
      'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n',
    );
    await sh(
      'x509',
      '-req',
      '-in',
      'ica.csr',
      '-CA',
      'root.pem',
      '-CAkey',
      'root.key',
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      'ica.ext',
      '-out',
      'ica.pem',
    );
    await writeFile(
      join(dir, 'leaf.ext'),
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`,
    );
    await sh(
      'x509',
      '-req',
      '-in',
      'site.csr',
      '-CA',
      'ica.pem',
      '-CAkey',
      'ica.key',
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      'leaf.ext',
      '-out',
      'leaf.pem',
    );

    const upload = {
      certificate: await readFile(join(dir, 'leaf.pem'), 'utf8'),
      chain: `${await readFile(join(dir, 'ica.pem'), 'utf8')}${await readFile(join(dir, 'root.pem'), 'utf8')}`,
    };
    const checked = await checkCertificate(upload, { csr: site.csrPem, names }, new Date());
    expect(checked.issuer).toBe('CN=OpenSSL Intermediate');
    // OpenSSL agrees that the normalised chain verifies the certificate from the root.
    await writeFile(join(dir, 'chain.pem'), checked.chain);
    await writeFile(join(dir, 'checked.pem'), checked.certificate);
    await sh('verify', '-CAfile', 'root.pem', '-untrusted', 'chain.pem', 'checked.pem');

    const other = await generateKeyAndRequest(names);
    await expect(
      checkCertificate(upload, { csr: other.csrPem, names }, new Date()),
    ).rejects.toThrow(CertificateError);
  });
});
