import { beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateError,
  checkCertificate,
  generateKeyAndRequest,
  type KeyAndRequest,
  pemLimits,
} from '../../../libs/tls';
import { x509 } from '../../../libs/tls/x509';
import { aCa, aCaChain, aLeaf, anRsaKeyPair, days, type TestCa } from '../../helpers/test-ca';

const names = ['shop.example.org', 'www.shop.example.org'];

/** The code and message a check refused with; fails the test if it was accepted. */
async function refusal(check: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await check;
  } catch (error) {
    if (error instanceof CertificateError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('the certificate was accepted');
}

describe(checkCertificate.name, () => {
  let site: KeyAndRequest;
  let root: TestCa;
  let intermediate: TestCa;
  let chain: string;
  /** A good leaf for the site's request, issued by the intermediate. */
  let leaf: string;
  const now = () => new Date();
  const requested = () => ({ csr: site.csrPem, names });

  beforeAll(async () => {
    site = await generateKeyAndRequest(names);
    ({ root, intermediate, chain } = await aCaChain('Test CA'));
    leaf = await aLeaf({ issuer: intermediate, publicKey: site.csrPem, names });
  });

  describe('a good certificate', () => {
    it('is accepted with its chain, dates, names and fingerprint', async () => {
      const checked = await checkCertificate({ certificate: leaf, chain }, requested(), now());
      const parsed = new x509.X509Certificate(leaf);
      expect(checked.certificate.trim()).toBe(leaf.trim());
      expect(checked.chain.trim()).toBe(intermediate.pem.trim());
      expect(checked.notBefore).toEqual(parsed.notBefore);
      expect(checked.notAfter).toEqual(parsed.notAfter);
      expect(checked.names).toEqual(names);
      expect(checked.issuer).toBe('CN=Test CA Intermediate');
      expect(checked.fingerprint).toBe(
        Buffer.from(await parsed.getThumbprint('SHA-256')).toString('hex'),
      );
    });

    it('puts a chain given root first into path order, and keeps the root', async () => {
      const checked = await checkCertificate(
        { certificate: leaf, chain: `${root.pem}\n${intermediate.pem}` },
        requested(),
        now(),
      );
      expect(checked.chain.trim()).toBe(`${intermediate.pem.trim()}\n${root.pem.trim()}`);
    });

    it('takes a "full chain" file in the certificate field, and drops repeats', async () => {
      const checked = await checkCertificate(
        { certificate: `${leaf}\n${intermediate.pem}`, chain: `${leaf}\n${intermediate.pem}` },
        requested(),
        now(),
      );
      expect(checked.certificate.trim()).toBe(leaf.trim());
      expect(checked.chain.trim()).toBe(intermediate.pem.trim());
    });

    it('ignores text around the PEM blocks, and Windows line ends', async () => {
      const noisy = `subject=CN = shop.example.org\r\n${leaf.replace(/\n/g, '\r\n')}\r\n# end\r\n`;
      const checked = await checkCertificate({ certificate: noisy, chain }, requested(), now());
      expect(checked.certificate.trim()).toBe(leaf.trim());
    });

    it('may name more than was requested, and cover names with a wildcard', async () => {
      const wider = await aLeaf({
        issuer: intermediate,
        publicKey: site.csrPem,
        names: ['shop.example.org', '*.shop.example.org', 'other.example.net'],
      });
      const checked = await checkCertificate({ certificate: wider, chain }, requested(), now());
      expect(checked.names).toContain('other.example.net');
    });

    it('needs no chain when a root issued it, or when it is self-signed', async () => {
      const fromRoot = await aLeaf({ issuer: root, publicKey: site.csrPem, names });
      expect((await checkCertificate({ certificate: fromRoot }, requested(), now())).chain).toBe(
        '',
      );

      const keys = await anRsaKeyPair();
      const selfSigned = await x509.X509CertificateGenerator.createSelfSigned({
        name: 'CN=shop.example.org',
        keys,
        notAfter: new Date(Date.now() + days(30)),
        extensions: [
          new x509.SubjectAlternativeNameExtension(
            names.map((value) => ({ type: 'dns' as const, value })),
          ),
        ],
      });
      const own = await x509.Pkcs10CertificateRequestGenerator.create({
        keys,
        signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      });
      const checked = await checkCertificate(
        { certificate: selfSigned.toString('pem'), chain: '' },
        { csr: own.toString('pem'), names },
        now(),
      );
      expect(checked.chain).toBe('');
    });
  });

  describe('refuses with CERTIFICATE_KEY_MISMATCH', () => {
    it('a certificate for another key', async () => {
      const other = await anRsaKeyPair();
      const foreign = await aLeaf({ issuer: intermediate, publicKey: other.publicKey, names });
      const refused = await refusal(
        checkCertificate({ certificate: foreign, chain }, requested(), now()),
      );
      expect(refused.code).toBe('CERTIFICATE_KEY_MISMATCH');
    });

    it('a certificate for another site request, even with the same names', async () => {
      const otherSite = await generateKeyAndRequest(names);
      const refused = await refusal(
        checkCertificate({ certificate: leaf, chain }, { csr: otherSite.csrPem, names }, now()),
      );
      expect(refused.code).toBe('CERTIFICATE_KEY_MISMATCH');
    });
  });

  describe('refuses with CERTIFICATE_NAMES_MISMATCH', () => {
    it('a certificate for other names, naming what it lacks', async () => {
      const wrong = await aLeaf({
        issuer: intermediate,
        publicKey: site.csrPem,
        names: ['shop.example.org', 'blog.example.org'],
      });
      const refused = await refusal(
        checkCertificate({ certificate: wrong, chain }, requested(), now()),
      );
      expect(refused).toEqual({
        code: 'CERTIFICATE_NAMES_MISMATCH',
        message:
          'the certificate does not cover www.shop.example.org; it names shop.example.org, blog.example.org',
      });
    });

    it('a wildcard one level too high or too low', async () => {
      for (const wildcard of ['*.example.org', '*.www.shop.example.org']) {
        const wrong = await aLeaf({
          issuer: intermediate,
          publicKey: site.csrPem,
          names: ['shop.example.org', wildcard],
        });
        const refused = await refusal(
          checkCertificate({ certificate: wrong, chain }, requested(), now()),
        );
        expect(refused.code, wildcard).toBe('CERTIFICATE_NAMES_MISMATCH');
      }
    });

    it('a certificate with its name in the CN only', async () => {
      const cnOnly = await aLeaf({
        issuer: intermediate,
        publicKey: site.csrPem,
        names: null,
        commonName: 'shop.example.org',
      });
      const refused = await refusal(
        checkCertificate(
          { certificate: cnOnly, chain },
          { csr: site.csrPem, names: ['shop.example.org'] },
          now(),
        ),
      );
      expect(refused.code).toBe('CERTIFICATE_NAMES_MISMATCH');
      expect(refused.message).toContain('no subjectAltName');
    });
  });

  describe('refuses outside its validity', () => {
    it('an expired certificate with CERTIFICATE_EXPIRED', async () => {
      const expired = await aLeaf({
        issuer: intermediate,
        publicKey: site.csrPem,
        names,
        notBefore: new Date(Date.now() - days(100)),
        notAfter: new Date(Date.now() - days(10)),
      });
      const refused = await refusal(
        checkCertificate({ certificate: expired, chain }, requested(), now()),
      );
      expect(refused.code).toBe('CERTIFICATE_EXPIRED');
    });

    it('a certificate valid only from tomorrow with CERTIFICATE_NOT_YET_VALID', async () => {
      const future = await aLeaf({
        issuer: intermediate,
        publicKey: site.csrPem,
        names,
        notBefore: new Date(Date.now() + days(1)),
      });
      const refused = await refusal(
        checkCertificate({ certificate: future, chain }, requested(), now()),
      );
      expect(refused.code).toBe('CERTIFICATE_NOT_YET_VALID');
    });

    it('judges at the time it is given', async () => {
      const later = new Date(Date.now() + days(91));
      const refused = await refusal(
        checkCertificate({ certificate: leaf, chain }, requested(), later),
      );
      expect(refused.code).toBe('CERTIFICATE_EXPIRED');
    });
  });

  describe('refuses with CERTIFICATE_CHAIN_INVALID', () => {
    it('an intermediate of the same name with another key', async () => {
      const impostor = await aCa('Test CA Intermediate', { issuer: root });
      const refused = await refusal(
        checkCertificate({ certificate: leaf, chain: impostor.pem }, requested(), now()),
      );
      expect(refused.code).toBe('CERTIFICATE_CHAIN_INVALID');
      expect(refused.message).toContain('does not verify');
    });

    it('a chain certificate that is not on the path', async () => {
      const stranger = await aCa('Unrelated CA');
      const refused = await refusal(
        checkCertificate(
          { certificate: leaf, chain: `${chain}\n${stranger.pem}` },
          requested(),
          now(),
        ),
      );
      expect(refused.code).toBe('CERTIFICATE_CHAIN_INVALID');
      expect(refused.message).toContain('Unrelated CA');
    });

    it('an issuer that is not a CA', async () => {
      const notCa = await aCa('Not A CA', { issuer: root, ca: false });
      const issued = await aLeaf({ issuer: notCa, publicKey: site.csrPem, names });
      const refused = await refusal(
        checkCertificate({ certificate: issued, chain: notCa.pem }, requested(), now()),
      );
      expect(refused.code).toBe('CERTIFICATE_CHAIN_INVALID');
      expect(refused.message).toContain('not a CA');
    });

    it('an expired intermediate', async () => {
      const old = await aCa('Old Intermediate', {
        issuer: root,
        notBefore: new Date(Date.now() - days(400)),
        notAfter: new Date(Date.now() - days(1)),
      });
      const issued = await aLeaf({ issuer: old, publicKey: site.csrPem, names });
      const refused = await refusal(
        checkCertificate({ certificate: issued, chain: old.pem }, requested(), now()),
      );
      expect(refused.code).toBe('CERTIFICATE_CHAIN_INVALID');
      expect(refused.message).toContain('expired');
    });
  });

  describe('refuses with CERTIFICATE_MALFORMED', () => {
    const body = () => leaf.split('\n').slice(1, -2).join('\n');
    const cases: [string, () => { certificate: string; chain?: string }][] = [
      ['an empty text', () => ({ certificate: '' })],
      ['text without PEM', () => ({ certificate: 'hello, this is my certificate' })],
      [
        'base64 that is not a certificate',
        () => ({
          certificate: `-----BEGIN CERTIFICATE-----\n${Buffer.from('0'.repeat(300)).toString('base64')}\n-----END CERTIFICATE-----\n`,
        }),
      ],
      [
        'a block whose base64 is damaged',
        () => ({
          certificate: `-----BEGIN CERTIFICATE-----\n${body().slice(0, 40)}@@${body().slice(42)}\n-----END CERTIFICATE-----\n`,
        }),
      ],
      [
        'a truncated certificate',
        () => ({
          certificate: `-----BEGIN CERTIFICATE-----\n${body().slice(0, 200)}\n-----END CERTIFICATE-----\n`,
        }),
      ],
      [
        'bytes after the certificate',
        () => ({
          certificate: `-----BEGIN CERTIFICATE-----\n${Buffer.concat([Buffer.from(new x509.X509Certificate(leaf).rawData), Buffer.from([0, 0, 0])]).toString('base64')}\n-----END CERTIFICATE-----\n`,
        }),
      ],
      [
        'a block that is never closed',
        () => ({ certificate: leaf.replace('-----END CERTIFICATE-----', '') }),
      ],
      [
        'a chain that is garbage',
        () => ({
          certificate: leaf,
          chain: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----',
        }),
      ],
      [
        'a text over the size limit',
        () => ({ certificate: `${leaf}\n${' '.repeat(pemLimits.maxLength)}` }),
      ],
      [
        'more certificates than the limit',
        () => ({
          certificate: leaf,
          chain: Array.from({ length: pemLimits.maxCertificates }, () => intermediate.pem).join(
            '\n',
          ),
        }),
      ],
    ];
    for (const [what, upload] of cases) {
      it(what, async () => {
        const refused = await refusal(checkCertificate(upload(), requested(), now()));
        expect(refused.code).toBe('CERTIFICATE_MALFORMED');
      });
    }

    it('a private key pasted where the certificate goes, without repeating it', async () => {
      const refused = await refusal(
        checkCertificate({ certificate: site.privateKeyPem, chain }, requested(), now()),
      );
      expect(refused.code).toBe('CERTIFICATE_MALFORMED');
      expect(refused.message).toContain('PRIVATE KEY block');
      const keyLines = site.privateKeyPem.split('\n').filter((line) => line.length > 20);
      for (const line of keyLines) expect(refused.message).not.toContain(line);
    });
  });
});
