import { CertificateError } from './errors';
import { x509 } from './x509';

/**
 * Bounds on what an upload may hold. A leaf with a hundred names of the longest kind is about
 * 35,000 characters of PEM; real chains have one to three intermediates of 2,000 each. Two texts
 * at the limit still fit the api's 100 KB request body.
 */
export const pemLimits = {
  /** Characters of one PEM text (the certificate, or the chain). */
  maxLength: 40 * 1024,
  /** Certificates in the certificate and chain texts together. */
  maxCertificates: 8,
} as const;

const block =
  /-----BEGIN ([A-Z0-9 ]{1,40})-----\r?\n([A-Za-z0-9+/=\r\n\t ]*?)-----END ([A-Z0-9 ]{1,40})-----/g;

/**
 * The certificates of a PEM text, in order. Text around the blocks is ignored (OpenSSL writes
 * `subject=` lines, CA bundles comments); anything else is CERTIFICATE_MALFORMED: no block, a
 * block of another kind (a private key pasted into the wrong field is refused, not echoed), bad
 * base64, DER that is not one whole X.509 certificate.
 */
export function parseCertificates(pem: string, field: string): x509.X509Certificate[] {
  if (pem.length > pemLimits.maxLength) {
    throw new CertificateError(
      'CERTIFICATE_MALFORMED',
      `the ${field} is longer than ${pemLimits.maxLength} characters`,
    );
  }
  const certificates: x509.X509Certificate[] = [];
  for (const match of pem.matchAll(block)) {
    const [, begin, body, end] = match;
    if (begin !== end) {
      throw new CertificateError(
        'CERTIFICATE_MALFORMED',
        `the ${field} has a PEM block that does not end as it began`,
      );
    }
    if (begin !== 'CERTIFICATE') {
      throw new CertificateError(
        'CERTIFICATE_MALFORMED',
        `the ${field} holds a ${begin} block where only CERTIFICATE blocks belong`,
      );
    }
    if (certificates.length === pemLimits.maxCertificates) {
      throw new CertificateError(
        'CERTIFICATE_MALFORMED',
        `the ${field} holds more than ${pemLimits.maxCertificates} certificates`,
      );
    }
    certificates.push(certificateFromBase64(body!, field, certificates.length + 1));
  }
  if (certificates.length === 0 && /-----BEGIN /.test(pem)) {
    throw new CertificateError(
      'CERTIFICATE_MALFORMED',
      `the ${field} has a PEM block that is not whole`,
    );
  }
  return certificates;
}

function certificateFromBase64(
  body: string,
  field: string,
  position: number,
): x509.X509Certificate {
  const base64 = body.replace(/\s+/g, '');
  const der = Buffer.from(base64, 'base64');
  const where = `certificate ${position} of the ${field}`;
  // Buffer.from skips what is not base64; only text that re-encodes to itself is whole.
  if (der.length === 0 || der.toString('base64') !== base64) {
    throw new CertificateError('CERTIFICATE_MALFORMED', `${where} is not valid base64`);
  }
  if (derLength(der) !== der.length) {
    throw new CertificateError('CERTIFICATE_MALFORMED', `${where} is not one DER structure`);
  }
  try {
    const certificate = new x509.X509Certificate(der);
    // Read the fields checks use now, so a certificate that parses but lacks them fails here.
    void certificate.subject;
    void certificate.issuer;
    void certificate.notBefore;
    void certificate.notAfter;
    void certificate.publicKey.rawData;
    void certificate.extensions;
    return certificate;
  } catch {
    // The parser's message may quote bytes of the input; it is not passed on.
    throw new CertificateError('CERTIFICATE_MALFORMED', `${where} is not an X.509 certificate`);
  }
}

/**
 * The length a DER value says it has (tag, length octets and content), or -1 when its header is
 * not a definite length: the outer SEQUENCE must span the whole block, with nothing after it.
 */
function derLength(der: Buffer): number {
  if (der.length < 2 || der[0] !== 0x30) return -1;
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const octets = first & 0x7f;
  if (octets === 0 || octets > 4 || der.length < 2 + octets) return -1;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + der[2 + i]!;
  return 2 + octets + length;
}

/** One certificate as PEM, 64 characters a line. */
export function certificatePem(certificate: x509.X509Certificate): string {
  return certificate.toString('pem');
}
