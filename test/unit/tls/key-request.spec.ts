import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKeyAndRequest, readRequest } from '../../../libs/tls';
import { x509 } from '../../../libs/tls/x509';

describe(generateKeyAndRequest.name, () => {
  it('makes an RSA 2048 key and a CSR for the names, signed by that key', async () => {
    const names = ['shop.example.org', 'www.shop.example.org'];
    const { privateKeyPem, csrPem } = await generateKeyAndRequest(names);

    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(privateKeyPem);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);

    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toBe('CN=shop.example.org');
    const request = readRequest(csrPem);
    expect(request.names).toEqual(names);
    // The CSR's key is the private key's public half.
    const fromCsr = createPublicKey({ key: request.publicKey, format: 'der', type: 'spki' });
    expect(fromCsr.equals(createPublicKey(key))).toBe(true);
  });

  it('makes a new key each time', async () => {
    const [a, b] = await Promise.all([
      generateKeyAndRequest(['a.example.org']),
      generateKeyAndRequest(['a.example.org']),
    ]);
    expect(a.privateKeyPem).not.toBe(b.privateKeyPem);
  });

  it('leaves a name too long for a CN out of the subject, and marks the names critical', async () => {
    const long = `${'a'.repeat(60)}.example.org`;
    const { csrPem } = await generateKeyAndRequest([long]);
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    expect(csr.subject).toBe('');
    expect(csr.getExtension('2.5.29.17')?.critical).toBe(true);
    expect(readRequest(csrPem).names).toEqual([long]);
  });

  it('uses the first name that fits as the CN', async () => {
    const long = `${'a'.repeat(60)}.example.org`;
    const { csrPem } = await generateKeyAndRequest([long, 'short.example.org']);
    expect(new x509.Pkcs10CertificateRequest(csrPem).subject).toBe('CN=short.example.org');
  });

  it('refuses an empty list, too many names and names that are not DNS names', async () => {
    await expect(generateKeyAndRequest([])).rejects.toThrow(RangeError);
    const many = Array.from({ length: 101 }, (_, i) => `n${i}.example.org`);
    await expect(generateKeyAndRequest(many)).rejects.toThrow(RangeError);
    await expect(generateKeyAndRequest(['CN=evil, O=x'])).rejects.toThrow(RangeError);
  });
});
