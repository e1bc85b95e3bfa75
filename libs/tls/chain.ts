import { CertificateError } from './errors';
import { x509 } from './x509';

/**
 * The issuers of `leaf` among `provided`, in order (the leaf's issuer first): each links to the
 * one before by name and by a signature that verifies with its key, and each is a CA certificate
 * within its validity. The path ends at a self-signed certificate (a root, which an upload may
 * include or leave out) or at a certificate whose issuer the upload does not hold; which roots to
 * trust is the clients' decision, not Berth's (see README, "TLS certificates"). A provided
 * certificate that is not on the path is refused: Apache would send it to every client.
 */
export async function certificationPath(
  leaf: x509.X509Certificate,
  provided: readonly x509.X509Certificate[],
  now: Date,
): Promise<x509.X509Certificate[]> {
  const leafDer = Buffer.from(leaf.rawData);
  const remaining: x509.X509Certificate[] = [];
  for (const certificate of provided) {
    const der = Buffer.from(certificate.rawData);
    // The leaf again (a "full chain" pasted into the chain field), or a repeat: no harm, dropped.
    if (der.equals(leafDer) || remaining.some((kept) => der.equals(Buffer.from(kept.rawData)))) {
      continue;
    }
    remaining.push(certificate);
  }
  const path: x509.X509Certificate[] = [];
  let current = leaf;
  // Each step takes one certificate out of `remaining`, so this ends.
  for (;;) {
    if (current.subject === current.issuer && (await signedBy(current, current))) break;
    const named = remaining.filter((candidate) => candidate.subject === current.issuer);
    if (named.length === 0) break;
    let issuer: x509.X509Certificate | undefined;
    for (const candidate of named) {
      if (await signedBy(current, candidate)) {
        issuer = candidate;
        break;
      }
    }
    if (!issuer) {
      throw new CertificateError(
        'CERTIFICATE_CHAIN_INVALID',
        `the signature of ${describe(current)} does not verify with the key of ${describe(named[0]!)} in the chain`,
      );
    }
    checkIssuer(issuer, now);
    path.push(issuer);
    remaining.splice(remaining.indexOf(issuer), 1);
    current = issuer;
  }
  if (remaining.length > 0) {
    throw new CertificateError(
      'CERTIFICATE_CHAIN_INVALID',
      `the chain holds ${describe(remaining[0]!)}, which did not issue the certificate or any of its issuers`,
    );
  }
  return path;
}

async function signedBy(
  certificate: x509.X509Certificate,
  issuer: x509.X509Certificate,
): Promise<boolean> {
  try {
    return await certificate.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    // An algorithm WebCrypto does not know, or a key of the wrong kind: it does not verify.
    return false;
  }
}

function checkIssuer(issuer: x509.X509Certificate, now: Date): void {
  const constraints = issuer.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) {
    throw new CertificateError(
      'CERTIFICATE_CHAIN_INVALID',
      `${describe(issuer)} in the chain is not a CA certificate, so it cannot issue others`,
    );
  }
  if (now < issuer.notBefore) {
    throw new CertificateError(
      'CERTIFICATE_CHAIN_INVALID',
      `${describe(issuer)} in the chain is valid only from ${issuer.notBefore.toISOString()}`,
    );
  }
  if (now > issuer.notAfter) {
    throw new CertificateError(
      'CERTIFICATE_CHAIN_INVALID',
      `${describe(issuer)} in the chain expired on ${issuer.notAfter.toISOString()}`,
    );
  }
}

/** A certificate by its subject, cut short: messages stay small whatever the upload holds. */
export function describe(certificate: x509.X509Certificate): string {
  const subject = certificate.subject || '(empty subject)';
  return JSON.stringify(subject.length > 120 ? `${subject.slice(0, 117)}...` : subject);
}
