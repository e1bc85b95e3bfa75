import { webcrypto } from 'node:crypto';
import { isCertificateName } from './names';
import { x509 } from './x509';

/**
 * The key Berth makes for a site's certificate: RSA 2048 with SHA-256 signatures. The site's
 * admins take the request to whichever CA their organisation uses, and RSA 2048 is the one key
 * type that every CA's order form and every TLS client accepts (ECDSA P-256 would give smaller
 * handshakes, but some institutional CAs and old clients still refuse it). Generating one takes
 * OpenSSL about a tenth of a second, off the event loop.
 */
export const keyAlgorithm = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;

/** What a CSR may name: the SAN limit most CAs apply. */
export const maxRequestNames = 100;
const subjectAltNameOid = '2.5.29.17';
/** X.520's upper bound on a common name (ub-common-name). */
const maxCommonNameLength = 64;

export interface KeyAndRequest {
  /** PKCS #8 PEM (`BEGIN PRIVATE KEY`), which Apache reads as it is. */
  privateKeyPem: string;
  /** PKCS #10 PEM (`BEGIN CERTIFICATE REQUEST`). */
  csrPem: string;
}

/**
 * A new private key and a certificate signing request for `names`: every name in the
 * subjectAltName extension, which is what CAs and browsers use, and the first name that fits in
 * the subject's CN (64 characters), which some CA forms still want. With no name short enough,
 * the subject is empty and the extension critical, as RFC 5280 asks.
 */
export async function generateKeyAndRequest(names: readonly string[]): Promise<KeyAndRequest> {
  if (names.length === 0 || names.length > maxRequestNames) {
    throw new RangeError(`a certificate request names 1 to ${maxRequestNames} names`);
  }
  for (const name of names) {
    if (!isCertificateName(name))
      throw new RangeError(`not a certificate name: ${JSON.stringify(name)}`);
  }
  const keys = await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
  const commonName = names.find((name) => name.length <= maxCommonNameLength);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    ...(commonName ? { name: [{ '2.5.4.3': [commonName] }] } : {}),
    keys,
    signingAlgorithm: keyAlgorithm,
    extensions: [
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => ({ type: 'dns' as const, value })),
        commonName === undefined,
      ),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    csrPem: csr.toString('pem'),
  };
}

/** The names and public key (SPKI DER) a CSR carries: what an uploaded certificate must match. */
export function readRequest(csrPem: string): { names: string[]; publicKey: Buffer } {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  // A CSR's extensions come back as plain Extension objects: read the names by their OID.
  const extension = csr.getExtension(subjectAltNameOid);
  const san = extension ? new x509.SubjectAlternativeNameExtension(extension.rawData) : undefined;
  return {
    names: (san?.names.items ?? []).filter((n) => n.type === 'dns').map((n) => n.value),
    publicKey: Buffer.from(csr.publicKey.rawData),
  };
}
