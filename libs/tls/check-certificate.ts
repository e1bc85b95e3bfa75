import { createHash, createPublicKey } from 'node:crypto';
import { certificationPath, describe } from './chain';
import { CertificateError } from './errors';
import { readRequest } from './key-request';
import { canonicalName, uncoveredNames } from './names';
import { certificatePem, parseCertificates, pemLimits } from './pem';
import { x509 } from './x509';

export interface UploadedCertificate {
  /** PEM: the certificate, optionally followed by its chain (a "full chain" file). */
  certificate: string;
  /** PEM: the intermediate certificates, and optionally the root; empty or absent for none. */
  chain?: string | null;
}

export interface RequestedCertificate {
  /** The CSR Berth made: its public key is the site's key. */
  csr: string;
  /** The names the certificate was requested for. */
  names: readonly string[];
}

/** An accepted certificate, as it is stored and installed. */
export interface CheckedCertificate {
  /** The certificate alone, PEM. */
  certificate: string;
  /** Its issuers in order (the certificate's issuer first), PEM; empty when none was given. */
  chain: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the certificate's DER, lower-case hex. */
  fingerprint: string;
  subject: string;
  issuer: string;
  /** Its subjectAltName DNS names. */
  names: string[];
}

/**
 * Checks an uploaded certificate against its request, in the order a site admin can best act on:
 * PEM and X.509 (CERTIFICATE_MALFORMED), the site's key (CERTIFICATE_KEY_MISMATCH), the names
 * (CERTIFICATE_NAMES_MISMATCH: it must cover at least every requested name; more is harmless),
 * validity at `now` (CERTIFICATE_NOT_YET_VALID, CERTIFICATE_EXPIRED), then the chain
 * (CERTIFICATE_CHAIN_INVALID, see certificationPath). Throws a CertificateError, or returns the
 * certificate and its chain normalised: the chain in path order, repeats dropped.
 */
export async function checkCertificate(
  upload: UploadedCertificate,
  requested: RequestedCertificate,
  now: Date,
): Promise<CheckedCertificate> {
  const [leaf, ...bundled] = parseCertificates(upload.certificate, 'certificate');
  if (!leaf) {
    throw new CertificateError('CERTIFICATE_MALFORMED', 'the certificate holds no PEM certificate');
  }
  const chain = upload.chain ? parseCertificates(upload.chain, 'chain') : [];
  if (1 + bundled.length + chain.length > pemLimits.maxCertificates) {
    throw new CertificateError(
      'CERTIFICATE_MALFORMED',
      `the certificate and chain hold more than ${pemLimits.maxCertificates} certificates`,
    );
  }

  if (!samePublicKey(Buffer.from(leaf.publicKey.rawData), readRequest(requested.csr).publicKey)) {
    throw new CertificateError(
      'CERTIFICATE_KEY_MISMATCH',
      `${describe(leaf)} is for another key than the one Berth made for this request`,
    );
  }

  const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
  if (!san) {
    throw new CertificateError(
      'CERTIFICATE_NAMES_MISMATCH',
      `${describe(leaf)} has no subjectAltName extension (browsers ignore the CN)`,
    );
  }
  const names = san.names.items.filter((n) => n.type === 'dns').map((n) => canonicalName(n.value));
  const missing = uncoveredNames(names, requested.names);
  if (missing.length > 0) {
    throw new CertificateError(
      'CERTIFICATE_NAMES_MISMATCH',
      `the certificate does not cover ${listed(missing)}; it names ${names.length ? listed(names) : 'no DNS name'}`,
    );
  }

  if (now < leaf.notBefore) {
    throw new CertificateError(
      'CERTIFICATE_NOT_YET_VALID',
      `the certificate is valid only from ${leaf.notBefore.toISOString()}`,
    );
  }
  // RFC 5280: valid through notAfter, inclusive.
  if (now > leaf.notAfter) {
    throw new CertificateError(
      'CERTIFICATE_EXPIRED',
      `the certificate expired on ${leaf.notAfter.toISOString()}`,
    );
  }

  const path = await certificationPath(leaf, [...bundled, ...chain], now);
  return {
    certificate: certificatePem(leaf),
    chain: path.map(certificatePem).join('\n'),
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    fingerprint: createHash('sha256').update(Buffer.from(leaf.rawData)).digest('hex'),
    subject: leaf.subject,
    issuer: leaf.issuer,
    names,
  };
}

/** Whether two SubjectPublicKeyInfo DER values hold the same key, whatever their encoding. */
function samePublicKey(a: Buffer, b: Buffer): boolean {
  try {
    const key = (der: Buffer) => createPublicKey({ key: der, format: 'der', type: 'spki' });
    return key(a).equals(key(b));
  } catch {
    // A key OpenSSL cannot load is not the site's key.
    return false;
  }
}

/** Up to five names, then how many more: messages stay small whatever the certificate names. */
function listed(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}
