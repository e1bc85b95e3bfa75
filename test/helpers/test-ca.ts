import { webcrypto } from 'node:crypto';
import { x509 } from '../../libs/tls/x509';

/**
 * A throwaway certification authority for tests: roots, intermediates and leaves made on the
 * spot. CA keys are ECDSA P-256 (quick to make, and a different algorithm from the RSA keys Berth
 * makes for sites, so the chain checks meet both); leaves take any public key, such as a CSR's.
 */

const day = 24 * 3600 * 1000;
const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface TestCa {
  certificate: x509.X509Certificate;
  pem: string;
  keys: webcrypto.CryptoKeyPair;
}

export function aKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']);
}

/** An RSA 2048 key pair, like the ones Berth makes for sites. */
export function anRsaKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
}

/**
 * A CA certificate: self-signed (a root) without `issuer`, else issued by it (an intermediate).
 * `ca: false` makes a certificate that is not a CA's, which must not issue others.
 */
export async function aCa(
  name: string,
  options: { issuer?: TestCa; notBefore?: Date; notAfter?: Date; ca?: boolean } = {},
): Promise<TestCa> {
  const keys = await aKeyPair();
  const common = {
    serialNumber: serial(),
    notBefore: options.notBefore ?? new Date(Date.now() - day),
    notAfter: options.notAfter ?? new Date(Date.now() + 3650 * day),
    signingAlgorithm: ecdsa,
    extensions: [
      new x509.BasicConstraintsExtension(options.ca ?? true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  };
  const certificate = options.issuer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject: `CN=${name}`,
        issuer: options.issuer.certificate.subject,
        publicKey: keys.publicKey,
        signingKey: options.issuer.keys.privateKey,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: `CN=${name}`, keys });
  return { certificate, pem: certificate.toString('pem'), keys };
}

/**
 * A server certificate issued by `issuer` for `publicKey` (a CryptoKey, or a CSR's PEM to take
 * the key from) and `names` (its subjectAltName; `names: null` leaves the extension out).
 */
export async function aLeaf(options: {
  issuer: TestCa;
  publicKey: webcrypto.CryptoKey | string;
  names: string[] | null;
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
}): Promise<string> {
  const publicKey =
    typeof options.publicKey === 'string'
      ? new x509.Pkcs10CertificateRequest(options.publicKey).publicKey
      : options.publicKey;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${options.commonName ?? options.names?.[0] ?? 'leaf'}`,
    issuer: options.issuer.certificate.subject,
    notBefore: options.notBefore ?? new Date(Date.now() - day),
    notAfter: options.notAfter ?? new Date(Date.now() + 90 * day),
    signingAlgorithm: ecdsa,
    publicKey,
    signingKey: options.issuer.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      ...(options.names
        ? [
            new x509.SubjectAlternativeNameExtension(
              options.names.map((value) => ({ type: 'dns' as const, value })),
            ),
          ]
        : []),
    ],
  });
  return certificate.toString('pem');
}

/** A root, an intermediate it issued, and the chain PEM a CA would send with a leaf. */
export async function aCaChain(
  name: string,
): Promise<{ root: TestCa; intermediate: TestCa; chain: string }> {
  const root = await aCa(`${name} Root`);
  const intermediate = await aCa(`${name} Intermediate`, { issuer: root });
  return { root, intermediate, chain: intermediate.pem };
}

/** A positive serial number of 16 random bytes, hex. */
function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

export const days = (n: number): number => n * day;
